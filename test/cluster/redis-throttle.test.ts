// The Redis throttle keeps the store throttle's policy: free attempts, then doubling blocks up to a
// maximum; counted before checked; a refused attempt is not counted; `clear` deletes; a success clears or
// gives back its attempt as the key's policy says.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Throttle, ThrottleKey, ThrottlePolicy } from '../../src/accounts/throttle.ts';
import { RedisLink } from '../../src/cluster/redis-link.ts';
import { createRedisThrottle } from '../../src/cluster/redis-throttle.ts';
import { REDIS_URL, haveRedis } from '../helpers/services.ts';

const ready = await haveRedis();
const now = new Date();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recordingFallback(): Throttle & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async attempt(keys) {
      calls.push(`attempt ${keys.map((k) => k.key).join(',')}`);
      return 7;
    },
    async clear(keys) {
      calls.push(`clear ${keys.join(',')}`);
    },
    async succeeded(keys) {
      calls.push(`succeeded ${keys.map((k) => k.key).join(',')}`);
    },
    async guard() {
      throw new Error('the Redis throttle guards with its own attempt and clear');
    },
  };
}

describe.skipIf(!ready)('throttle counters in Redis', () => {
  const namespace = `hearth:test_${randomBytes(6).toString('hex')}`;
  let link: RedisLink;
  let redis: Redis;
  let fallback: ReturnType<typeof recordingFallback>;
  let throttle: Throttle;
  let n = 0;
  const key = (policy: ThrottlePolicy): ThrottleKey => ({ key: `k${++n}`, policy });
  const count = async (k: ThrottleKey) => Number(await redis.get(`${namespace}:throttle:count:${k.key}`));

  beforeAll(async () => {
    link = new RedisLink({ url: REDIS_URL, instanceId: 'test', namespace, log: pino({ level: 'silent' }) });
    await link.start();
    redis = new Redis(REDIS_URL);
    fallback = recordingFallback();
    throttle = createRedisThrottle(link, fallback, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    const keys = await redis?.keys(`${namespace}:*`);
    if (keys?.length) await redis.del(...keys);
    redis?.disconnect();
    await link?.close();
  });

  it('S11: free attempts, then blocks that double up to the maximum; a refused attempt is not counted', async () => {
    const k = key({ free: 1, baseSeconds: 1, maxSeconds: 2, windowSeconds: 60, onSuccess: 'clear' });
    expect(await throttle.attempt([k], now)).toBe(0);
    expect(await throttle.attempt([k], now)).toBe(0); // second failure: counted, blocks 1 s
    expect(await throttle.attempt([k], now)).toBe(1);
    expect(await count(k)).toBe(2);
    await sleep(1100);
    expect(await throttle.attempt([k], now)).toBe(0); // third: blocks 2 s
    expect(await throttle.attempt([k], now)).toBe(2);
    await sleep(2100);
    expect(await throttle.attempt([k], now)).toBe(0); // fourth: 4 s, capped at 2
    expect(await throttle.attempt([k], now)).toBe(2);
    expect(await count(k)).toBe(4);
    expect(fallback.calls).toEqual([]);
  });

  it('S11: a parallel burst cannot slip past the counter', async () => {
    const k = key({ free: 3, baseSeconds: 60, maxSeconds: 60, windowSeconds: 600, onSuccess: 'clear' });
    const waits = await Promise.all(Array.from({ length: 30 }, () => throttle.attempt([k], now)));
    const allowed = waits.filter((w) => w === 0).length;
    expect(allowed).toBeGreaterThanOrEqual(1);
    expect(allowed).toBeLessThanOrEqual(4);
    expect(waits.filter((w) => w > 0).every((w) => w > 0 && w <= 60)).toBe(true);
    // Only the attempts let through are counted.
    expect(await count(k)).toBe(allowed);
    expect(await throttle.attempt([k], now)).toBeGreaterThan(0);
  });

  it('a block on one key refuses the attempt without counting it on the others', async () => {
    const account = key({ free: 0, baseSeconds: 60, maxSeconds: 60, windowSeconds: 600, onSuccess: 'clear' });
    const address = key({ free: 20, baseSeconds: 1, maxSeconds: 900, windowSeconds: 3600, onSuccess: 'give back' });
    expect(await throttle.attempt([account, address], now)).toBe(0);
    expect(await throttle.attempt([account, address], now)).toBe(60);
    expect(await count(account)).toBe(1);
    expect(await count(address)).toBe(1);
  });

  it('clear deletes the counters and the block', async () => {
    const k = key({ free: 0, baseSeconds: 60, maxSeconds: 60, windowSeconds: 600, onSuccess: 'clear' });
    expect(await throttle.attempt([k], now)).toBe(0);
    expect(await throttle.attempt([k], now)).toBe(60);
    await throttle.clear([k.key]);
    expect(await redis.exists(`${namespace}:throttle:count:${k.key}`, `${namespace}:throttle:block:${k.key}`)).toBe(0);
    expect(await throttle.attempt([k], now)).toBe(0);
    expect(await count(k)).toBe(1);
    // A success also clears what a Redis outage left in the store.
    expect(fallback.calls).toEqual([`clear ${k.key}`]);
  });

  it('S11: a success clears its account key and gives back only its own attempt on the address key', async () => {
    const address = key({ free: 5, baseSeconds: 60, maxSeconds: 60, windowSeconds: 600, onSuccess: 'give back' });
    const owner = key({ free: 3, baseSeconds: 60, maxSeconds: 60, windowSeconds: 600, onSuccess: 'clear' });
    const calls = fallback.calls.length;
    // The owner mistyped twice; an attacker sprays three other accounts from the same address.
    for (let i = 0; i < 2; i += 1) expect(await throttle.attempt([owner, address], now)).toBe(0);
    for (let i = 0; i < 3; i += 1) expect(await throttle.attempt([key(owner.policy), address], now)).toBe(0);
    // The owner signs in: the sixth attempt on the address, past its 5 free ones, takes a block while it runs.
    const guarded = throttle.guard([owner, address], now, async () => {
      expect(await redis.exists(`${namespace}:throttle:block:${address.key}`)).toBe(1);
      return 'ok';
    });
    expect(await guarded).toEqual({ value: 'ok' });
    expect(
      await redis.exists(`${namespace}:throttle:count:${owner.key}`, `${namespace}:throttle:block:${owner.key}`),
    ).toBe(0);
    expect(await count(address)).toBe(5);
    // The block went with the attempt: the next one is let through, counted as the sixth, and blocks.
    expect(await redis.exists(`${namespace}:throttle:block:${address.key}`)).toBe(0);
    expect(await throttle.attempt([address], now)).toBe(0);
    expect(await throttle.attempt([address], now)).toBe(60);
    expect(await count(address)).toBe(6);
    // The store's leftovers from an outage are cleared for the account key only.
    expect(fallback.calls.slice(calls)).toEqual([`clear ${owner.key}`]);
  });

  it('S11: a success gives back its own attempt and none of the failures that overlap it', async () => {
    const address = key({ free: 20, baseSeconds: 1, maxSeconds: 900, windowSeconds: 600, onSuccess: 'give back' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const success = throttle.guard([key({ ...address.policy, onSuccess: 'clear' }), address], now, async () => {
      await released;
      return 'ok';
    });
    for (let i = 0; i < 3; i += 1) expect(await throttle.attempt([key(address.policy), address], now)).toBe(0);
    release();
    expect(await success).toEqual({ value: 'ok' });
    expect(await count(address)).toBe(3);
  });

  it('S11: a give-back on a counter whose window ran out leaves no credit behind', async () => {
    const address = key({ free: 1, baseSeconds: 60, maxSeconds: 60, windowSeconds: 1, onSuccess: 'give back' });
    expect(await throttle.attempt([address], now)).toBe(0);
    await sleep(1100);
    await throttle.succeeded([address], now);
    expect(await count(address)).toBe(0);
    // One free attempt, a second that is counted and blocks, a third that waits.
    expect(await throttle.attempt([address], now)).toBe(0);
    expect(await throttle.attempt([address], now)).toBe(0);
    expect(await throttle.attempt([address], now)).toBe(60);
  });

  it('falls back to the store throttle when Redis does not answer', async () => {
    const dead = new RedisLink({
      url: 'redis://127.0.0.1:1',
      instanceId: 'test',
      namespace,
      log: pino({ level: 'silent' }),
      connectTimeoutMs: 200,
    });
    await dead.start();
    try {
      const own = recordingFallback();
      const degraded = createRedisThrottle(dead, own, pino({ level: 'silent' }));
      const k = key({ free: 0, baseSeconds: 60, maxSeconds: 60, windowSeconds: 600, onSuccess: 'clear' });
      expect(await degraded.attempt([k], now)).toBe(7);
      expect(own.calls).toEqual([`attempt ${k.key}`]);
    } finally {
      await dead.close();
    }
  });
});
