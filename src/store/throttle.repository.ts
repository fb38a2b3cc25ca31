import { compiledOnce, type Parameter } from './db.ts';

// Every sign-in counts on the throttle: compiled once (see compiledOnce).

/** Makes or locks the row of a key (a new one with no failures) and returns it. */
export const lockThrottleRow = compiledOnce((db, p: Parameter<'key' | 'now'>) =>
  db
    .insertInto('throttle')
    .values({ key: p('key'), failures: 0, window_start: p('now'), blocked_until: 0 })
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ key: eb.ref('excluded.key') })))
    .returningAll(),
);

export const findThrottleRow = compiledOnce((db, p: Parameter<'key'>) =>
  db.selectFrom('throttle').select(['failures', 'window_start', 'blocked_until']).where('key', '=', p('key')),
);

/** Writes the count of a key, whether or not it has a row. */
export const upsertThrottleRow = compiledOnce(
  (db, p: Parameter<'key' | 'failures' | 'window_start' | 'blocked_until'>) =>
    db
      .insertInto('throttle')
      .values({
        key: p('key'),
        failures: p('failures'),
        window_start: p('window_start'),
        blocked_until: p('blocked_until'),
      })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          failures: eb.ref('excluded.failures'),
          window_start: eb.ref('excluded.window_start'),
          blocked_until: eb.ref('excluded.blocked_until'),
        })),
      ),
);

export const deleteThrottleRow = compiledOnce((db, p: Parameter<'key'>) =>
  db.deleteFrom('throttle').where('key', '=', p('key')),
);
