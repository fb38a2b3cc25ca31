import { useCallback, useState } from 'react';
import { ApiError, errorText } from '../api.ts';
import { APP_SCOPES, linkingApi, type AppPassword, type AppScope } from '../api/linking.ts';
import { CopyButton } from '../components/copy.tsx';
import { Alert, Checkbox, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { formatAgo, formatDateTime } from '../components/format.ts';
import { Icon } from '../components/icons.tsx';
import { Spinner } from '../components/page.tsx';
import { useReauth } from '../components/reauth.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { Link } from '../router.tsx';

export const scopeLabels: Record<AppScope, { label: string; hint: string }> = {
  'media:read': { label: 'Browse libraries', hint: 'See your libraries, titles, artwork and progress.' },
  'media:stream': { label: 'Play media', hint: 'Stream and download what you may watch or hear.' },
  'account:read': { label: 'Read account details', hint: 'Your name and email address. Nothing can be changed.' },
  subsonic: {
    label: 'Music apps (Subsonic)',
    hint: 'For Subsonic apps (Symfonium, DSub, Feishin…): browse and play music, stars, playlists. Use this password, never your account password, in the app.',
  },
};

const scopeOrder: AppScope[] = ['media:read', 'media:stream', 'subsonic', 'account:read'];

export function AppPasswordsSection() {
  const withReauth = useReauth();
  const passwords = useResource(linkingApi.appPasswords);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Set<AppScope>>(() => new Set<AppScope>(['media:read', 'media:stream']));
  const [created, setCreated] = useState<{ password: string; app_password: AppPassword } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);

  const create = useAction(
    useCallback(async () => {
      setCreated(null);
      setNotice(null);
      setFailure(null);
      const chosen = APP_SCOPES.filter((scope) => scopes.has(scope));
      if (chosen.length === 0) throw new ApiError(0, 'invalid_body', 'Choose at least one thing the app may do.', null);
      setCreated(await withReauth(() => linkingApi.createAppPassword({ name: name.trim(), scopes: chosen })));
      setName('');
      await passwords.reload();
    }, [name, scopes, passwords, withReauth]),
  );

  const revoke = async (entry: AppPassword) => {
    setRevoking(entry.id);
    setNotice(null);
    setFailure(null);
    try {
      await withReauth(() => linkingApi.revokeAppPassword(entry.id));
      if (created?.app_password.id === entry.id) setCreated(null);
      setNotice(`“${entry.name}” is revoked. The app using it is signed out.`);
      await passwords.reload();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setRevoking(null);
    }
  };

  const toggle = (scope: AppScope, on: boolean) =>
    setScopes((previous) => {
      const next = new Set(previous);
      if (on) next.add(scope);
      else next.delete(scope);
      return next;
    });

  const list = passwords.data ?? [];

  return (
    <Section
      id="app-passwords"
      title="App passwords"
      description={
        <>
          For apps that cannot show a code to link with: each gets its own password, limited to what you allow, and can
          be revoked alone. A TV that shows a code is linked at <Link to="/link">Link a device</Link> instead.
        </>
      }
    >
      {passwords.error !== null && <Alert kind="error">{passwords.error}</Alert>}
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {notice !== null && <Alert kind="success">{notice}</Alert>}

      {created !== null && (
        <div className="secret-panel" role="group" aria-label="New app password">
          <p>
            The password for <strong>{created.app_password.name}</strong>. Enter it in the app now:{' '}
            <strong>it is shown only once.</strong>
          </p>
          <div className="input-with-button">
            <input
              aria-label="App password"
              readOnly
              value={created.password}
              onFocus={(event) => event.target.select()}
              className="mono"
            />
            <CopyButton text={created.password} what="(app password)" />
          </div>
          <div className="button-row">
            <button type="button" className="button-secondary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}

      {passwords.loading && passwords.data === null ? (
        <Spinner label="Loading app passwords…" />
      ) : list.length === 0 ? (
        <p className="muted">No app password.</p>
      ) : (
        <ul className="device-list" aria-label="Your app passwords">
          {list.map((entry) => (
            <li key={entry.id} className="device">
              <Icon name="device" className="device-icon" />
              <div className="device-body">
                <p className="device-name">{entry.name}</p>
                <dl className="device-facts">
                  <div>
                    <dt>Allows</dt>
                    <dd>
                      {scopeOrder
                        .filter((scope) => entry.scopes.includes(scope))
                        .map((scope) => scopeLabels[scope].label)
                        .join(', ')}
                    </dd>
                  </div>
                  <div>
                    <dt>Last used</dt>
                    <dd>
                      {entry.last_used_at === null ? (
                        'never'
                      ) : (
                        <>
                          <time dateTime={entry.last_used_at} title={formatDateTime(entry.last_used_at)}>
                            {formatAgo(entry.last_used_at)}
                          </time>
                          {entry.last_used_ip !== null && <> from {entry.last_used_ip}</>}
                        </>
                      )}
                    </dd>
                  </div>
                  <div>
                    <dt>Created</dt>
                    <dd>
                      <time dateTime={entry.created_at}>{formatDateTime(entry.created_at)}</time>
                    </dd>
                  </div>
                  <div>
                    <dt>Expires</dt>
                    <dd>
                      <time dateTime={entry.expires_at}>{formatDateTime(entry.expires_at)}</time>
                    </dd>
                  </div>
                </dl>
              </div>
              <button
                type="button"
                className="button-danger button-small"
                disabled={revoking !== null}
                aria-busy={revoking === entry.id}
                onClick={() => void revoke(entry)}
              >
                Revoke<span className="visually-hidden"> {entry.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}

      <form onSubmit={onSubmit(create)} className="form-grid form-add">
        <h3>Create an app password</h3>
        {create.message !== null && <Alert kind="error">{create.message}</Alert>}
        <Field
          label="App name"
          name="app_name"
          required
          maxLength={100}
          autoComplete="off"
          placeholder="e.g. Music player on my phone"
          value={name}
          onChange={(event) => setName(event.target.value)}
        />
        <fieldset className="fieldset">
          <legend>The app may</legend>
          {scopeOrder.map((scope) => (
            <Checkbox
              key={scope}
              label={scopeLabels[scope].label}
              hint={scopeLabels[scope].hint}
              checked={scopes.has(scope)}
              onChange={(event) => toggle(scope, event.target.checked)}
            />
          ))}
          <p className="hint">App passwords never change your password, security settings or devices.</p>
        </fieldset>
        <div className="form-actions">
          <SubmitButton busy={create.busy}>Create app password</SubmitButton>
        </div>
      </form>
    </Section>
  );
}
