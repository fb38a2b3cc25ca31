// The security log: every sign-in, failure, sign-out, revocation and change to an account.
import { newId } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import type { SecurityEventView } from '../wire/accounts.ts';
import type { RequestContext } from './caller.ts';
import { insertSecurityEvent, listSecurityEvents } from '../store/security-events.repository.ts';
import type { Db } from '../store/db.ts';

export type SecurityEventType =
  | 'setup'
  | 'user_created'
  | 'sign_in'
  | 'sign_in_failed'
  | 'sign_in_throttled'
  | 'sign_in_blocked_reset_required'
  | 'sign_out'
  | 'sessions_revoked'
  | 'password_changed'
  | 'password_reset_requested'
  | 'password_reset'
  | 'email_changed'
  | 'email_verified'
  | 'role_changed'
  | 'user_disabled'
  | 'user_enabled'
  | 'invite_created'
  | 'invite_revoked'
  | 'reauthenticated'
  | 'reauth_failed'
  | 'profile_changed'
  | (string & {});

export interface SecurityEventInput {
  userId: string | null;
  type: SecurityEventType;
  detail?: Record<string, unknown>;
}

export async function recordSecurityEvent(
  deps: Pick<Deps, 'db' | 'random'>,
  event: SecurityEventInput,
  ctx: RequestContext,
  now: Date,
  db: Db = deps.db,
): Promise<void> {
  await insertSecurityEvent(db, {
    id: newId(deps.random),
    user_id: event.userId,
    type: event.type,
    ip: ctx.ip,
    device: ctx.device ?? null,
    detail: event.detail ? JSON.stringify(event.detail) : null,
    created_at: now.getTime(),
  });
}

export async function readSecurityEvents(
  deps: Pick<Deps, 'db'>,
  query: { userId?: string; types?: string[]; before?: Date; limit: number },
): Promise<SecurityEventView[]> {
  const rows = await listSecurityEvents(deps.db, {
    userId: query.userId,
    types: query.types,
    before: query.before?.getTime(),
    limit: query.limit,
  });
  return rows.map((r) => ({
    id: r.id,
    user_id: r.user_id,
    username: r.username ?? null,
    type: r.type,
    ip: r.ip,
    device: r.device,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
    created_at: new Date(r.created_at).toISOString(),
  }));
}
