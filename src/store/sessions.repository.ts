import { sql, type SelectQueryBuilder } from 'kysely';
import { compiledInsert, compiledOnce, type Db, type Parameter } from './db.ts';
import type { Database, SessionKind, SessionsTable } from './schema.ts';

const sessionColumns = [
  'sessions.id',
  'sessions.user_id',
  'sessions.kind',
  'sessions.device_name',
  'sessions.platform',
  'sessions.client',
  'sessions.client_version',
  'sessions.ip',
  'sessions.scopes',
  'sessions.created_at',
  'sessions.last_seen_at',
  'sessions.auth_at',
  'sessions.expires_at',
] as const;

export type SessionRow = Omit<SessionsTable, 'token_hash' | 'revoked_at' | 'revoke_reason'>;

// Written at every sign-in: compiled once.
const insertSessionRow: (db: Db, row: SessionsTable) => Promise<void> = compiledInsert('sessions', [
  'id',
  'user_id',
  'token_hash',
  'kind',
  'device_name',
  'platform',
  'client',
  'client_version',
  'ip',
  'scopes',
  'created_at',
  'last_seen_at',
  'auth_at',
  'expires_at',
  'revoked_at',
  'revoke_reason',
]);

export function insertSession(db: Db, row: SessionsTable): Promise<void> {
  return insertSessionRow(db, { ...row, client_version: row.client_version ?? null });
}

const sessionWithUserColumns = [
  ...sessionColumns,
  'users.username',
  'users.email',
  'users.display_name',
  'users.role',
  'users.disabled',
  'users.reset_required',
  'users.email_verified',
  'users.anti_phishing_phrase',
  'users.password_changed_at',
  'users.created_at as user_created_at',
  'users.updated_at as user_updated_at',
] as const;

// Every authenticated request runs this one: it is compiled once (see compiledOnce).
const liveSessionByTokenHash = compiledOnce(
  (db, p: Parameter<'tokenHash'>) =>
    db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select(sessionWithUserColumns)
      .where('sessions.token_hash', '=', p('tokenHash'))
      .where('sessions.revoked_at', 'is', null),
  // Answered from memory only while nothing at all was committed since: never stale (see compiledOnce).
  { reuseWhileUnchanged: true },
);

export type SessionWithUserRow = Awaited<ReturnType<typeof liveSessionByTokenHash>>[number];

/** The session behind a token hash with its user's row, or undefined. Expiry is the caller's check. */
export async function findLiveSessionByTokenHash(db: Db, tokenHash: string): Promise<SessionWithUserRow | undefined> {
  const rows = await liveSessionByTokenHash(db, { tokenHash });
  return rows.length > 0 ? rows[0] : undefined;
}

/** The unrevoked session with this id and its user's row (a stream URL token names its session). Expiry is the caller's check. */
export async function findLiveSessionWithUserById(db: Db, id: string): Promise<SessionWithUserRow | undefined> {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(sessionWithUserColumns)
    .where('sessions.id', '=', id)
    .where('sessions.revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function findLiveSessionById(db: Db, id: string): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .select(sessionColumns)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

export async function touchSession(db: Db, id: string, now: Date, ip: string | null): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now.getTime(), ip }).where('id', '=', id).execute();
}

export async function listLiveSessions(
  db: Db,
  userId: string,
  now: Date,
  kinds: SessionKind[],
  idleCutoff: number,
): Promise<SessionRow[]> {
  return db
    .selectFrom('sessions')
    .select(sessionColumns)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('kind', 'in', kinds)
    .where('expires_at', '>', now.getTime())
    .where('last_seen_at', '>', idleCutoff)
    .orderBy('last_seen_at', 'desc')
    .execute();
}

export interface RevokeFilter {
  userId: string;
  sessionIds?: string[];
  exceptSessionId?: string;
  kinds?: SessionKind[];
}

/** Marks matching live sessions revoked and returns their ids. */
export async function revokeSessionRows(db: Db, filter: RevokeFilter, now: Date, reason: string): Promise<string[]> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: now.getTime(), revoke_reason: reason })
    .where('user_id', '=', filter.userId)
    .where('revoked_at', 'is', null);
  if (filter.sessionIds) query = query.where('id', 'in', filter.sessionIds.length ? filter.sessionIds : ['']);
  if (filter.exceptSessionId) query = query.where('id', '!=', filter.exceptSessionId);
  if (filter.kinds) query = query.where('kind', 'in', filter.kinds);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}

/** The users whose sessions go: a list of ids, a query that selects them (`user_id`), or everyone. */
export type UserSet = string[] | SelectQueryBuilder<Database, any, { user_id: string }> | 'all';

/**
 * Marks every live session of these users revoked (a breach response), optionally only those made up to a
 * time, and returns them. Run it in a transaction: the sessions are read, then revoked with the same
 * condition (SQLite's RETURNING buffers every row and doubles the cost of a large UPDATE). With `manyUsers`,
 * most of the table is expected to match: SQLite then reads the table in order (the unary + keeps it off the
 * user index, which would fetch each user's sessions one random page at a time); PostgreSQL's planner
 * makes that choice itself.
 */
export async function revokeSessionRowsOfUsers(
  db: Db,
  users: UserSet,
  now: Date,
  reason: string,
  options: { createdUpTo?: number; manyUsers?: boolean } = {},
): Promise<{ id: string; user_id: string; kind: SessionKind }[]> {
  if (Array.isArray(users) && users.length === 0) return [];
  const scan = options.manyUsers === true && db.getExecutor().adapter.constructor.name.toLowerCase().includes('sqlite');
  const userId = scan ? sql<string>`+user_id` : sql.ref<string>('user_id');
  const live = <Q extends { where: any }>(query: Q): Q => {
    let q =
      users === 'all'
        ? query.where('revoked_at', 'is', null)
        : query.where(userId, 'in', users).where('revoked_at', 'is', null);
    if (options.createdUpTo !== undefined) q = q.where('created_at', '<=', options.createdUpTo);
    return q;
  };
  const rows = await live(db.selectFrom('sessions').select(['id', 'user_id', 'kind'])).execute();
  if (rows.length > 0)
    await live(db.updateTable('sessions').set({ revoked_at: now.getTime(), revoke_reason: reason })).execute();
  return rows;
}

/** A person's own name for one of their devices (the device list's "Rename"). False when no such live session. */
export async function renameSessionDevice(
  db: Db,
  userId: string,
  sessionId: string,
  name: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ device_name: name })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
