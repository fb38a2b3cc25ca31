import { useCallback, useState } from 'react';
import { api, errorText, type SecurityEvent } from '../api.ts';
import { EventList, eventLabel } from '../account/activity-section.tsx';
import { Alert } from '../components/form.tsx';
import { Spinner } from '../components/page.tsx';
import { Section } from '../components/section.tsx';
import { useResource } from '../components/resource.ts';

const PAGE_SIZE = 50;

// The kinds an admin filters by most; the list itself shows every kind.
const filterTypes = [
  'sign_in',
  'sign_in_failed',
  'sign_in_throttled',
  'sign_in_blocked_reset_required',
  'sessions_revoked',
  'password_changed',
  'password_reset',
  'email_changed',
  'role_changed',
  'user_disabled',
  'invite_created',
  'second_factor_failed',
  'totp_disabled',
  'passkey_removed',
  'device_link_approved',
  'breach_response_started',
  'credential_stuffing_suspected',
];

export function SecurityEventsPage() {
  const [type, setType] = useState('');
  return <EventLog key={type} type={type} onTypeChange={setType} />;
}

function EventLog({ type, onTypeChange }: { type: string; onTypeChange: (type: string) => void }) {
  const first = useResource(
    useCallback(() => api.admin.securityEvents({ limit: PAGE_SIZE, ...(type !== '' ? { type } : {}) }), [type]),
  );
  const [older, setOlder] = useState<SecurityEvent[]>([]);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [exhausted, setExhausted] = useState(false);

  const events = [...(first.data ?? []), ...older];
  const mayHaveMore = !exhausted && (first.data?.length ?? 0) === PAGE_SIZE;

  const loadOlder = async () => {
    const last = events[events.length - 1];
    if (last === undefined) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const page = await api.admin.securityEvents({
        limit: PAGE_SIZE,
        before: last.created_at,
        ...(type !== '' ? { type } : {}),
      });
      setOlder((previous) => [...previous, ...page]);
      if (page.length < PAGE_SIZE) setExhausted(true);
    } catch (error) {
      setOlderError(errorText(error));
    } finally {
      setLoadingOlder(false);
    }
  };

  return (
    <Section
      id="events"
      title="Security events"
      description="Sign-ins, failures and account changes of everyone on this server, newest first."
    >
      <div className="field field-inline">
        <label htmlFor="event-type">Show</label>
        <select id="event-type" value={type} onChange={(event) => onTypeChange(event.target.value)}>
          <option value="">Every kind of event</option>
          {filterTypes.map((value) => (
            <option key={value} value={value}>
              {eventLabel(value)}
            </option>
          ))}
        </select>
      </div>
      {first.error !== null && <Alert kind="error">{first.error}</Alert>}
      {first.loading && first.data === null ? (
        <Spinner label="Loading events…" />
      ) : (
        <EventList events={events} showUser />
      )}
      {olderError !== null && <Alert kind="error">{olderError}</Alert>}
      {mayHaveMore && (
        <div className="button-row">
          <button
            type="button"
            className="button-secondary"
            disabled={loadingOlder}
            aria-busy={loadingOlder}
            onClick={() => void loadOlder()}
          >
            Show older events
          </button>
        </div>
      )}
    </Section>
  );
}
