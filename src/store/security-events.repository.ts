import { compiledInsert, type Db } from './db.ts';
import type { SecurityEventsTable } from './schema.ts';

// Written at every sign-in: compiled once.
const insertEvent = compiledInsert('security_events', [
  'id',
  'user_id',
  'type',
  'ip',
  'device',
  'detail',
  'created_at',
]);

export async function insertSecurityEvent(db: Db, row: SecurityEventsTable): Promise<void> {
  await insertEvent(db, row);
}

export interface EventQuery {
  userId?: string;
  types?: string[];
  before?: number;
  limit: number;
}

export async function listSecurityEvents(db: Db, query: EventQuery) {
  let q = db
    .selectFrom('security_events')
    .leftJoin('users', 'users.id', 'security_events.user_id')
    .select([
      'security_events.id',
      'security_events.user_id',
      'users.username',
      'security_events.type',
      'security_events.ip',
      'security_events.device',
      'security_events.detail',
      'security_events.created_at',
    ]);
  if (query.userId) q = q.where('security_events.user_id', '=', query.userId);
  if (query.types?.length) q = q.where('security_events.type', 'in', query.types);
  if (query.before !== undefined) q = q.where('security_events.created_at', '<', query.before);
  return q
    .orderBy('security_events.created_at', 'desc')
    .orderBy('security_events.id', 'desc')
    .limit(query.limit)
    .execute();
}

/** Failed sign-ins since a time: total, distinct accounts, and per address (credential-stuffing detection). */
export async function countFailuresSince(db: Db, since: number, type: string) {
  const total = await db
    .selectFrom('security_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('type', '=', type)
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return Number(total.n);
}
