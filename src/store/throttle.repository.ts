import { compiledOnce, type Db, type Parameter } from './db.ts';
import type { ThrottleTable } from './schema.ts';

// Every sign-in takes a throttle row and, once it succeeds, drops it: compiled once (see compiledOnce).

/** Makes or locks the row of a key (a new one with no failures) and returns it. */
export const lockThrottleRow = compiledOnce((db, p: Parameter<'key' | 'now'>) =>
  db
    .insertInto('throttle')
    .values({ key: p('key'), failures: 0, window_start: p('now'), blocked_until: 0 })
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ key: eb.ref('excluded.key') })))
    .returningAll(),
);

export const setThrottleRow = compiledOnce((db, p: Parameter<'key' | 'failures' | 'windowStart' | 'blockedUntil'>) =>
  db
    .updateTable('throttle')
    .set({ failures: p('failures'), window_start: p('windowStart'), blocked_until: p('blockedUntil') })
    .where('key', '=', p('key')),
);

export const deleteThrottleRow = compiledOnce((db, p: Parameter<'key'>) => db.deleteFrom('throttle').where('key', '=', p('key')));

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
