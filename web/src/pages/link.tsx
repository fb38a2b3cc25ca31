import { useCallback, useState } from 'react';
import { ApiError, errorText, formatWait } from '../api.ts';
import { linkingApi, type LinkRequest } from '../api/linking.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { formatAgo, formatDateTime } from '../components/format.ts';
import { Icon, platformIcon } from '../components/icons.tsx';
import { Page } from '../components/page.tsx';
import { Link, useLocation } from '../router.tsx';

/** What to tell a person whose code was refused: the usual causes, and the wait after too many tries. */
export function linkErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_code') {
      return 'This code is not valid, was already used, or has expired. Check the code your device shows now, or ask it for a new one.';
    }
    if (error.status === 429) {
      const wait =
        error.retryAfter !== null ? ` Try again in ${formatWait(error.retryAfter)}.` : ' Wait a while and try again.';
      return `Too many codes were tried.${wait}`;
    }
  }
  return errorText(error);
}

type Decision = { approved: boolean; device: LinkRequest };

export function LinkPage() {
  const { search } = useLocation();
  // The device's own link carries its code; the person still compares it with the screen before going on.
  const [code, setCode] = useState(() => search.get('code') ?? '');
  const [device, setDevice] = useState<LinkRequest | null>(null);
  const [decision, setDecision] = useState<Decision | null>(null);

  const lookup = useAction(
    useCallback(async () => {
      setDecision(null);
      setDevice(await linkingApi.lookup(code.trim()));
    }, [code]),
  );

  const decide = useAction(
    useCallback(
      async (approve: boolean) => {
        if (device === null) return;
        const answer = await linkingApi.decide(device.user_code, approve);
        setDecision({ approved: answer.approved, device: answer.device });
        setDevice(null);
        setCode('');
      },
      [device],
    ),
  );

  const startOver = () => {
    setDevice(null);
    setDecision(null);
    setCode('');
    lookup.clear();
    decide.clear();
  };

  return (
    <Page narrow title="Link a device" lead="Sign in a TV, console or app by entering the code it shows.">
      {decision !== null ? (
        <>
          {decision.approved ? (
            <Alert kind="success">
              <p>
                <strong>{decision.device.device_name}</strong> is now signed in to your account. It appears under{' '}
                <Link to="/account#devices">Devices</Link>, where you can sign it out at any time.
              </p>
            </Alert>
          ) : (
            <Alert kind="info">
              <p>
                <strong>{decision.device.device_name}</strong> was refused: it is not signed in. If you did not ask for
                this code, someone may be trying to get into your account; consider changing your password.
              </p>
            </Alert>
          )}
          <p className="form-links">
            <button type="button" className="button-link" onClick={startOver}>
              Link another device
            </button>
            <Link to="/">Home</Link>
          </p>
        </>
      ) : device !== null ? (
        <div className="link-request">
          <p>This device asks to sign in to your account:</p>
          <div className="device">
            <Icon name={platformIcon(device.platform)} className="device-icon" />
            <div className="device-body">
              <p className="device-name">{device.device_name}</p>
              <dl className="device-facts" aria-label="The device asking">
                <div>
                  <dt>Platform</dt>
                  <dd>{device.platform}</dd>
                </div>
                <div>
                  <dt>App</dt>
                  <dd>{device.client}</dd>
                </div>
                <div>
                  <dt>Address</dt>
                  <dd>{device.ip ?? 'unknown'}</dd>
                </div>
                <div>
                  <dt>Asked</dt>
                  <dd>
                    <time dateTime={device.created_at} title={formatDateTime(device.created_at)}>
                      {formatAgo(device.created_at)}
                    </time>
                  </dd>
                </div>
                <div>
                  <dt>Code</dt>
                  <dd className="mono">{device.user_code}</dd>
                </div>
              </dl>
            </div>
          </div>
          <p className="hint">
            Allow it only if you are setting up this device yourself, right now. Whoever holds it will watch and listen
            as you.
          </p>
          {decide.message !== null && <Alert kind="error">{linkErrorText(decide.error)}</Alert>}
          <div className="button-row">
            <button
              type="button"
              className="button-primary"
              disabled={decide.busy}
              aria-busy={decide.busy}
              onClick={() => void decide.run(true)}
            >
              Allow<span className="visually-hidden"> {device.device_name}</span>
            </button>
            <button
              type="button"
              className="button-danger"
              disabled={decide.busy}
              onClick={() => void decide.run(false)}
            >
              Deny<span className="visually-hidden"> {device.device_name}</span>
            </button>
            <button type="button" className="button-secondary" disabled={decide.busy} onClick={startOver}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={onSubmit(lookup)}>
          {lookup.message !== null && <Alert kind="error">{linkErrorText(lookup.error)}</Alert>}
          <Field
            label="Code shown on the device"
            name="user_code"
            required
            autoFocus
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            maxLength={32}
            placeholder="XXXX-XXXX"
            className="field-code"
            value={code}
            onChange={(event) => setCode(event.target.value)}
            hint="Eight letters. Dashes, spaces and case do not matter. Check that it matches the screen of your device."
          />
          <SubmitButton busy={lookup.busy} className="button-primary button-block">
            Continue
          </SubmitButton>
        </form>
      )}
    </Page>
  );
}
