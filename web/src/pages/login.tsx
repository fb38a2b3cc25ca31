import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type MfaChallenge } from '../api.ts';
import { factorsApi } from '../api/factors.ts';
import { Alert, Field, onSubmit, PasswordField, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { assertPasskey, passkeysSupported } from '../components/passkey.ts';
import { safeNext } from '../paths.ts';
import { historyState, Link, navigate, useLocation } from '../router.tsx';
import { useSession } from '../session.tsx';

export function LoginPage() {
  const { search } = useLocation();
  const { state, refresh } = useSession();
  const next = safeNext(search.get('next'));
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);
  const [expiredNotice, setExpiredNotice] = useState<string | null>(null);
  const [restarted, setRestarted] = useState(false);
  const notice = historyState<{ notice?: string }>()?.notice ?? null;
  const ended = state.status === 'signed-out' && state.ended;

  useEffect(() => {
    // A server without an owner has nobody to sign in: its first visitor belongs on the setup page.
    let active = true;
    api.setupStatus().then(
      (status) => {
        if (active && status.setup_required) navigate('/setup', { replace: true });
      },
      () => undefined,
    );
    return () => {
      active = false;
    };
  }, []);

  const finish = useCallback(async () => {
    await refresh();
    // The server's policy may require a second factor this account lacks: everything else would be refused.
    const factors = await factorsApi.status().catch(() => null);
    navigate(factors?.enrollment_required ? '/account#two-factor' : next, { replace: true });
  }, [refresh, next]);

  return (
    <Page narrow title={challenge === null ? 'Sign in' : 'Two-step sign-in'}>
      {challenge === null ? (
        <>
          {expiredNotice !== null && <Alert kind="error">{expiredNotice}</Alert>}
          {expiredNotice === null && !restarted && notice !== null && <Alert kind="success">{notice}</Alert>}
          {expiredNotice === null && !restarted && notice === null && ended && (
            <Alert kind="info">
              This browser was signed out: the session ended on another device or expired. Sign in again to continue.
            </Alert>
          )}
          <CredentialsForm
            onSignedIn={finish}
            onChallenge={(started) => {
              setExpiredNotice(null);
              setChallenge(started);
            }}
          />
        </>
      ) : (
        <SecondFactorForm
          challenge={challenge}
          onSignedIn={finish}
          onRestart={(message) => {
            setChallenge(null);
            setRestarted(true);
            setExpiredNotice(message);
          }}
        />
      )}
    </Page>
  );
}

function CredentialsForm({
  onSignedIn,
  onChallenge,
}: {
  onSignedIn: () => Promise<void>;
  onChallenge: (c: MfaChallenge) => void;
}) {
  // After a reset, an invitation or setup, the sign-in page knows the name: only the password is left to type.
  const [login, setLogin] = useState(() => historyState<{ login?: string }>()?.login ?? '');
  const [password, setPassword] = useState('');
  const nameKnown = login !== '';

  const signIn = useAction(
    useCallback(async () => {
      try {
        const result = await api.login({ login: login.trim(), password });
        if (result.kind === 'mfa') onChallenge(result.challenge);
        else await onSignedIn();
      } catch (error) {
        if (error instanceof ApiError && error.code === 'password_reset_required') {
          navigate('/reset-required', { state: { login: login.trim() } });
          return;
        }
        throw error;
      }
    }, [login, password, onChallenge, onSignedIn]),
  );

  return (
    <>
      <form onSubmit={onSubmit(signIn)}>
        {signIn.message !== null && <Alert kind="error">{signIn.message}</Alert>}
        <Field
          label="Username or email"
          name="login"
          required
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          autoFocus={!nameKnown}
          value={login}
          onChange={(event) => setLogin(event.target.value)}
        />
        <PasswordField
          label="Password"
          name="password"
          required
          autoComplete="current-password"
          autoFocus={nameKnown}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <SubmitButton busy={signIn.busy} className="button-primary button-block">
          Sign in
        </SubmitButton>
        <p className="form-links">
          <Link to="/forgot">Forgot your password?</Link>
        </p>
      </form>
      {passkeysSupported() && <PasskeySignIn onSignedIn={onSignedIn} />}
    </>
  );
}

