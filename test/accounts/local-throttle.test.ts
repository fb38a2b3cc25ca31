// S11 on the throttle of one process alone on SQLite: a guarded attempt (a password check) is counted in memory
// while it runs and reaches the store only when it fails, before the failure is answered. Every case here is one
// the store throttle answers too; the answers must be the same, and what the store holds must be what it would
// hold with the store throttle once the outcomes are known. At the end, what a success does to each kind of key,
// for the local throttle and the store throttle on each store.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalThrottle,
  createStoreThrottle,
  type Throttle,
  type ThrottleKey,
  type ThrottlePolicy,
} from '../../src/accounts/throttle.ts';
import { migrateToLatest, openStore, type Store } from '../../src/store/db.ts';
import { POSTGRES_URL, storeKinds } from '../helpers/services.ts';

const policy: ThrottlePolicy = { free: 3, baseSeconds: 1, maxSeconds: 60, windowSeconds: 3600, onSuccess: 'clear' };
const addressPolicy: ThrottlePolicy = { ...policy, free: 5, onSuccess: 'give back' };
const key: ThrottleKey = { key: 'signin:account:u1', policy };
const other: ThrottleKey = { key: 'signin:address:10.0.0.1', policy: addressPolicy };
const t0 = new Date('2026-11-27T12:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

class WrongPassword extends Error {}
const wrongPassword = async (): Promise<string> => {
  throw new WrongPassword();
};

/** A check that waits until released, then succeeds or fails: attempts that overlap, as parallel requests do. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    open: () => open(),
    check: (ok: boolean) => async () => {
      await opened;
      if (!ok) throw new WrongPassword();
      return 'signed in';
    },
  };
}

describe('the throttle of one process on SQLite (S11)', () => {
  let dir: string;
  let store: Store;
  let local: Throttle;
  const rows = () => store.db.selectFrom('throttle').selectAll().orderBy('key').execute();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-throttle-'));
    store = openStore({ databaseUrl: null, databaseSchema: null, dataDir: dir });
    await migrateToLatest(store, null);
    local = createLocalThrottle(store.db);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('S11: a success that had no failures before writes nothing to the store', async () => {
    expect(await local.guard([key, other], at(0), async () => 'ok')).toEqual({ value: 'ok' });
    expect(await rows()).toEqual([]);
  });

  it('S11: a failure is in the store before the guard gives the error back, counted on every key', async () => {
    await expect(local.guard([key, other], at(0), wrongPassword)).rejects.toThrow(WrongPassword);
    // Nothing held in memory is needed to read it: a new process (after a restart) sees the same.
    const afterRestart = createLocalThrottle(store.db);
    expect(await rows()).toEqual([
      { key: key.key, failures: 1, window_start: t0.getTime(), blocked_until: 0 },
      { key: other.key, failures: 1, window_start: t0.getTime(), blocked_until: 0 },
    ]);
    for (let i = 0; i < 2; i += 1)
      await expect(afterRestart.guard([key], at(1), wrongPassword)).rejects.toThrow(WrongPassword);
    // The fourth failure is past the 3 free ones: the next attempt waits 1 s, after a restart too.
    await expect(afterRestart.guard([key], at(2), wrongPassword)).rejects.toThrow(WrongPassword);
    expect(await createLocalThrottle(store.db).guard([key], at(2), async () => 'ok')).toEqual({ throttled: 1 });
  });

  it('S11: a burst of parallel guesses is counted one by one: the free ones and one more run, the rest wait', async () => {
    const g = gate();
    const checks: string[] = [];
    const burst = Array.from({ length: 10 }, (_, i) =>
      local.guard([key], at(0), async () => {
        checks.push(`guess ${i}`);
        return g.check(false)();
      }),
    );
    await Promise.resolve();
    g.open();
    const outcomes = await Promise.allSettled(burst);
    expect(checks).toHaveLength(4);
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(4);
    expect(
      outcomes.filter((o) => o.status === 'fulfilled' && 'throttled' in o.value && o.value.throttled === 1),
    ).toHaveLength(6);
    expect(await rows()).toEqual([
      { key: key.key, failures: 4, window_start: t0.getTime(), blocked_until: at(1).getTime() },
    ]);
  });

  it('S11: while a check runs, other attempts count it; a success clears what was counted with it', async () => {
    const g = gate();
    const running = [
      local.guard([key], at(0), g.check(false)),
      local.guard([key], at(0), g.check(false)),
      local.guard([key], at(0), g.check(true)),
    ];
    // Three in flight and one more now: the fourth is the last free one, the fifth must wait.
    const fourth = local.guard([key], at(0), async () => 'fourth');
    expect(await local.guard([key], at(0), async () => 'fifth')).toEqual({ throttled: 1 });
    expect(await fourth).toEqual({ value: 'fourth' });
    g.open();
    const outcomes = await Promise.allSettled(running);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    // The store throttle counts all of them at once and deletes the row at the fourth's success; failures
    // ending after it leave nothing behind. The same here.
    expect(await rows()).toEqual([]);
  });

  it('S11: failures stored before a success are cleared by it', async () => {
    for (let i = 0; i < 2; i += 1)
      await expect(local.guard([key], at(i), wrongPassword)).rejects.toThrow(WrongPassword);
    expect(await rows()).toHaveLength(1);
    expect(await local.guard([key], at(3), async () => 'ok')).toEqual({ value: 'ok' });
    expect(await rows()).toEqual([]);
  });

  it('S11: plain attempts (mail requests, code guesses) are stored at once, and see guarded ones under way', async () => {
    const g = gate();
    const running = local.guard([key], at(0), g.check(false));
    expect(await local.attempt([key], at(0))).toBe(0);
    expect(await rows()).toEqual([{ key: key.key, failures: 2, window_start: t0.getTime(), blocked_until: 0 }]);
    g.open();
    await expect(running).rejects.toThrow(WrongPassword);
    expect(await rows()).toEqual([{ key: key.key, failures: 2, window_start: t0.getTime(), blocked_until: 0 }]);
    await local.clear([key.key]);
    expect(await rows()).toEqual([]);
  });

  it('S11: gives the same answers as the store throttle for the same attempts', async () => {
    const storeThrottle = createStoreThrottle(store.db);
    const answers = async (throttle: Throttle, prefix: string) => {
      const k = { ...key, key: `${prefix}:${key.key}` };
      const seen: unknown[] = [];
      for (let second = 0; second < 40; second += 1) {
        const outcome = await throttle
          .guard([k], at(second * 0.7), second % 9 === 8 ? async () => 'ok' : wrongPassword)
          .catch((err: unknown) => err);
        seen.push(outcome instanceof WrongPassword ? 'failed' : outcome);
      }
      return seen;
    };
    const fromStore = await answers(storeThrottle, 'store');
    expect(await answers(local, 'local')).toEqual(fromStore);
    expect(fromStore.filter((a) => typeof a === 'object' && a !== null && 'throttled' in a).length).toBeGreaterThan(5);
  });
});

const implementations = [
  ...(await storeKinds()).map((store) => ({
    name: `the store throttle on ${store}`,
    store,
    make: createStoreThrottle,
  })),
  { name: 'the local throttle', store: 'sqlite' as const, make: createLocalThrottle },
];

describe.each(implementations)('what a success does to each key: $name (S11)', ({ store: kind, make }) => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let dir: string;
  let store: Store;
  let throttle: Throttle;
  const address: ThrottleKey = { key: 'signin:address:10.0.0.9', policy: addressPolicy };
  const account = (name: string): ThrottleKey => ({ key: `signin:account:${name}`, policy });
  const row = async (k: ThrottleKey) =>
    (
      await store.db
        .selectFrom('throttle')
        .select(['failures', 'window_start', 'blocked_until'])
        .where('key', '=', k.key)
        .execute()
    )[0];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-throttle-'));
    const postgres = kind === 'postgres';
    store = openStore({
      databaseUrl: postgres ? POSTGRES_URL : null,
      databaseSchema: postgres ? schema : null,
      dataDir: dir,
    });
    await migrateToLatest(store, postgres ? schema : null);
    throttle = make(store.db);
  });
  afterEach(async () => {
    if (kind === 'postgres') await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('S11: a success clears its account key and gives back only its own attempt on the address key', async () => {
    // The owner mistyped twice; an attacker sprays three other accounts from the same address.
    for (let i = 0; i < 2; i += 1)
      await expect(throttle.guard([account('owner'), address], at(0), wrongPassword)).rejects.toThrow(WrongPassword);
    for (let i = 0; i < 3; i += 1)
      await expect(throttle.guard([account(`sprayed${i}`), address], at(0), wrongPassword)).rejects.toThrow(
        WrongPassword,
      );
    expect(await row(address)).toEqual({ failures: 5, window_start: t0.getTime(), blocked_until: 0 });
    // The owner signs in: the sixth attempt on the address, past its 5 free ones (a block of 1 s while it runs).
    expect(await throttle.guard([account('owner'), address], at(0), async () => 'ok')).toEqual({ value: 'ok' });
    expect(await row(account('owner'))).toBeUndefined();
    expect(await row(address)).toEqual({ failures: 5, window_start: t0.getTime(), blocked_until: 0 });
    // The block went with the attempt: the next one is let through, counted as the sixth, and blocks.
    expect(await throttle.attempt([address], at(0))).toBe(0);
    expect(await row(address)).toEqual({ failures: 6, window_start: t0.getTime(), blocked_until: at(1).getTime() });
  });

  it('S11: a success gives back its own attempt and none of the failures that overlap it', async () => {
    const failing = gate();
    const succeeding = gate();
    const first = throttle.guard([account('a'), address], at(0), failing.check(false));
    const success = throttle.guard([account('owner'), address], at(0), succeeding.check(true));
    const second = throttle.guard([account('b'), address], at(0), failing.check(false));
    succeeding.open();
    expect(await success).toEqual({ value: 'signed in' });
    failing.open();
    await expect(first).rejects.toThrow(WrongPassword);
    await expect(second).rejects.toThrow(WrongPassword);
    expect(await row(address)).toEqual({ failures: 2, window_start: t0.getTime(), blocked_until: 0 });
    expect(await row(account('owner'))).toBeUndefined();
  });

  it('S11: a plain attempt reported as a success settles the same way (passkey sign-in)', async () => {
    for (let i = 0; i < 2; i += 1) expect(await throttle.attempt([account('owner'), address], at(0))).toBe(0);
    expect(await throttle.attempt([account('owner'), address], at(0))).toBe(0);
    await throttle.succeeded([account('owner'), address], at(0));
    expect(await row(account('owner'))).toBeUndefined();
    expect(await row(address)).toEqual({ failures: 2, window_start: t0.getTime(), blocked_until: 0 });
  });

  it('S11: a key whose policy keeps successes stays counted (link-code guesses, mail requests)', async () => {
    const kept: ThrottleKey = { key: 'link:guess:user:u1', policy: { ...policy, onSuccess: 'keep' } };
    expect(await throttle.guard([kept], at(0), async () => 'ok')).toEqual({ value: 'ok' });
    await throttle.succeeded([kept], at(0));
    expect(await throttle.attempt([kept], at(0))).toBe(0);
    expect(await row(kept)).toEqual({ failures: 2, window_start: t0.getTime(), blocked_until: 0 });
  });
});
