// Growing delays for failed attempts (S11). An attempt is counted before it is checked, so a burst
// of parallel guesses cannot slip past the counter; a success then clears each key it was counted on, or
// gives back just its own attempt, as the key's policy says.
import type { Db } from '../store/db.ts';
import type { ThrottleTable } from '../store/schema.ts';
import {
  deleteThrottleRow,
  findThrottleRow,
  lockThrottleRow,
  upsertThrottleRow,
} from '../store/throttle.repository.ts';

export interface ThrottlePolicy {
  /** Attempts in a window before delays start. */
  free: number;
  /** First delay, doubled with each further failure. */
  baseSeconds: number;
  maxSeconds: number;
  windowSeconds: number;
  /**
   * What a success does to the key. 'clear': forgets every failure (a key of one account or device, whose owner
   * has just proved the password and must not stay locked out). 'give back': takes back only the attempt that
   * succeeded (a key many people share, such as an address: one of them signing in must not wipe an attacker's
   * failures beside them, and people who only succeed still never build up a count). 'keep': a success stays
   * counted like any other try (requests that cost work whatever their outcome, guesses at short-lived codes).
   */
  onSuccess: 'clear' | 'give back' | 'keep';
}

export interface ThrottleKey {
  key: string;
  policy: ThrottlePolicy;
}

export const policies = {
  // 5 free, then 1 s, 2 s, 4 s … 15 min: about 18 guesses an hour, far below the ceiling of 100.
  account: { free: 5, baseSeconds: 1, maxSeconds: 900, windowSeconds: 3600, onSuccess: 'clear' },
  address: { free: 20, baseSeconds: 1, maxSeconds: 900, windowSeconds: 3600, onSuccess: 'give back' },
  knownDevice: { free: 10, baseSeconds: 1, maxSeconds: 300, windowSeconds: 3600, onSuccess: 'clear' },
  secondFactor: { free: 5, baseSeconds: 2, maxSeconds: 900, windowSeconds: 3600, onSuccess: 'clear' },
  // Requests that send mail or create work: a few per window, then wait.
  mailRequest: { free: 3, baseSeconds: 60, maxSeconds: 3600, windowSeconds: 3600, onSuccess: 'keep' },
  codeGuess: { free: 10, baseSeconds: 2, maxSeconds: 600, windowSeconds: 3600, onSuccess: 'keep' },
} satisfies Record<string, ThrottlePolicy>;

export interface Throttle {
  /** Counts one attempt on every key; returns 0 when allowed, else the seconds to wait (nothing counted). */
  attempt(keys: ThrottleKey[], now: Date): Promise<number>;
  /** The attempt just counted on the keys (at `now`) succeeded: each key clears, gives it back or keeps it, as its policy says. */
  succeeded(keys: ThrottleKey[], now: Date): Promise<void>;
  /** Forgets every attempt counted on the keys, whatever their policy (a password reset frees its account). */
  clear(keys: string[]): Promise<void>;
  /**
   * One attempt whose outcome `check` decides (a password check): counted before `check` runs, so attempts in
   * parallel see each other; when `check` resolves, the keys are settled as by `succeeded`; when it throws the
   * attempt stays counted (before the error goes on) and the error is thrown again. When throttled, `check` does
   * not run.
   */
  guard<T>(keys: ThrottleKey[], now: Date, check: () => Promise<T>): Promise<Guarded<T>>;
}

export type Guarded<T> = { throttled: number } | { value: T };

export function delayFor(policy: ThrottlePolicy, failures: number): number {
  if (failures <= policy.free) return 0;
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.min(30, failures - policy.free - 1));
}

/** What the store keeps of a key: failures in the current window, and until when the next attempt must wait. */
type Count = Pick<ThrottleTable, 'failures' | 'window_start' | 'blocked_until'>;

/** Seconds until every key allows an attempt again; 0 when all do now. */
function waitFor(counts: (Count | undefined)[], t: number): number {
  return Math.max(0, ...counts.map((c) => (c ? Math.ceil((c.blocked_until - t) / 1000) : 0)));
}

