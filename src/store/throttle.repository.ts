import type { Db } from './db.ts';
import type { ThrottleTable } from './schema.ts';

export async function findThrottleRows(db: Db, keys: string[]): Promise<ThrottleTable[]> {
  if (keys.length === 0) return [];
  return db.selectFrom('throttle').selectAll().where('key', 'in', keys).execute();
}

export async function upsertThrottleRow(db: Db, row: ThrottleTable): Promise<void> {
  await db
    .insertInto('throttle')
    .values(row)
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: row.failures,
        window_start: row.window_start,
        blocked_until: row.blocked_until,
      }),
    )
    .execute();
}

export async function deleteThrottleRows(db: Db, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.deleteFrom('throttle').where('key', 'in', keys).execute();
}
