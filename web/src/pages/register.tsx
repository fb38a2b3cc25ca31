import { useCallback, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { NewAccountFields } from '../components/new-account-fields.tsx';
import { Link, navigate, takeFragmentParam } from '../router.tsx';

export function RegisterPage() {
  const [invite] = useState(() => takeFragmentParam('invite'));
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const register = useAction(
    useCallback(async () => {
      if (invite === null) return;
      const answer = await api.register({ invite_token: invite, username: username.trim(), email: email.trim(), password });
      navigate('/login', { replace: true, state: { notice: answer.message } });
    }, [invite, username, email, password]),
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

  const inviteRefused = register.error instanceof ApiError && register.error.code === 'invalid_token';

  return (
    <Page narrow title="Create your account" lead="You were invited to this Hearth server.">
      <form onSubmit={onSubmit(register)}>
        {register.message !== null && (
          <Alert kind="error">
            {register.message} {inviteRefused && 'Ask the person who invited you for a new link.'}
          </Alert>
        )}
        <NewAccountFields
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