/** The count after one more attempt at `t`. */
function counted(count: Count | undefined, policy: ThrottlePolicy, t: number): Count {
  const expired = !count || t - count.window_start > policy.windowSeconds * 1000;
  const failures = expired ? 1 : count.failures + 1;
  const delay = delayFor(policy, failures);
  return { failures, window_start: expired ? t : count.window_start, blocked_until: delay > 0 ? t + delay * 1000 : 0 };
}

/**
 * The count once one attempt counted in it is given back. A block stands only while the count is past the free
 * attempts: below them it was the given-back attempt's own (or one of an attempt given back before), and goes.
 */
export function givenBack(count: Count, policy: ThrottlePolicy): Count {
  const failures = Math.max(0, count.failures - 1);
  return {
    failures,
    window_start: count.window_start,
    blocked_until: failures > policy.free ? count.blocked_until : 0,
  };
}

/** `guard` for a throttle that counts every attempt where it keeps its counts at once. */
export async function guardByAttempt<T>(
  throttle: Throttle,
  keys: ThrottleKey[],
  now: Date,
  check: () => Promise<T>,
): Promise<Guarded<T>> {
  const wait = await throttle.attempt(keys, now);
  if (wait > 0) return { throttled: wait };
  // A throw leaves the attempt counted.
  const value = await check();
  await throttle.succeeded(keys, now);
  return { value };
}

/** Counts in the store, in a transaction per attempt: right for any number of processes on one database. */
export function createStoreThrottle(db: Db): Throttle {
  const throttle: Throttle = {
    async attempt(keys, now) {
      const t = now.getTime();
      return db.transaction().execute(async (trx) => {
        // One statement makes or locks each row and returns it. Inserting with "do nothing" and selecting
        // afterwards lost rows that a success on the same key deleted in between (PostgreSQL, concurrent
        // sign-ins from one address), and the attempt then failed with a 500 instead of being counted.
        // Rows are taken in the order of the keys, which every caller gives in the same order.
        const rows: ThrottleTable[] = [];
        for (const { key } of keys) rows.push((await lockThrottleRow(trx, { key, now: t }))[0]!);
        const wait = waitFor(rows, t);
        if (wait > 0) return wait;
        for (const [i, { key, policy }] of keys.entries())
          await upsertThrottleRow(trx, { key, ...counted(rows[i], policy, t) });
        return 0;
      });
    },
    async succeeded(keys, now) {
      const t = now.getTime();
      // Rows in the order of the keys, as in `attempt`.
      await db.transaction().execute(async (trx) => {
        for (const { key, policy } of keys) {
          if (policy.onSuccess === 'keep') continue;
          if (policy.onSuccess === 'clear') {
            await deleteThrottleRow(trx, { key });
            continue;
          }
          const count = givenBack((await lockThrottleRow(trx, { key, now: t }))[0]!, policy);
          if (count.failures === 0) await deleteThrottleRow(trx, { key });
          else await upsertThrottleRow(trx, { key, ...count });
        }
      });
    },
    async clear(keys) {
      for (const key of keys) await deleteThrottleRow(db, { key });
    },
    guard: (keys, now, check) => guardByAttempt(throttle, keys, now, check),
  };
  return throttle;
}

/**
 * One process alone on its database (SQLite without a cluster). Plain attempts are counted in the store at once,
 * as above. A guarded attempt is counted in memory while its check runs, where every attempt of this process
 * sees it, and reaches the store only if it fails, before its failure is answered; a success writes nothing
 * unless failures were stored before it. A signing-in user's request thus costs one read of the throttle instead
 * of two commits. What a crash loses is attempts whose outcome nobody was told: nothing was learned from them.
 */
