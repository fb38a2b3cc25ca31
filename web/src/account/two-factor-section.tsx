import { useCallback, useState } from 'react';
import { errorText } from '../api.ts';
import { factorsApi, type FactorStatus, type TotpEnrolment } from '../api/factors.ts';
import { CopyButton } from '../components/copy.tsx';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Spinner } from '../components/page.tsx';
import { useReauth } from '../components/reauth.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { notifyFactorsChanged, useFactorsChanged } from './factor-events.ts';
import { RecoveryCodesPanel } from './recovery-codes.tsx';

/** The server's QR code as an image: an SVG inside <img> cannot run scripts, and needs no markup injection. */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** ABCD EFGH …: easier to read out and type by hand. */
export function groupSecret(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(' ');
}

export function hasSecondFactor(status: FactorStatus): boolean {
  return status.totp_enabled || status.passkeys > 0;
}

export function TwoFactorSection() {
  const withReauth = useReauth();
  const status = useResource(factorsApi.status);
  useFactorsChanged(() => void status.reload());
  const [setup, setSetup] = useState<TotpEnrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [pending, setPending] = useState<'start' | 'remove' | 'regenerate' | null>(null);
  const [confirming, setConfirming] = useState<'remove' | 'regenerate' | null>(null);

  const run = async (what: 'start' | 'remove' | 'regenerate', perform: () => Promise<void>) => {
    setPending(what);
    setNotice(null);
    setFailure(null);
    try {
      await perform();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setPending(null);
    }
  };

  const start = () =>
    run('start', async () => {
      setSetup(await withReauth(factorsApi.startTotp));
    });

  const remove = () =>
    run('remove', async () => {
      await withReauth(factorsApi.removeTotp);
      setConfirming(null);
      setNotice('The authenticator app is removed. Its codes no longer sign you in.');
      notifyFactorsChanged();
    });

  const regenerate = () =>
    run('regenerate', async () => {
      const answer = await withReauth(factorsApi.regenerateRecoveryCodes);
      setConfirming(null);
      setCodes(answer.recovery_codes);
      notifyFactorsChanged();
    });

  const data = status.data;

  return (
    <Section
      id="two-factor"
      title="Two-step sign-in"
      description="After your password, Hearth also asks for a code from an authenticator app on your phone, or for a passkey. A stolen password alone then opens nothing."
    >
      {status.error !== null && <Alert kind="error">{status.error}</Alert>}
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {notice !== null && <Alert kind="success">{notice}</Alert>}
      {data === null ? (
        status.loading && <Spinner label="Loading two-step sign-in…" />
      ) : codes !== null ? (
        <RecoveryCodesPanel
          codes={codes}
          onDone={() => {
            setCodes(null);
            setNotice(data.totp_enabled || data.passkeys > 0 ? 'Two-step sign-in is on.' : null);
          }}
        />
      ) : setup !== null ? (
        <TotpEnrolmentForm
          setup={setup}
          onEnabled={(recoveryCodes) => {
            setSetup(null);
            setCodes(recoveryCodes);
            notifyFactorsChanged();
          }}
          onCancel={() => setSetup(null)}
        />
      ) : (
        <>
          {data.enrollment_required ? (
            <Alert kind="info">
              The administrator of this server requires two-step sign-in for your account. Set up an authenticator app
              or add a passkey below; the rest of Hearth opens as soon as one works.
            </Alert>
          ) : (
            data.required && (
              <p className="hint">This server requires two-step sign-in for your account: keep at least one method.</p>
            )
          )}
          <dl className="facts" aria-label="Two-step sign-in status">
            <div>
              <dt>Authenticator app</dt>
              <dd>
                {data.totp_enabled ? <span className="badge badge-ok">On</span> : <span className="badge">Off</span>}
              </dd>
            </div>
            <div>
              <dt>Passkeys</dt>
              <dd>{data.passkeys === 0 ? 'None' : data.passkeys}</dd>
            </div>
            {hasSecondFactor(data) && (
              <div>
                <dt>Recovery codes</dt>
                <dd>
                  {data.recovery_codes_remaining} left
                  {data.recovery_codes_remaining <= 3 && <span className="badge badge-warning">Running low</span>}
                </dd>
              </div>
            )}
          </dl>

          {confirming === 'remove' ? (
            <div className="confirm-panel" role="group" aria-label="Remove the authenticator app">
              <p>
                <strong>Remove the authenticator app?</strong>{' '}
                {data.passkeys > 0
                  ? 'You will still sign in with a passkey, and your recovery codes keep working.'
                  : data.required
                    ? 'This server requires two-step sign-in: you will have to set up another method before you can go on, and your recovery codes stop working.'
                    : 'Your password alone will sign you in again, and your recovery codes stop working.'}
              </p>
              <div className="button-row">
                <button
                  type="button"
                  className="button-danger"
                  disabled={pending !== null}
                  aria-busy={pending === 'remove'}
                  onClick={() => void remove()}
                >
                  Remove the app
                </button>
                <button type="button" className="button-secondary" onClick={() => setConfirming(null)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : confirming === 'regenerate' ? (
            <div className="confirm-panel" role="group" aria-label="Get new recovery codes">
              <p>
                <strong>Get ten new recovery codes?</strong> The {data.recovery_codes_remaining} codes you have now stop
                working at once.
              </p>
              <div className="button-row">
                <button
                  type="button"
                  className="button-danger"
                  disabled={pending !== null}
                  aria-busy={pending === 'regenerate'}
                  onClick={() => void regenerate()}
                >
                  Replace my codes
                </button>
                <button type="button" className="button-secondary" onClick={() => setConfirming(null)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <div className="button-row">
              {data.totp_enabled ? (
                <button
                  type="button"
                  className="button-secondary"
                  disabled={pending !== null}
                  onClick={() => setConfirming('remove')}
                >
                  Remove the authenticator app
                </button>
              ) : (
                <button
                  type="button"
                  className="button-primary"
                  disabled={pending !== null}
                  aria-busy={pending === 'start'}
                  onClick={() => void start()}
                >
                  Set up an authenticator app
                </button>
              )}
              {hasSecondFactor(data) && (
                <button
                  type="button"
                  className="button-secondary"
                  disabled={pending !== null}
                  onClick={() => setConfirming('regenerate')}
                >
                  Get new recovery codes
                </button>
              )}
            </div>
          )}
        </>
      )}
    </Section>
  );
}

function TotpEnrolmentForm({
  setup,
  onEnabled,
  onCancel,
}: {
  setup: TotpEnrolment;
  onEnabled: (recoveryCodes: string[]) => void;
  onCancel: () => void;
}) {
  const withReauth = useReauth();
  const [code, setCode] = useState('');

  const confirm = useAction(
    useCallback(async () => {
      try {
        const answer = await withReauth(() => factorsApi.confirmTotp(code.replace(/\s+/g, '')));
        onEnabled(answer.recovery_codes);
      } catch (error) {
        setCode('');
        throw error;
      }
    }, [code, onEnabled, withReauth]),
  );

  return (
    <div className="enrolment">
      <ol className="steps">
        <li>
          <h3>Scan this code with your authenticator app</h3>
          <p className="hint">
            Any app that makes 6-digit codes works: Aegis, 2FAS, Google Authenticator, 1Password, Bitwarden and others.
          </p>
          <img
            className="qr"
            src={svgDataUrl(setup.qr_svg)}
            width={200}
            height={200}
            alt="QR code to scan with your authenticator app"
          />
          <p className="hint">Cannot scan? Type this key into the app as a time-based key:</p>
          <div className="secret-line">
            <code className="secret" aria-label="Setup key">
              {groupSecret(setup.secret)}
            </code>
            <CopyButton text={setup.secret} label="Copy key" />
          </div>
          <p className="hint">
            On this phone? <a href={setup.otpauth_uri}>Open the key in your authenticator app</a>.
          </p>
        </li>
        <li>
          <h3>Enter the code the app shows</h3>
          <form onSubmit={onSubmit(confirm)} className="form-grid">
            {confirm.message !== null && <Alert kind="error">{confirm.message}</Alert>}
            <Field
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
              hint="The code changes every 30 seconds; any current one works."
            />
            <div className="form-actions">
              <SubmitButton busy={confirm.busy}>Turn on two-step sign-in</SubmitButton>
              <button type="button" className="button-secondary" onClick={onCancel}>
                Cancel
              </button>
            </div>
          </form>
        </li>
      </ol>
    </div>
  );
}