/** A sign-in without a username: the browser offers the passkeys it holds for this server. */
function PasskeySignIn({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const passkey = useAction(
    useCallback(async () => {
      const response = await assertPasskey(await factorsApi.signInOptions());
      const result = await factorsApi.signInWithPasskey(response);
      if (result.kind === 'password-change') {
        // The token travels in history state: never in the address, where it would land in logs and history.
        navigate('/password-change', { state: { changeToken: result.changeToken } });
        return;
      }
      await onSignedIn();
    }, [onSignedIn]),
  );

  return (
    <div className="alternative" role="group" aria-label="Other ways to sign in">
      <p className="divider">
        <span>or</span>
      </p>
      {passkey.message !== null && <Alert kind="error">{passkey.message}</Alert>}
      <button
        type="button"
        className="button-secondary button-block"
        disabled={passkey.busy}
        aria-busy={passkey.busy}
        onClick={() => void passkey.run()}
      >
        {passkey.busy && <span className="spinner" aria-hidden="true" />}
        Sign in with a passkey
      </button>
    </div>
  );
}

type StepMethod = 'totp' | 'recovery_code' | 'passkey';

const switchLabels: Record<StepMethod, string> = {
  totp: 'Use the code from your app instead',
  recovery_code: 'Use a recovery code instead',
  passkey: 'Use a passkey instead',
};

function SecondFactorForm({
  challenge,
  onSignedIn,
  onRestart,
}: {
  challenge: MfaChallenge;
  onSignedIn: () => Promise<void>;
  onRestart: (message: string | null) => void;
}) {
  const offered = (['totp', 'passkey', 'recovery_code'] as const).filter(
    (method) => challenge.methods.includes(method) && (method !== 'passkey' || passkeysSupported()),
  );
  const [method, setMethod] = useState<StepMethod | undefined>(offered[0]);
  const [code, setCode] = useState('');

  const expired = useCallback(
    (error: unknown) => {
      // The step has a short life; once it is over, only the password can start a new one.
      if (error instanceof ApiError && (error.code === 'invalid_token' || error.code === 'unauthorized')) {
        onRestart('The sign-in step expired. Enter your password again.');
        return true;
      }
      return false;
    },
    [onRestart],
  );

  const verify = useAction(
    useCallback(async () => {
      const value = code.trim();
      try {
        const result =
          method === 'recovery_code'
            ? await api.loginMfa({ mfa_token: challenge.mfa_token, recovery_code: value })
            : await api.loginMfa({ mfa_token: challenge.mfa_token, code: value.replace(/\s+/g, '') });
        if (result.kind === 'signed-in') await onSignedIn();
      } catch (error) {
        if (expired(error)) return;
        setCode('');
        throw error;
      }
    }, [challenge, code, method, onSignedIn, expired]),
  );

  const passkey = useAction(
    useCallback(async () => {
      try {
        const response = await assertPasskey(await factorsApi.stepOptions(challenge.mfa_token));
        await factorsApi.completeStepWithPasskey(challenge.mfa_token, response);
        await onSignedIn();
      } catch (error) {
        if (expired(error)) return;
        throw error;
      }
    }, [challenge, onSignedIn, expired]),
  );

  const others = (
    <div className="form-links">
      {offered
        .filter((other) => other !== method)
        .map((other) => (
          <button
            key={other}
            type="button"
            className="button-link"
            onClick={() => {
              setMethod(other);
              setCode('');
              verify.clear();
              passkey.clear();
            }}
          >
            {switchLabels[other]}
          </button>
        ))}
      <button type="button" className="button-link" onClick={() => onRestart(null)}>
        Start over
      </button>
    </div>
  );

  if (method === undefined) {
    return (
      <>
        <Alert kind="error">
          This account's second step is one this page cannot offer. Sign in from a device where you use it.
        </Alert>
        {others}
      </>
    );
  }

  if (method === 'passkey') {
    return (
      <div className="stack-small">
        <p>
          Use the passkey you added to your account: your browser asks for your fingerprint, face, PIN or security key.
        </p>
        {passkey.message !== null && <Alert kind="error">{passkey.message}</Alert>}
        <button
          type="button"
          className="button-primary button-block"
          autoFocus
          disabled={passkey.busy}
          aria-busy={passkey.busy}
          onClick={() => void passkey.run()}
        >
          {passkey.busy && <span className="spinner" aria-hidden="true" />}
          Use your passkey
        </button>
        {others}
      </div>
    );
  }

  return (
    <form onSubmit={onSubmit(verify)}>
      {verify.message !== null && <Alert kind="error">{verify.message}</Alert>}
      {method === 'recovery_code' ? (
        <Field
          key="recovery"
          label="Recovery code"
          name="recovery_code"
          required
          autoFocus
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={code}
          onChange={(event) => setCode(event.target.value)}
          hint="One of the codes you saved when you turned on two-step sign-in. Each works once."
        />
      ) : (
        <Field
          key="totp"
          label="Code from your authenticator app"
          name="code"
          required
          autoFocus
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          maxLength={7}
          value={code}
          onChange={(event) => setCode(event.target.value)}
          hint="The 6-digit code your app shows for Hearth."
        />
      )}
      <SubmitButton busy={verify.busy} className="button-primary button-block">
        Verify
      </SubmitButton>
      {others}
    </form>
  );
}
