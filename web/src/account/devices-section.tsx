import { useCallback, useState } from 'react';
import { api, errorText, type DeviceSession } from '../api.ts';
import { Alert, Checkbox } from '../components/form.tsx';
import { formatAgo, formatDateTime } from '../components/format.ts';
import { Icon, platformIcon } from '../components/icons.tsx';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { useReauth } from '../components/reauth.tsx';
import { Section } from '../components/section.tsx';
import { DeviceName, deviceTitle } from './device-name.tsx';
import { navigate } from '../router.tsx';
import { useSession } from '../session.tsx';

export { deviceTitle } from './device-name.tsx';

export function DevicesSection() {
  const { signOut } = useSession();
  const withReauth = useReauth();
  const devices = useResource(api.sessions);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [includeCurrent, setIncludeCurrent] = useState(false);

  const leave = useCallback((message: string) => navigate('/login', { replace: true, state: { notice: message } }), []);

  const signOutDevice = async (device: DeviceSession) => {
    setPending(device.id);
    setNotice(null);
    setFailure(null);
    try {
      if (device.current) {
        await signOut();
        leave('You signed out of this browser.');
        return;
      }
      await withReauth(() => api.revokeSession(device.id));
      setNotice(`${deviceTitle(device)} is signed out.`);
      await devices.reload();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setPending(null);
    }
  };

  const signOutAll = async () => {
    setPending('all');
    setNotice(null);
    setFailure(null);
    try {
      const { revoked } = await withReauth(() => api.revokeAllSessions({ include_current: includeCurrent }));
      if (includeCurrent) {
        await signOut().catch(() => undefined);
        leave('Every device, this browser included, is signed out.');
        return;
      }
      setConfirming(false);
      setNotice(
        revoked === 0
          ? 'No other device was signed in.'
          : `${revoked === 1 ? 'One device was' : `${revoked} devices were`} signed out. They need your password to sign in again.`,
      );
      await devices.reload();
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setPending(null);
    }
  };

  const list = devices.data ?? [];
  const others = list.filter((device) => !device.current).length;

  return (
    <Section
      id="devices"
      title="Devices"
      description="Every browser, TV and app signed in to your account. Sign out any you do not recognise, then change your password."
    >
      {notice !== null && <Alert kind="success">{notice}</Alert>}
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {devices.error !== null && <Alert kind="error">{devices.error}</Alert>}
      {devices.loading && devices.data === null ? (
        <Spinner label="Loading devices…" />
      ) : (
        <ul className="device-list" aria-label="Signed-in devices">
          {list.map((device) => (
            <li key={device.id} className={device.current ? 'device device-current' : 'device'}>
              <Icon name={platformIcon(device.platform)} className="device-icon" />
              <div className="device-body">
                <DeviceName
                  device={device}
                  badge={device.current && <span className="badge badge-accent">This device</span>}
                  onRenamed={(name) => {
                    setNotice(`The device is now called ${name}.`);
                    void devices.reload();
                  }}
                />
                <dl className="device-facts">
                  {device.platform && (
                    <div>
                      <dt>Platform</dt>
                      <dd>{device.platform}</dd>
                    </div>
                  )}
                  {device.client && (
                    <div>
                      <dt>App</dt>
                      <dd>{device.client_version ? `${device.client} ${device.client_version}` : device.client}</dd>
                    </div>
                  )}
                  <div>
                    <dt>Address</dt>
                    <dd>{device.ip ?? 'unknown'}</dd>
                  </div>
                  <div>
                    <dt>Last seen</dt>
                    <dd>
                      <time dateTime={device.last_seen_at ?? undefined} title={formatDateTime(device.last_seen_at)}>
                        {device.current ? 'now' : formatAgo(device.last_seen_at)}
                      </time>
                    </dd>
                  </div>
                  <div>
                    <dt>Signed in</dt>
                    <dd>
                      <time dateTime={device.created_at}>{formatDateTime(device.created_at)}</time>
                    </dd>
                  </div>
                </dl>
              </div>
              <button
                type="button"
                className="button-secondary"
                disabled={pending !== null}
                aria-busy={pending === device.id}
                onClick={() => void signOutDevice(device)}
              >
                Sign out<span className="visually-hidden"> {deviceTitle(device)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}

      {confirming ? (
        <div className="confirm-panel" role="group" aria-label="Sign out of all devices">
          <p>
            <strong>Sign out of all devices?</strong> {others === 1 ? 'One other device' : `${others} other devices`}{' '}
            will need your password to sign in again.
          </p>
          <Checkbox
            label="Also sign out this browser"
            checked={includeCurrent}
            onChange={(event) => setIncludeCurrent(event.target.checked)}
          />
          <div className="button-row">
            <button
              type="button"
              className="button-danger"
              disabled={pending !== null}
              aria-busy={pending === 'all'}
              onClick={() => void signOutAll()}
            >
              Sign out everywhere
            </button>
            <button type="button" className="button-secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div className="button-row">
          <button
            type="button"
            className="button-danger"
            disabled={pending !== null}
            onClick={() => setConfirming(true)}
          >
            Sign out of all devices
          </button>
        </div>
      )}
    </Section>
  );
}
