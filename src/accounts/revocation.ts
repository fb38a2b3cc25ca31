// The one way to revoke: sign-out, sign out everywhere, disable, password change, reset and breach
// response all come here. It writes the store, then tells every instance through the bus.
import type { Deps } from '../deps.ts';
import type { Db } from '../store/db.ts';
import { revokeSessionRows, type RevokeFilter } from '../store/sessions.repository.ts';

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
  if (ids.length > 0) {
    try {
      await deps.events.publish('revoked', { userId: filter.userId, sessionIds: ids, reason });
    } catch (err) {
      // The store is the truth and every request reads it; a lost event only delays cache cleanup.
      deps.log.warn({ err }, 'could not publish a revocation event');
    }
  }
  return ids;
}
