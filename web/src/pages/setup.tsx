import { useCallback, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { NewAccountFields } from '../components/new-account-fields.tsx';
import { Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';

export function SetupPage() {
  const { refresh } = useSession();
  const status = useResource(api.setupStatus);
  const [setupToken, setSetupToken] = useState('');
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const create = useAction(
    useCallback(async () => {
      const answer = await api.setup({
        setup_token: setupToken.trim(),
        username: username.trim(),
        email: email.trim(),
        password,
      });
      if (answer.signed_in && (await refresh()) !== null) {
        navigate('/', { replace: true });
        return;
      }
      navigate('/login', {
        replace: true,
        state: { notice: 'The owner account is ready. Sign in with it.', login: username.trim() },
      });
    }, [setupToken, username, email, password, refresh]),
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
        <NewAccountFields
          value={{ username, email, password }}
          onChange={(next) => {
            setUsername(next.username);
            setEmail(next.email);
            setPassword(next.password);
          }}
        />
        <SubmitButton busy={create.busy}>Create the owner account</SubmitButton>
      </form>
    </Page>
  );
}
