// The breach response (a mandatory password reset for many accounts at once) and the security alerts.
import { request } from '../api.ts';

export type BreachScope = { all: true } | { users: string[] };

export interface BreachReport {
  users_in_scope: number;
  users_flagged: number;
  sessions_revoked: number;
  app_passwords_revoked: number;
  tokens_voided: number;
  invites_voided: number;
  mails_queued: number;
  mails_pending: number;
  mails_sent: number;
  mails_failed: number;
  users_reset_since: number;
  users_with_two_factor: number;
  users_with_passkey: number;
  users_with_second_factor: number;
}

export type BreachState = 'queued' | 'flagging' | 'notifying' | 'done' | 'failed' | 'cancelled';

export interface BreachResponse {
  id: string;
  state: BreachState;
  scope: { all?: true; users?: string[]; active_since?: string; active_until?: string };
  scope_description: string;
  reason: string;
  message: string;
  rotate_password_key: boolean;
  password_key_version: number | null;
  created_by: { id: string | null; name: string };
  created_at: string;
  flagged_at: string | null;
  finished_at: string | null;
  error: string | null;
  report: BreachReport;
}

/** What a start would do, counted without changing anything. */
export interface BreachPlan {
  dry_run: true;
  scope_description: string;
  users: number;
  users_already_flagged: number;
  users_sample: string[];
  sessions: number;
  app_passwords: number;
  reset_and_alert_links: number;
  pending_sign_ins: number;
  link_codes: number;
  invites: number;
  mails: number;
  password_key_version: { from: number; to: number } | null;
}

export interface BreachInput {
  scope: BreachScope;
  reason: string;
  message: string;
  rotate_password_key?: boolean;
}

export interface SecurityAlert {
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

export function isFinished(state: BreachState): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled';
}

export const breachApi = {
  preview: (input: BreachInput) => request<BreachPlan>('POST', '/admin/breach-responses', { ...input, dry_run: true }),

  /** A response over the same scope that is still running is answered instead (created: false). */
  start: (input: BreachInput) =>
    request<{ created: boolean; response: BreachResponse }>('POST', '/admin/breach-responses', input),

  get: (id: string) => request<BreachResponse>('GET', `/admin/breach-responses/${encodeURIComponent(id)}`),

  list: () => request<BreachResponse[]>('GET', '/admin/breach-responses?limit=20'),

  alerts: () => request<SecurityAlert[]>('GET', '/admin/security-alerts?limit=100'),
};
