import { breachApi, type SecurityAlert } from '../api/breach.ts';
import { Alert } from '../components/form.tsx';
import { formatAgo, formatDateTime } from '../components/format.ts';
import { Icon } from '../components/icons.tsx';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { Link } from '../router.tsx';

export function alertTitle(alert: SecurityAlert): string {
  if (alert.kind !== 'credential_stuffing') return alert.kind;
  return alert.address !== null
    ? `Many failed sign-ins from ${alert.address}`
    : 'Unusually many failed sign-ins across the server';
}

export function alertSummary(alert: SecurityAlert): string {
  const accounts = `${alert.accounts} account${alert.accounts === 1 ? '' : 's'}`;
  const base = `${alert.failures} failed sign-ins on ${accounts} in ${alert.window_minutes} minutes`;
  if (alert.address !== null) return `${base}.`;
  const usual = alert.baseline !== null ? `; usually about ${alert.baseline}` : '';
  return `${base}, from ${alert.addresses} address${alert.addresses === 1 ? '' : 'es'}${usual}.`;
}

export function AlertsPage() {
  const alerts = useResource(breachApi.alerts);
  const list = alerts.data ?? [];
  return (
    <Section
      id="alerts"
      title="Security alerts"
      description="Hearth checks the sign-in failures every half minute. Many failures across many accounts look like credential stuffing: someone trying passwords leaked from other sites. Admins are also told by mail."
    >
      {alerts.error !== null && <Alert kind="error">{alerts.error}</Alert>}
      {alerts.loading && alerts.data === null ? (
        <Spinner label="Loading alerts…" />
      ) : list.length === 0 ? (
        <p className="muted">No alert. Nothing unusual was seen.</p>
      ) : (
        <>
          <ol className="event-list" aria-label="Alerts">
            {list.map((alert) => (
              <li key={alert.id} className="event event-warning">
                <Icon name="alert" className="event-icon" />
                <div>
                  <p className="event-title">{alertTitle(alert)}</p>
                  <p className="event-meta">
                    {alertSummary(alert)} ·{' '}
                    <time dateTime={alert.created_at} title={formatDateTime(alert.created_at)}>
                      {formatAgo(alert.created_at)}
                    </time>
                  </p>
                </div>
              </li>
            ))}
          </ol>
          <p className="hint">
            Failed attempts are already slowed down per account and per address. Look for successful sign-ins from the
            same addresses under <Link to="/admin/security-events">Security events</Link>. If accounts may have been
            taken over, start a <Link to="/admin/breach">breach response</Link>.
          </p>
        </>
      )}
    </Section>
  );
}
