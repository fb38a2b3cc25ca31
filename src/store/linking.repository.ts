import type { Db } from './db.ts';
import type { LinkCodesTable } from './schema.ts';

const linkColumns = [
  'id',
  'client',
  'platform',
  'device_name',
  'ip',
  'status',
  'interval_seconds',
  'last_polled_at',
  'user_id',
  'approved_by_session',
  'session_id',
  'created_at',
  'expires_at',
  'decided_at',
  'spent_at',
] as const;

export type LinkCodeRow = Omit<LinkCodesTable, 'device_code_hash' | 'user_code_hash'>;

export async function insertLinkCode(db: Db, row: LinkCodesTable): Promise<void> {
  await db.insertInto('link_codes').values(row).execute();
}

/** Forgets links that ended before `before` (housekeeping). */
export async function deleteLinkCodesExpiredBefore(db: Db, before: number): Promise<void> {
  await db.deleteFrom('link_codes').where('expires_at', '<', before).execute();
}

/** True when a live code already uses these letters (so a new one must be drawn). */
export async function userCodeInUse(db: Db, userCodeHash: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('link_codes')
    .select('id')
    .where('user_code_hash', '=', userCodeHash)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
  return row !== undefined;
}

export async function findPendingLinkByUserCode(
  db: Db,
  userCodeHash: string,
  now: Date,
): Promise<LinkCodeRow | undefined> {
  return db
    .selectFrom('link_codes')
    .select(linkColumns)
    .where('user_code_hash', '=', userCodeHash)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
}

export async function findLinkByDeviceCode(db: Db, deviceCodeHash: string): Promise<LinkCodeRow | undefined> {
  return db
    .selectFrom('link_codes')
    .select(linkColumns)
    .where('device_code_hash', '=', deviceCodeHash)
    .executeTakeFirst();
}

/** Approves or denies a pending, unexpired code; false when it was decided first or has expired. */
export async function decideLinkCode(
  db: Db,
  id: string,
  decision: { status: 'approved' | 'denied'; userId: string; sessionId: string },
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('link_codes')
    .set({
      status: decision.status,
      user_id: decision.userId,
      approved_by_session: decision.status === 'approved' ? decision.sessionId : null,
      decided_at: now.getTime(),
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function recordLinkPoll(db: Db, id: string, now: Date, intervalSeconds: number): Promise<void> {
  await db
    .updateTable('link_codes')
    .set({ last_polled_at: now.getTime(), interval_seconds: intervalSeconds })
    .where('id', '=', id)
    .execute();
}

/** Claims an approved code for its one token; false when another poll claimed it first. */
export async function spendLinkCode(db: Db, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('link_codes')
    .set({ status: 'spent', spent_at: now.getTime() })
    .where('id', '=', id)
    .where('status', '=', 'approved')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setLinkSession(db: Db, id: string, sessionId: string): Promise<void> {
  await db.updateTable('link_codes').set({ session_id: sessionId }).where('id', '=', id).execute();
}

/** True when the session exists, is not revoked and has not reached its absolute end. */
export async function isSessionLive(db: Db, sessionId: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('sessions')
    .select('id')
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks a session as holding no recent proof of password or factor (auth_at at the epoch). */
export async function clearSessionProof(db: Db, sessionId: string): Promise<void> {
  await db.updateTable('sessions').set({ auth_at: 0 }).where('id', '=', sessionId).execute();
}

export interface AppPasswordRow {
  id: string;
  name: string | null;
  scopes: string | null;
  ip: string | null;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** App passwords are sessions of kind 'app'; these are a user's live ones, newest first. */
export async function listAppPasswordRows(db: Db, userId: string, now: Date): Promise<AppPasswordRow[]> {
  return db
    .selectFrom('sessions')
    .select(['id', 'device_name as name', 'scopes', 'ip', 'created_at', 'last_seen_at', 'expires_at'])
    .where('user_id', '=', userId)
    .where('kind', '=', 'app')
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .orderBy('created_at', 'desc')
    .execute();
}

export async function countAppPasswords(db: Db, userId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('kind', '=', 'app')
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
