import { useCallback, useState } from 'react';
import { errorText } from '../api.ts';
import { factorsApi, type Passkey } from '../api/factors.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { formatAgo, formatDateTime } from '../components/format.ts';
import { Icon } from '../components/icons.tsx';
import { Spinner } from '../components/page.tsx';
import { createPasskey, passkeysSupported } from '../components/passkey.ts';
import { useReauth } from '../components/reauth.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { notifyFactorsChanged } from './factor-events.ts';
import { RecoveryCodesPanel } from './recovery-codes.tsx';

export function PasskeysSection() {
  const withReauth = useReauth();
  const passkeys = useResource(factorsApi.passkeys);
  const [name, setName] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const supported = passkeysSupported();

  const add = useAction(
    useCallback(async () => {
      setNotice(null);
      setFailure(null);
      const chosen = name.trim();
      // The whole ceremony is repeated after a password prompt: its challenge belongs to the refused attempt.
      const result = await withReauth(async () => {
        const options = await factorsApi.registrationOptions();
        const response = await createPasskey(options);
        return factorsApi.registerPasskey({ response, ...(chosen !== '' ? { name: chosen } : {}) });
      });
      setName('');
      setNotice(`The passkey “${result.passkey.name}” is added. You can sign in with it without typing your password.`);
      if (result.recovery_codes !== null) setCodes(result.recovery_codes);
      await passkeys.reload();
      notifyFactorsChanged();
    }, [name, passkeys, withReauth]),
  );

  const changed = async (message: string) => {
    setNotice(message);
    setFailure(null);
    await passkeys.reload();
    notifyFactorsChanged();
  };

  const list = passkeys.data ?? [];

  return (
    <Section
      id="passkeys"
      title="Passkeys"
      description="A passkey lives in your phone, computer or security key and is unlocked with your fingerprint, face or PIN. It cannot be phished, and it signs you in without a password."
    >
      {passkeys.error !== null && <Alert kind="error">{passkeys.error}</Alert>}
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {notice !== null && <Alert kind="success">{notice}</Alert>}
      {codes !== null && <RecoveryCodesPanel codes={codes} onDone={() => setCodes(null)} />}
      {passkeys.loading && passkeys.data === null ? (
        <Spinner label="Loading passkeys…" />
      ) : list.length === 0 ? (
        <p className="muted">No passkey yet.</p>
      ) : (
        <ul className="device-list" aria-label="Your passkeys">
          {list.map((passkey) => (
            <PasskeyItem
              key={passkey.id}
              passkey={passkey}
              onChanged={(message) => void changed(message)}
              onFailed={(message) => {
                setNotice(null);
                setFailure(message);
              }}
            />
          ))}
        </ul>
      )}

      {supported ? (
        <form onSubmit={onSubmit(add)} className="form-inline form-add">
          {add.message !== null && <Alert kind="error">{add.message}</Alert>}
          <Field
            label="Name (optional)"
            name="passkey_name"
            autoComplete="off"
            maxLength={100}
            placeholder="e.g. Work laptop"
            value={name}
            onChange={(event) => setName(event.target.value)}
            hint="To tell your passkeys apart later."
          />
          <div className="form-actions">
            <SubmitButton busy={add.busy}>Add a passkey</SubmitButton>
          </div>
        </form>
      ) : (
        <Alert kind="info">This browser cannot create passkeys. Open Hearth in a current browser to add one.</Alert>
      )}
    </Section>
  );
}

function PasskeyItem({
  passkey,
  onChanged,
  onFailed,
}: {
  passkey: Passkey;
  onChanged: (message: string) => void;
  onFailed: (message: string) => void;
}) {
  const withReauth = useReauth();
  const [mode, setMode] = useState<'view' | 'rename' | 'remove'>('view');
  const [name, setName] = useState(passkey.name);
  const [busy, setBusy] = useState(false);

  const act = async (perform: () => Promise<string>) => {
    setBusy(true);
    try {
      const message = await perform();
      setMode('view');
      onChanged(message);
    } catch (error) {
      onFailed(errorText(error));
    } finally {
      setBusy(false);
    }
  };

  const rename = () =>
    act(async () => {
      const renamed = await factorsApi.renamePasskey(passkey.id, name.trim());
      return `The passkey is now called “${renamed.name}”.`;
    });

  const remove = () =>
    act(async () => {
      await withReauth(() => factorsApi.removePasskey(passkey.id));
      return `The passkey “${passkey.name}” is removed. It no longer signs you in.`;
    });

  return (
    <li className="device">
      <Icon name="key" className="device-icon" />
      <div className="device-body">
        {mode === 'rename' ? (
          <form
            className="form-rename"
            onSubmit={(event) => {
              event.preventDefault();
              if (!busy && name.trim() !== '') void rename();
            }}
          >
            <Field
              label="Passkey name"
              name="name"
              required
              autoFocus
              maxLength={100}
              value={name}
              onChange={(event) => setName(event.target.value)}
            />
            <div className="button-row">
              <button type="submit" className="button-primary button-small" disabled={busy} aria-busy={busy}>
                Save
              </button>
              <button
                type="button"
                className="button-secondary button-small"
                onClick={() => {
                  setName(passkey.name);
                  setMode('view');
                }}
              >
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <p className="device-name">
            {passkey.name} {passkey.backed_up && <span className="badge">Synced</span>}
          </p>
        )}
        <dl className="device-facts">
          <div>
            <dt>Added</dt>
            <dd>
              <time dateTime={passkey.created_at}>{formatDateTime(passkey.created_at)}</time>
            </dd>
          </div>
          <div>
            <dt>Last used</dt>
            <dd>
              {passkey.last_used_at === null ? (
                'never'
              ) : (
                <time dateTime={passkey.last_used_at} title={formatDateTime(passkey.last_used_at)}>
                  {formatAgo(passkey.last_used_at)}
                </time>
              )}
            </dd>
          </div>
        </dl>
        {mode === 'remove' && (
          <div className="confirm-panel" role="group" aria-label={`Remove ${passkey.name}`}>
            <p>
              <strong>Remove “{passkey.name}”?</strong> Also delete it from the device or password manager that holds
              it.
            </p>
            <div className="button-row">
              <button
                type="button"
                className="button-danger button-small"
                disabled={busy}
                aria-busy={busy}
                onClick={() => void remove()}
              >
                Remove
              </button>
              <button type="button" className="button-secondary button-small" onClick={() => setMode('view')}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </div>
      {mode === 'view' && (
        <div className="item-actions">
          <button type="button" className="button-secondary button-small" onClick={() => setMode('rename')}>
            Rename<span className="visually-hidden"> {passkey.name}</span>
          </button>
          <button type="button" className="button-danger button-small" onClick={() => setMode('remove')}>
            Remove<span className="visually-hidden"> {passkey.name}</span>
          </button>
        </div>
      )}
    </li>
  );
}
