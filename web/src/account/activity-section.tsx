import { api, type SecurityEvent } from '../api.ts';
import { Alert } from '../components/form.tsx';
import { formatAgo, formatDateTime, humanize } from '../components/format.ts';
import { Icon } from '../components/icons.tsx';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';

const eventLabels: Record<string, string> = {
  setup: 'Server set up',
  user_created: 'Account created',
  sign_in: 'Signed in',
  sign_in_failed: 'Failed sign-in attempt',
  sign_in_throttled: 'Sign-in attempts slowed down',
  sign_in_blocked_reset_required: 'Sign-in refused: a new password is required',
  sign_out: 'Signed out',
  sessions_revoked: 'Devices signed out',
  password_changed: 'Password changed',
  password_reset_requested: 'Password reset requested',
  password_reset: 'Password reset',
  email_changed: 'Email address changed',
  email_verified: 'Email address verified',
  role_changed: 'Role changed',
  user_disabled: 'Account disabled',
  user_enabled: 'Account enabled',
  invite_created: 'Invite created',
  invite_revoked: 'Invite revoked',
  reauthenticated: 'Password confirmed',
  reauth_failed: 'Password confirmation failed',
  profile_changed: 'Profile updated',
  not_me_reported: '"This wasn\'t me" reported',
  sign_in_second_factor_asked: 'Password accepted, second step asked',
  second_factor_failed: 'Wrong two-step code or passkey',
  sign_in_password_change_required: 'Signed in with a passkey: new password required',
  password_reset_code_failed: 'Password reset refused: wrong two-step code',
  totp_enabled: 'Authenticator app turned on',
  totp_disabled: 'Authenticator app removed',
  recovery_codes_regenerated: 'New recovery codes made',
  recovery_code_used: 'Recovery code used',
  passkey_added: 'Passkey added',
  passkey_renamed: 'Passkey renamed',
  passkey_removed: 'Passkey removed',
  app_password_created: 'App password created',
  app_password_revoked: 'App password revoked',
  device_link_requested: 'Device link code entered',
  device_link_approved: 'Device link approved',
  device_link_denied: 'Device link denied',
  device_link_code_rejected: 'Wrong device link code',
  device_linked: 'Device linked',
  require_2fa_changed: 'Two-step policy changed',
  breach_response_started: 'Breach response started',
  breach_response_flagged: 'New password required (breach response)',
  password_key_rotated: 'Password key replaced',
  credential_stuffing_suspected: 'Credential stuffing suspected',
};

/** Events that deserve a second look from the account's owner. */
const alarming = new Set([
  'sign_in_failed',
  'sign_in_throttled',
  'sign_in_blocked_reset_required',
  'reauth_failed',
  'second_factor_failed',
  'password_reset_code_failed',
  'device_link_code_rejected',
  'breach_response_flagged',
  'credential_stuffing_suspected',
]);

export function eventLabel(type: string): string {
  return eventLabels[type] ?? humanize(type);
}

/** A short phrase from an event's details, for the few kinds whose details people care about. */
export function eventDetail(event: SecurityEvent): string | null {
  const detail = event.detail;
  if (detail === null) return null;
  const parts: string[] = [];
  if (typeof detail.from === 'string' && typeof detail.to === 'string') parts.push(`${detail.from} → ${detail.to}`);
  if (typeof detail.count === 'number') parts.push(`${detail.count} device${detail.count === 1 ? '' : 's'}`);
  if (typeof detail.reason === 'string') parts.push(humanize(detail.reason).toLowerCase());
  if (typeof detail.name === 'string') parts.push(`“${detail.name}”`);
  if (typeof detail.device_name === 'string') parts.push(detail.device_name);
  if (typeof detail.by === 'string') parts.push(`by ${detail.by}`);
  return parts.length > 0 ? parts.join(', ') : null;
}

export function EventList({ events, showUser = false }: { events: SecurityEvent[]; showUser?: boolean }) {
  if (events.length === 0) return <p className="muted">Nothing recorded yet.</p>;
  return (
    <ol className="event-list">
      {events.map((event) => {
        const detail = eventDetail(event);
        const warn = alarming.has(event.type);
        return (
          <li key={event.id} className={warn ? 'event event-warning' : 'event'}>
            <Icon name={warn ? 'alert' : 'shield'} className="event-icon" />
            <div>
              <p className="event-title">
                {eventLabel(event.type)}
                {showUser && event.username && <span className="muted"> · {event.username}</span>}
                {detail !== null && <span className="muted"> · {detail}</span>}
              </p>
              <p className="event-meta">
                <time dateTime={event.created_at} title={formatDateTime(event.created_at)}>
                  {formatAgo(event.created_at)}
                </time>
                {event.device && <> · {event.device}</>}
                {event.ip && <> · {event.ip}</>}
              </p>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

export function ActivitySection() {
  const events = useResource(api.securityEvents);
  return (
    <Section
      id="activity"
      title="Recent security activity"
      description="Sign-ins and changes to your account. If something here was not you, sign out of all devices and change your password."
    >
      {events.error !== null && <Alert kind="error">{events.error}</Alert>}
      {events.loading && events.data === null ? (
        <Spinner label="Loading activity…" />
      ) : (
        <EventList events={events.data ?? []} />
      )}
    </Section>
  );
}