export function createLocalThrottle(db: Db): Throttle {
  /** A key with guarded attempts under way: the count the store would hold if they all failed. */
  interface Held {
    pending: number;
    count: Count;
    /** The store has a row for the key (read at the start, or a failure written since). */
    stored: boolean;
  }
  const held = new Map<string, Held>();
  // Reading a count and counting on it must not interleave with another attempt on the same key.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const run = queue.then(step);
    queue = run.catch(() => {});
    return run;
  };

  const current = async (key: string): Promise<{ count: Count | undefined; stored: boolean }> => {
    const h = held.get(key);
    if (h) return { count: h.count, stored: h.stored };
    const row = (await findThrottleRow(db, { key }))[0];
    return { count: row, stored: row !== undefined };
  };

  /** Counts one attempt on every key in memory, or says how long to wait (nothing counted). */
  const reserve = async (keys: ThrottleKey[], t: number): Promise<{ wait: number; entries: Held[] }> => {
    const before: { count: Count | undefined; stored: boolean }[] = [];
    for (const { key } of keys) before.push(await current(key));
    const wait = waitFor(
      before.map((b) => b.count),
      t,
    );
    if (wait > 0) return { wait, entries: [] };
    const entries = keys.map(({ key, policy }, i) => {
      const count = counted(before[i]!.count, policy, t);
      const h = held.get(key) ?? { pending: 0, count, stored: before[i]!.stored };
      h.count = count;
      h.pending += 1;
      held.set(key, h);
      return h;
    });
    return { wait: 0, entries };
  };

  /** The attempt failed (or is a plain one): the store gets the counts, and this attempt is no longer pending. */
  const store = async (keys: ThrottleKey[], entries: Held[]): Promise<void> => {
    // A success on the key in the meantime cleared it, and with it this attempt, as in the store throttle.
    const live = keys.map(({ key }, i) => (held.get(key) === entries[i] ? entries[i]! : null));
    await db.transaction().execute(async (trx) => {
      for (const [i, h] of live.entries()) if (h) await upsertThrottleRow(trx, { key: keys[i]!.key, ...h.count });
    });
    for (const [i, h] of live.entries()) {
      if (!h) continue;
      h.stored = true;
      h.pending -= 1;
      if (h.pending === 0) held.delete(keys[i]!.key);
    }
  };

  const clearKeys = async (keys: string[], always: boolean): Promise<void> => {
    for (const key of keys) {
      const h = held.get(key);
      held.delete(key);
      if (always || !h || h.stored) await deleteThrottleRow(db, { key });
    }
  };

  const writeCount = async (key: string, count: Count): Promise<void> => {
    if (count.failures === 0) await deleteThrottleRow(db, { key });
    else await upsertThrottleRow(db, { key, ...count });
  };

  /**
   * Takes one attempt back off a key. `entry` is what a guarded attempt held while it ran (still pending); without
   * it the attempt was a plain one, already in the store (and in the count held for the key, if one is).
   */
  const giveBack = async ({ key, policy }: ThrottleKey, entry: Held | null): Promise<void> => {
    const h = held.get(key);
    // Cleared since the attempt was counted: nothing of it is left to give back.
    if (entry && h !== entry) return;
    if (h) {
      h.count = givenBack(h.count, policy);
      if (entry) h.pending -= 1;
      if (h.pending === 0) held.delete(key);
      // Without a row in the store the attempts counted here never reached it: nothing to take back there.
      if (h.stored) await writeCount(key, h.count);
      return;
    }
    const row = (await findThrottleRow(db, { key }))[0];
    if (row) await writeCount(key, givenBack(row, policy));
  };

  /** The attempt succeeded: each key is cleared, given back or kept, as its policy says. */
  const settle = async (keys: ThrottleKey[], entries: Held[] | null): Promise<void> => {
    for (const [i, k] of keys.entries()) {
      if (k.policy.onSuccess === 'clear') await clearKeys([k.key], entries === null);
      else if (k.policy.onSuccess === 'give back') await giveBack(k, entries ? entries[i]! : null);
      // 'keep' leaves a guarded attempt's count as if it had failed: it reaches the store, as a failure would.
      else if (entries) await store([k], [entries[i]!]);
    }
  };

  return {
    attempt: (keys, now) =>
      serially(async () => {
        const { wait, entries } = await reserve(keys, now.getTime());
        if (wait === 0) await store(keys, entries);
        return wait;
      }),
    succeeded: (keys) => serially(() => settle(keys, null)),
    clear: (keys) => serially(() => clearKeys(keys, true)),
    async guard(keys, now, check) {
      const { wait, entries } = await serially(() => reserve(keys, now.getTime()));
      if (wait > 0) return { throttled: wait };
      let value;
      try {
        value = await check();
      } catch (err) {
        await serially(() => store(keys, entries));
        throw err;
      }
      await serially(() => settle(keys, entries));
      return { value };
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
