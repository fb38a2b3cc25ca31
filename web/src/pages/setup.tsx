import { useCallback, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, Field, onSubmit, PasswordField, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { preloadStrengthMeter, StrengthMeter } from '../components/strength-meter.tsx';
import { Link, navigate } from '../router.tsx';

export function SetupPage() {
  const status = useResource(api.setupStatus);
  const [setupToken, setSetupToken] = useState('');
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const create = useAction(
    useCallback(async () => {
      await api.setup({ setup_token: setupToken.trim(), username: username.trim(), email: email.trim(), password });
      navigate('/login', { replace: true, state: { notice: 'The owner account is ready. Sign in with it.' } });
    }, [setupToken, username, email, password]),
  );
  const alreadyDone =
    status.data?.setup_required === false || (create.error instanceof ApiError && create.error.code === 'setup_done');

  if (status.data?.setup_required === false) {
    return (
      <Page narrow title="Set up Hearth">
        <Alert kind="info">This server already has an owner, so there is nothing to set up.</Alert>
        <p className="form-links">
          <Link to="/login">Go to sign-in</Link>
        </p>
      </Page>
    );
  }

  return (
    <Page
      narrow
      title="Set up Hearth"
      lead="Create the owner account. The owner manages users, libraries and security for this server."
    >
      <form onSubmit={onSubmit(create)} noValidate={false}>
        {create.message !== null && (
          <Alert kind="error">
            {create.message} {alreadyDone && <Link to="/login">Go to sign-in</Link>}
          </Alert>
        )}
        <Field
          label="Setup token"
          name="setup_token"
          required
          autoComplete="off"
          spellCheck={false}
          value={setupToken}
          onChange={(event) => setSetupToken(event.target.value)}
          hint={
            <>
              The server printed it at its first start, on the line <code>Setup token: …</code>. It works once.
            </>
          }
        />
        <Field
          label="Username"
          name="username"
          required
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          required
          autoComplete="email"
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          hint="Password resets and security notices go here."
        />
        <PasswordField
          label="Password"
          name="password"
          required
          autoComplete="new-password"
          value={password}
          onFocus={preloadStrengthMeter}
          onChange={(event) => setPassword(event.target.value)}
          after={<StrengthMeter password={password} userInputs={[username, email]} />}
        />
        <SubmitButton busy={create.busy}>Create the owner account</SubmitButton>
      </form>
    </Page>
  );
}
