import { useCallback, useState } from 'react';
import { api } from '../api.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { Link } from '../router.tsx';

/** Asks for a reset link. The answer is the same whether or not the address has an account. */
export function ResetRequestForm({ initialEmail = '', submitLabel }: { initialEmail?: string; submitLabel: string }) {
  const [email, setEmail] = useState(initialEmail);
  const [sentTo, setSentTo] = useState<string | null>(null);

  const send = useAction(
    useCallback(async () => {
      const address = email.trim();
      await api.requestPasswordReset({ email: address });
      setSentTo(address);
    }, [email]),
  );

  if (sentTo !== null) {
    return (
      <Alert kind="success">
        <p>
          If an account uses <strong>{sentTo}</strong>, a message with a reset link is on its way. The link works once
          and expires in 30 minutes.
        </p>
        <p>
          Check that the message shows your anti-phishing phrase, if you set one. Nothing is sent if the address is not
          registered.
        </p>
      </Alert>
    );
  }

  return (
    <form onSubmit={onSubmit(send)}>
      {send.message !== null && <Alert kind="error">{send.message}</Alert>}
      <Field
        label="Email"
        name="email"
        type="email"
        required
        autoComplete="email"
        value={email}
        onChange={(event) => setEmail(event.target.value)}
      />
      <SubmitButton busy={send.busy} className="button-primary button-block">
        {submitLabel}
      </SubmitButton>
    </form>
  );
}

export function ForgotPage() {
  return (
    <Page
      narrow
      title="Reset your password"
      lead="Enter the email address of your account and we will send you a link to choose a new password."
    >
      <ResetRequestForm submitLabel="Send the reset link" />
      <p className="form-links">
        <Link to="/login">Back to sign-in</Link>
      </p>
    </Page>
  );
}
