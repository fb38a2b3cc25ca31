import { useCallback, useState } from 'react';
import { api } from '../api.ts';
import { Alert, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { Link, takeFragmentParam } from '../router.tsx';
import { useSession } from '../session.tsx';

/** The page behind "Confirm this address" in a mail. It waits for a click, so a mail scanner opening links confirms nothing. */
export function VerifyEmailPage() {
  const { state, refresh } = useSession();
  const [token] = useState(() => takeFragmentParam('token'));
  const [confirmed, setConfirmed] = useState(false);

  const confirm = useAction(
    useCallback(async () => {
      if (token === null) return;
      await api.verifyEmail({ token });
      setConfirmed(true);
      if (state.status === 'signed-in') await refresh();
    }, [token, state.status, refresh]),
  );

  if (token === null || token === '') {
    return (
      <Page narrow title="Confirm your email address">
        <Alert kind="error">
          This page opens from the link in a confirmation email. The link is missing or incomplete.
        </Alert>
      </Page>
    );
  }

  return (
    <Page narrow title="Confirm your email address">
      {confirmed ? (
        <>
          <Alert kind="success">
            Your email address is confirmed. Password resets and security notices will reach you there.
          </Alert>
          <p className="form-links">
            <Link to={state.status === 'signed-in' ? '/account' : '/login'}>
              {state.status === 'signed-in' ? 'Back to your account' : 'Sign in'}
            </Link>
          </p>
        </>
      ) : (
        <form onSubmit={onSubmit(confirm)}>
          <p className="muted">Confirm that this address belongs to you and reaches you.</p>
          {confirm.message !== null && <Alert kind="error">{confirm.message}</Alert>}
          <SubmitButton busy={confirm.busy} className="button-primary button-block">
            Confirm my address
          </SubmitButton>
        </form>
      )}
    </Page>
  );
}
