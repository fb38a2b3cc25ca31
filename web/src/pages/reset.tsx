import { useCallback, useState } from 'react';
import { api, ApiError } from '../api.ts';
import { Alert, Field, onSubmit, PasswordField, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { preloadStrengthMeter, StrengthMeter } from '../components/strength-meter.tsx';
import { Link, navigate, takeFragmentParam } from '../router.tsx';
import { useSession } from '../session.tsx';

const secondFactorCodes = new Set(['mfa_required', 'invalid_code']);

export function ResetPage() {
  const { refresh } = useSession();
  // Read once: the fragment is wiped from the address bar as soon as the page opens.
  const [token] = useState(() => takeFragmentParam('token'));
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needsCode, setNeedsCode] = useState(false);

  const confirm = useAction(
    useCallback(async () => {
      if (token === null) return;
      let username = '';
      try {
        ({ username } = await api.confirmPasswordReset({
          token,
          new_password: password,
          ...(needsCode && code.trim() !== '' ? { code: code.trim() } : {}),
        }));
      } catch (error) {
        if (error instanceof ApiError && secondFactorCodes.has(error.code)) setNeedsCode(true);
        // The server checks the code before it compares the new password with the old one: a code that got that
        // far is spent, and the next try needs a new one.
        if (error instanceof ApiError && error.code === 'password_unchanged') setCode('');
        throw error;
      }
      // A reset ends every session, this browser's included.
      await refresh();
      navigate('/login', {
        replace: true,
        // The username filled in on the sign-in page; the reset link itself never signs anyone in.
        state: {
          notice: 'Your password is changed and every device was signed out. Sign in with the new password.',
          login: username,
        },
      });
    }, [token, password, code, needsCode, refresh]),
  );

  if (token === null || token === '') {
    return (
      <Page narrow title="Reset your password">
        <Alert kind="error">
          This page opens from the link in a password-reset email. The link is missing or incomplete.
        </Alert>
        <p className="form-links">
          <Link to="/forgot">Request a new link</Link>
        </p>
      </Page>
    );
  }

  const tokenRefused = confirm.error instanceof ApiError && confirm.error.code === 'invalid_token';

  return (
    <Page
      narrow
      title="Choose a new password"
      lead="After the change, every device signed in to your account is signed out."
    >
      <form onSubmit={onSubmit(confirm)}>
        {confirm.message !== null && (
          <Alert kind="error">
            {confirm.message} {tokenRefused && <Link to="/forgot">Request a new link.</Link>}
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
        {needsCode && (
          <Field
            label="Two-step code"
            name="code"
            required
            autoComplete="one-time-code"
            autoCapitalize="none"
            spellCheck={false}
            value={code}
            onChange={(event) => setCode(event.target.value)}
            hint="Your account uses two-step sign-in: enter the 6-digit code from your authenticator app, or one of your recovery codes."
          />
        )}
        <SubmitButton busy={confirm.busy} className="button-primary button-block">
          Set the new password
        </SubmitButton>
      </form>
    </Page>
  );
}
