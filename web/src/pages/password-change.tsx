import { useCallback, useState } from 'react';
import { ApiError } from '../api.ts';
import { factorsApi } from '../api/factors.ts';
import { Alert, onSubmit, PasswordField, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { preloadStrengthMeter, StrengthMeter } from '../components/strength-meter.tsx';
import { historyState, Link, navigate } from '../router.tsx';
import { useSession } from '../session.tsx';

/**
 * After a passkey sign-in to an account that must choose a new password (a breach response or "this wasn't
 * me"): the passkey proved who this is, so the new password is set here without a mailed link.
 */
export function PasswordChangePage() {
  const { refresh } = useSession();
  // Handed over by the sign-in page in history state, never in the address.
  const [token] = useState(() => historyState<{ changeToken?: string }>()?.changeToken ?? null);
  const [password, setPassword] = useState('');

  const change = useAction(
    useCallback(async () => {
      if (token === null) return;
      await factorsApi.completeRequiredPasswordChange({ change_token: token, new_password: password });
      await refresh();
      navigate('/account', {
        replace: true,
        state: { notice: 'Your new password is set. Every other device was signed out.' },
      });
    }, [token, password, refresh]),
  );

  if (token === null) {
    return (
      <Page narrow title="Choose a new password">
        <Alert kind="error">
          This page continues a sign-in with a passkey, and that sign-in is missing. Sign in again.
        </Alert>
        <p className="form-links">
          <Link to="/login">Back to sign-in</Link>
        </p>
      </Page>
    );
  }

  const expired = change.error instanceof ApiError && change.error.code === 'invalid_token';

  return (
    <Page narrow title="Choose a new password">
      <div className="prose">
        <p>
          <strong>
            Your passkey proved it is you, but this account must set a new password before it can be used.
          </strong>{' '}
          The server's administrator required it, usually because passwords may have been exposed in a security
          incident. Your old password no longer works anywhere.
        </p>
        <p>Choose a password you use nowhere else. Every other device signed in to your account will be signed out.</p>
      </div>
      <form onSubmit={onSubmit(change)}>
        {change.message !== null && (
          <Alert kind="error">
            {expired ? 'This step expired or was already used. Sign in with your passkey again.' : change.message}{' '}
            {expired && <Link to="/login">Back to sign-in</Link>}
          </Alert>
        )}
        <PasswordField
          label="New password"
          name="new_password"
          required
          autoComplete="new-password"
          value={password}
          onFocus={preloadStrengthMeter}
          onChange={(event) => setPassword(event.target.value)}
          after={<StrengthMeter password={password} userInputs={[]} />}
        />
        <SubmitButton busy={change.busy} className="button-primary button-block">
          Set the new password
        </SubmitButton>
      </form>
    </Page>
  );
}
