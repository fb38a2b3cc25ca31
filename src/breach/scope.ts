// Who a breach response is for: every user, a list of users, or those active in a time window. The
// scope is resolved once, at the start, to something the job can walk in id order again after a crash.
import { sha256 } from '../crypto.ts';
import type { Db } from '../store/db.ts';
import { findUserIdsByLogins, type StoredScope } from '../store/breach.repository.ts';
import { normalizeLogin } from '../accounts/identity.ts';
import { AppError } from '../errors.ts';

export type ScopeInput =
  | { all: true }
  | { users: string[] }
  | { active_since: string | Date; active_until?: string | Date | null };

export const MAX_SCOPE_USERS = 10_000;
/** A user id, username or email address: an email address, the longest, has at most 254 characters. */
export const MAX_LOGIN_LENGTH = 254;

function toTime(value: string | Date, field: string): number {
  const t = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(t)) throw new AppError('invalid_body', `${field} is not a date.`, { field });
  return t;
}

/**
 * Turns the operator's scope into the stored one (names become ids, an open window ends now) and the key
 * under which a second start of the same scope finds a response still running.
 */
export async function resolveScope(db: Db, input: ScopeInput, now: Date): Promise<{ scope: StoredScope; key: string }> {
  if ('all' in input) {
    if (input.all !== true) throw new AppError('invalid_body', 'scope.all must be true.', { field: 'scope' });
    return { scope: { kind: 'all' }, key: 'all' };
  }
  if ('users' in input) {
    const entries = [...new Set(input.users.map((u) => u.trim()).filter((u) => u.length > 0))];
    if (entries.length === 0) throw new AppError('invalid_body', 'Name at least one user.', { field: 'scope.users' });
    if (entries.length > MAX_SCOPE_USERS) {
      throw new AppError('invalid_body', `At most ${MAX_SCOPE_USERS} users by name; use all users or a time window.`, {
        field: 'scope.users',
      });
    }
    // An entry is a user id (case-sensitive), a username or an email address.
    const rows = await findUserIdsByLogins(db, [...new Set([...entries, ...entries.map(normalizeLogin)])]);
    // Maps, not a search of the rows per entry: 10,000 entries against 10,000 rows would hold the event loop.
    const byId = new Map(rows.map((r) => [r.id, r.id]));
    const byUsername = new Map(rows.map((r) => [r.username_lower, r.id]));
    const byEmail = new Map(rows.map((r) => [r.email_lower, r.id]));
    const ids = new Set<string>();
    const missing: string[] = [];
    for (const entry of entries) {
      const login = normalizeLogin(entry);
      const id = byId.get(entry) ?? byUsername.get(login) ?? byEmail.get(login);
      if (id) ids.add(id);
      else missing.push(entry);
    }
    if (missing.length > 0) {
      const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
      throw new AppError('invalid_body', `No such user: ${missing.slice(0, 5).join(', ')}${more}.`, {
        field: 'scope.users',
      });
    }
    const userIds = [...ids].sort();
    return { scope: { kind: 'users', user_ids: userIds }, key: `users:${sha256(userIds.join(','))}` };
  }
  const since = toTime(input.active_since, 'scope.active_since');
  const until = input.active_until ? toTime(input.active_until, 'scope.active_until') : null;
  if (until !== null && until < since)
    throw new AppError('invalid_body', 'The window ends before it starts.', { field: 'scope.active_until' });
  if (since > now.getTime())
    throw new AppError('invalid_body', 'The window starts in the future.', { field: 'scope.active_since' });
  return {
    scope: { kind: 'active', since, until: Math.min(until ?? now.getTime(), now.getTime()) },
    key: `active:${since}:${until ?? 'now'}`,
  };
}

export interface ScopeView {
  all?: true;
  users?: string[];
  active_since?: string;
  active_until?: string;
}

export function scopeView(scope: StoredScope): ScopeView {
  if (scope.kind === 'all') return { all: true };
  if (scope.kind === 'users') return { users: scope.user_ids };
  return { active_since: new Date(scope.since).toISOString(), active_until: new Date(scope.until).toISOString() };
}

export function describeScope(scope: StoredScope): string {
  if (scope.kind === 'all') return 'every user';
  if (scope.kind === 'users') return `${scope.user_ids.length} named user${scope.user_ids.length === 1 ? '' : 's'}`;
  return `users active between ${new Date(scope.since).toISOString()} and ${new Date(scope.until).toISOString()}`;
}
