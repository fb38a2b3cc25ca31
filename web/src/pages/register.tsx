import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { NewAccountFields } from '../components/new-account-fields.tsx';
import { Link, navigate, takeFragmentParam } from '../router.tsx';
import { useSession } from '../session.tsx';

export function RegisterPage() {
  const [invite] = useState(() => takeFragmentParam('invite'));
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const { refresh } = useSession();
  // An invite sent to an address: that address, filled in and fixed (the server holds it to it anyway).
  const [fixedEmail, setFixedEmail] = useState<string | null>(null);
  const [peekError, setPeekError] = useState<unknown>(null);
  useEffect(() => {
    if (invite === null || invite === '') return;
    let current = true;
    api
      .peekInvite({ invite_token: invite })
      .then((answer) => {
        if (current) setFixedEmail(answer.email);
      })
      .catch((caught: unknown) => {
        if (current) setPeekError(caught);
      });
    return () => {
      current = false;
    };
  }, [invite]);

  const register = useAction(
    useCallback(async () => {
      if (invite === null) return;
      const address = fixedEmail ?? email.trim();
      const answer = await api.register({ invite_token: invite, username: username.trim(), email: address, password });
      if (answer.signed_in && (await refresh()) !== null) {
        navigate('/', { replace: true });
        return;
      }
      navigate('/login', { replace: true, state: { notice: answer.message, login: username.trim() } });
    }, [invite, username, email, fixedEmail, password, refresh]),
  );

  if (invite === null || invite === '') {
    return (
      <Page narrow title="Join this server">
        <Alert kind="error">
          Accounts on this server are by invitation. Open the invite link you were given; it carries the invitation.
        </Alert>
        <p className="form-links">
          <Link to="/login">Sign in to an existing account</Link>
        </p>
      </Page>
    );
  }

  const inviteRefused =
    (register.error instanceof ApiError && register.error.code === 'invalid_token') ||
    (peekError instanceof ApiError && peekError.code === 'invalid_token');

  return (
    <Page narrow title="Create your account" lead="You were invited to this Hearth server.">
      <form onSubmit={onSubmit(register)}>
        {register.message !== null ? (
          <Alert kind="error">
            {register.message} {inviteRefused && 'Ask the person who invited you for a new link.'}
          </Alert>
        ) : (
          inviteRefused && (
            <Alert kind="error">
              This invitation is not valid, was already used, or has expired. Ask the person who invited you for a new
              link.
            </Alert>
          )
        )}
        <NewAccountFields
          fixedEmail={fixedEmail}
          value={{ username, email, password }}
          onChange={(next) => {
            setUsername(next.username);
            setEmail(next.email);
            setPassword(next.password);
          }}
        />
        <SubmitButton busy={register.busy} className="button-primary button-block">
          Create the account
        </SubmitButton>
      </form>
    </Page>
  );
}
