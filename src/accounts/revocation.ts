// The one way to revoke: sign-out, sign out everywhere, disable, password change, reset and breach
// response all come here. It writes the store, then tells every instance through the bus.
import type { Deps } from '../deps.ts';
import type { Db } from '../store/db.ts';
import type { SessionKind } from '../store/schema.ts';
import { voidPendingSignIns } from '../store/factors.repository.ts';
import {
  revokeSessionRows,
  revokeSessionRowsOfUsers,
  type RevokeFilter,
  type UserSet,
} from '../store/sessions.repository.ts';

export type RevocationReason =
  | 'sign_out'
  | 'signed_out_device'
  | 'sign_out_all'
  | 'admin'
  | 'disabled'
  | 'password_changed'
  | 'password_reset'
  | 'breach_response'
  | 'not_me'
  | 'revoked_app_password'
  | (string & {});

export async function revokeSessions(
  deps: Pick<Deps, 'events' | 'log'>,
  db: Db,
  filter: RevokeFilter,
  reason: RevocationReason,
  now: Date,
): Promise<string[]> {
  const ids = await revokeSessionRows(db, filter, now, reason);
  // Signing a user out of every device (sign out everywhere, a password change or reset, disable) also ends the
  // sign-ins still waiting for their second step: they would be sessions a moment later.
  const sweep =
    filter.sessionIds === undefined && (filter.kinds === undefined || filter.kinds.some((k) => k !== 'app'));
  if (sweep) await voidPendingSignIns(db, filter.userId, now);
  const allOfUser =
    filter.sessionIds === undefined && filter.exceptSessionId === undefined && filter.kinds === undefined;
  await announceRevocations(deps, [{ userId: filter.userId, sessionIds: ids, allOfUser }], reason);
  return ids;
}

export interface RevokedSession {
  id: string;
  user_id: string;
  kind: SessionKind;
}

/**
 * The batch form, for many users at once (a breach response): one UPDATE, then one event per user.
 * Called inside a transaction, the events must wait until the change is visible to other readers, so
 * the caller sends them with `announce()` after the commit; outside one, they have gone out already.
 */
export async function revokeSessionsOfUsers(
  deps: Pick<Deps, 'events' | 'log'>,
  db: Db,
  users: UserSet,
  reason: RevocationReason,
  now: Date,
  options: { createdUpTo?: number; manyUsers?: boolean } = {},
): Promise<{ sessions: RevokedSession[]; announce: () => Promise<void> }> {
  const sessions = await revokeSessionRowsOfUsers(db, users, now, reason, options);
  const byUser = new Map<string, string[]>();
  for (const s of sessions) {
    const ids = byUser.get(s.user_id);
    if (ids) ids.push(s.id);
    else byUser.set(s.user_id, [s.id]);
  }
  const allOfUser = options.createdUpTo === undefined;
  const events = [...byUser].map(([userId, sessionIds]) => ({ userId, sessionIds, allOfUser }));
  let announced = false;
  const announce = async () => {
    if (announced) return;
    announced = true;
    await announceRevocations(deps, events, reason);
  };
  if (!db.isTransaction) await announce();
  return { sessions, announce };
}

async function announceRevocations(
  deps: Pick<Deps, 'events' | 'log'>,
  events: { userId: string; sessionIds: string[]; allOfUser: boolean }[],
  reason: string,
): Promise<void> {
  // Sent together, not one after the other: a breach response announces one per user, and a bus over the
  // network pipelines them.
  await Promise.all(
    events
      .filter((event) => event.sessionIds.length > 0)
      .map((event) =>
        deps.events
          .publish('revoked', {
            userId: event.userId,
            sessionIds: event.sessionIds,
            reason,
            ...(event.allOfUser ? { allOfUser: true as const } : {}),
          })
          .catch((err: unknown) => {
            // The store is the truth and every request reads it; a lost event only delays cache cleanup.
            deps.log.warn({ err }, 'could not publish a revocation event');
          }),
      ),
  );
}
