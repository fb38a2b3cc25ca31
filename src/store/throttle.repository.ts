import { compiledOnce, type Db, type Parameter } from './db.ts';

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
