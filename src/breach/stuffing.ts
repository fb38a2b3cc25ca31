// Seeing a breach coming: credential stuffing is many failed sign-ins across many accounts, from one
// address or from everywhere at once. Every failure is already in the security log (sign-in.ts records
// one per attempt, with the address), so the check is a query over the last window of that log, run
// every half minute by each running instance: no hook in the sign-in path, and it sees the failures of
// every instance alike. An alert is recorded once per window and subject (the unique key decides which
// instance raises it), logged, and mailed to the admins through the mail queue.
import { newId } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import { queueMail } from '../mail/queue.ts';
import { mailTime } from '../mail/templates.ts';
import {
  failureTotals,
  failuresByAddress,
  insertSecurityAlert,
  listSecurityAlerts,
  type AddressFailures,
} from '../store/breach.repository.ts';
import { findUserById, listUserIdsByRole } from '../store/users.repository.ts';

export interface StuffingThresholds {
  windowMs: number;
  /** One address: more failures than this… */
  addressFailures: number;
  /** …aimed at more distinct accounts than this. */
  addressAccounts: number;
  /** The whole server: more failures than this, and… */
  overallFailures: number;
  /** …more than this many times the usual rate. */
  overallFactor: number;
  /** How far back the usual rate is measured. */
  baselineMs: number;
}

export const defaultThresholds: StuffingThresholds = {
  windowMs: 10 * 60_000,
  addressFailures: 50,
  addressAccounts: 10,
  overallFailures: 200,
  overallFactor: 10,
  baselineMs: 24 * 3600_000,
};

export const CHECK_INTERVAL_MS = 30_000;
export const STUFFING_ALERT = 'credential_stuffing';
/** Failed password checks and attempts refused while throttled: both are guesses. */
const FAILURE_TYPES = ['sign_in_failed', 'sign_in_throttled'];

export interface StuffingAlert {
  address: string | null;
  failures: number;
  accounts: number;
  addresses: number;
  baseline: number | null;
  windowMinutes: number;
}

/** Looks at the last window and raises what it finds; returns the alerts this call raised. */
export async function checkCredentialStuffing(
  deps: Deps,
  now: Date,
  thresholds: StuffingThresholds = defaultThresholds,
): Promise<StuffingAlert[]> {
  const t = now.getTime();
  const since = t - thresholds.windowMs;
  const windowMinutes = Math.round(thresholds.windowMs / 60_000);
  const found: StuffingAlert[] = [];
  const byAddress = await failuresByAddress(deps.db, FAILURE_TYPES, since, thresholds.addressFailures);
  for (const a of byAddress.filter((x: AddressFailures) => x.accounts > thresholds.addressAccounts)) {
    found.push({
      address: a.ip,
      failures: a.failures,
      accounts: a.accounts,
      addresses: 1,
      baseline: null,
      windowMinutes,
    });
  }
  const current = await failureTotals(deps.db, FAILURE_TYPES, since, t + 1);
  if (current.failures > thresholds.overallFailures) {
    const before = await failureTotals(deps.db, FAILURE_TYPES, t - thresholds.baselineMs, since);
    const windows = (thresholds.baselineMs - thresholds.windowMs) / thresholds.windowMs;
    const baseline = Math.round((before.failures / windows) * 10) / 10;
    if (current.failures > thresholds.overallFactor * baseline) {
      found.push({ address: null, ...current, baseline, windowMinutes });
    }
  }
  const raised: StuffingAlert[] = [];
  // Fixed slots, so that every instance (and every check within the slot) names the same window.
  const windowStart = Math.floor(t / thresholds.windowMs) * thresholds.windowMs;
  for (const alert of found) if (await raiseAlert(deps, alert, windowStart, now)) raised.push(alert);
  return raised;
}

async function raiseAlert(deps: Deps, alert: StuffingAlert, windowStart: number, now: Date): Promise<boolean> {
  const admins = await listUserIdsByRole(deps.db, ['owner', 'admin']);
  const raised = await deps.db.transaction().execute(async (trx) => {
    const inserted = await insertSecurityAlert(trx, {
      id: newId(deps.random),
      kind: STUFFING_ALERT,
      subject: alert.address ?? '*',
      window_start: windowStart,
      detail: JSON.stringify(alert),
      created_at: now.getTime(),
    });
    if (!inserted) return false;
    await recordSecurityEvent(
      deps,
      { userId: null, type: 'credential_stuffing_suspected', detail: { ...alert } },
      { ip: alert.address },
      now,
      trx,
    );
    for (const admin of admins) {
      const user = await findUserById(trx, admin.id);
      if (!user) continue;
      await queueMail(
        deps,
        trx,
        {
          userId: user.id,
          to: user.email,
          template: 'credential_stuffing_alert',
          data: { username: user.username, ...alert, at: mailTime(now) },
        },
        now,
      );
    }
    return true;
  });
  if (raised) {
    const where = alert.address ? `from ${alert.address}` : `from ${alert.addresses} addresses`;
    deps.log.warn(
      { event: 'credential_stuffing_suspected', ...alert },
      `Credential stuffing suspected: ${alert.failures} failed sign-ins on ${alert.accounts} accounts ${where} in ${alert.windowMinutes} minutes`,
    );
  }
  return raised;
}

export interface SecurityAlertView {
  id: string;
  /** credential_stuffing */
  kind: string;
  /** The one address the failures came from; null for a rise across the whole server. */
  address: string | null;
  failures: number;
  accounts: number;
  addresses: number;
  /** The usual number of failures per window, for a server-wide alert. */
  baseline: number | null;
  window_minutes: number;
  window_start: string;
  created_at: string;
}

export async function listSecurityAlertViews(deps: Pick<Deps, 'db'>, limit: number): Promise<SecurityAlertView[]> {
  const rows = await listSecurityAlerts(deps.db, limit);
  return rows.map((row) => {
    const d = JSON.parse(row.detail) as StuffingAlert;
    return {
      id: row.id,
      kind: row.kind,
      address: row.subject === '*' ? null : row.subject,
      failures: d.failures,
      accounts: d.accounts,
      addresses: d.addresses,
      baseline: d.baseline,
      window_minutes: d.windowMinutes,
      window_start: new Date(row.window_start).toISOString(),
      created_at: new Date(row.created_at).toISOString(),
    };
  });
}

/** The periodic check of a running server; returns how to stop it. */
export function startStuffingWatch(deps: Deps, intervalMs = CHECK_INTERVAL_MS): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = checkCredentialStuffing(deps, deps.clock())
      .catch((err) => deps.log.warn({ err }, 'the credential stuffing check failed'))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
