// The breach response (a mandatory password reset for many accounts at once) and the security alerts.
// Wire types come from the server's own declarations (type-only imports), so client and server cannot drift.
import type { BreachPlan, BreachReport, BreachResponseView, BreachState } from '../../../src/breach/breach-response.ts';
import type { SecurityAlertView } from '../../../src/breach/stuffing.ts';
import { request } from '../api.ts';

export type { BreachPlan, BreachReport, BreachState };

export type BreachResponse = BreachResponseView;

export type SecurityAlert = SecurityAlertView;

/** What this page offers to start: every user, or users named (the server also takes a time window). */
export type BreachScope = { all: true } | { users: string[] };

export interface BreachInput {
  scope: BreachScope;
  reason: string;
  message: string;
  rotate_password_key?: boolean;
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
