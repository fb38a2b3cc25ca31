// Growing delays for failed attempts (S11). An attempt is counted before it is checked, so a burst
// of parallel guesses cannot slip past the counter; a success clears the keys it was counted on.
import type { Db } from '../store/db.ts';
import type { ThrottleTable } from '../store/schema.ts';
import { deleteThrottleRow, lockThrottleRow, setThrottleRow } from '../store/throttle.repository.ts';

export interface ThrottlePolicy {
  /** Attempts in a window before delays start. */
  free: number;
  /** First delay, doubled with each further failure. */
  baseSeconds: number;
  maxSeconds: number;
  windowSeconds: number;
}

export interface ThrottleKey {
  key: string;
  policy: ThrottlePolicy;
}

export const policies = {
  // 5 free, then 1 s, 2 s, 4 s … 15 min: about 18 guesses an hour, far below the ceiling of 100.
  account: { free: 5, baseSeconds: 1, maxSeconds: 900, windowSeconds: 3600 },
  address: { free: 20, baseSeconds: 1, maxSeconds: 900, windowSeconds: 3600 },
  knownDevice: { free: 10, baseSeconds: 1, maxSeconds: 300, windowSeconds: 3600 },
  secondFactor: { free: 5, baseSeconds: 2, maxSeconds: 900, windowSeconds: 3600 },
  // Requests that send mail or create work: a few per window, then wait.
  mailRequest: { free: 3, baseSeconds: 60, maxSeconds: 3600, windowSeconds: 3600 },
  codeGuess: { free: 10, baseSeconds: 2, maxSeconds: 600, windowSeconds: 3600 },
} satisfies Record<string, ThrottlePolicy>;

export interface Throttle {
  /** Counts one attempt on every key; returns 0 when allowed, else the seconds to wait (nothing counted). */
  attempt(keys: ThrottleKey[], now: Date): Promise<number>;
  /** Clears the keys after a success. */
  clear(keys: string[]): Promise<void>;
}

export function delayFor(policy: ThrottlePolicy, failures: number): number {
  if (failures <= policy.free) return 0;
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.min(30, failures - policy.free - 1));
}

export function createStoreThrottle(db: Db): Throttle {
  return {
    async attempt(keys, now) {
      const t = now.getTime();
      return db.transaction().execute(async (trx) => {
        // One statement makes or locks each row and returns it. Inserting with "do nothing" and selecting
        // afterwards lost rows that a success on the same key deleted in between (PostgreSQL, concurrent
        // sign-ins from one address), and the attempt then failed with a 500 instead of being counted.
        // Rows are taken in the order of the keys, which every caller gives in the same order.
        const rows: ThrottleTable[] = [];
        for (const { key } of keys) rows.push((await lockThrottleRow(trx, { key, now: t }))[0]!);
        const wait = Math.max(0, ...rows.map((r) => Math.ceil((r.blocked_until - t) / 1000)));
        if (wait > 0) return wait;
        for (const [i, { key, policy }] of keys.entries()) {
          const row = rows[i]!;
          const expired = t - row.window_start > policy.windowSeconds * 1000;
          const failures = expired ? 1 : row.failures + 1;
          const delay = delayFor(policy, failures);
          await setThrottleRow(trx, {
            key,
            failures,
            windowStart: expired ? t : row.window_start,
            blockedUntil: delay > 0 ? t + delay * 1000 : 0,
          });
        }
        return 0;
      });
    },
    async clear(keys) {
      for (const key of keys) await deleteThrottleRow(db, { key });
    },
  };
}


/** Removes rows whose window and block are both over (housekeeping, run now and then). */
export async function pruneThrottle(db: Db, now: Date, maxWindowSeconds = 3600): Promise<void> {
  const t = now.getTime();
  await db
    .deleteFrom('throttle')
    .where('blocked_until', '<', t)
    .where('window_start', '<', t - maxWindowSeconds * 1000)
    .execute();
}
