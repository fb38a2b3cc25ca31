// Two instances on one PostgreSQL schema and one Redis: what one does, the other honours at once.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { RevocationEvent } from '../../src/events.ts';
import { REDIS_URL } from '../helpers/services.ts';
import { cluster, haveClusterServices, type Cluster } from './cluster-helpers.ts';

const ready = await haveClusterServices();
const PASSWORD = 'velvet thunder orchard mosaic';

describe.skipIf(!ready)('two instances on PostgreSQL and Redis', () => {
  let c: Cluster;
  afterEach(async () => c?.close());

  it('S23: a session signed out of all devices on B is refused on A at the very next request', async () => {
    c = cluster();
    const a = await c.start();
    const b = await c.start();
    await a.createUser({ username: 'ada', password: PASSWORD });
    const onA = await a.login('ada', PASSWORD);
    const onB = await b.login('ada', PASSWORD);
    expect((await a.request('GET', '/api/v1/me', { token: onA })).status).toBe(200);
    expect((await b.request('GET', '/api/v1/me', { token: onA })).status).toBe(200);

    const revoked = await b.request('POST', '/api/v1/me/sessions/revoke-all', {
      token: onB,
      body: { include_current: true },
    });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);

    expect((await a.request('GET', '/api/v1/me', { token: onA })).status).toBe(401);
    expect((await a.request('GET', '/api/v1/me', { token: onB })).status).toBe(401);
  });

  it('S23: sign-out of one session on A is refused on B at the very next request', async () => {
    c = cluster();
    const a = await c.start();
    const b = await c.start();
    await a.createUser({ username: 'ben', password: PASSWORD });
    const token = await a.login('ben', PASSWORD);
    expect((await b.request('GET', '/api/v1/me', { token })).status).toBe(200);
    expect((await a.request('POST', '/api/v1/auth/logout', { token })).status).toBeLessThan(300);
    expect((await b.request('GET', '/api/v1/me', { token })).status).toBe(401);
  });

  it("a revocation on B reaches the event subscribers of A once, and B's own subscribers once", async () => {
    c = cluster();
    const a = await c.start();
    const b = await c.start();
    const user = await a.createUser({ username: 'cleo', password: PASSWORD });
    const token = await b.login('cleo', PASSWORD);
    const seenOnA: RevocationEvent[] = [];
    const seenOnB: RevocationEvent[] = [];
    a.deps.events.subscribe('revoked', (e) => seenOnA.push(e));
    b.deps.events.subscribe('revoked', (e) => seenOnB.push(e));
    expect((await b.request('POST', '/api/v1/auth/logout', { token })).status).toBeLessThan(300);
    await waitUntil(() => seenOnA.length > 0);
    // Give a duplicate time to arrive before checking there is none.
    await new Promise((r) => setTimeout(r, 100));
    expect(seenOnA).toEqual([{ userId: user.id, sessionIds: [expect.any(String)], reason: 'sign_out' }]);
    expect(seenOnB).toEqual(seenOnA);
  });

  it('S11: failed sign-ins count across both instances, in Redis', async () => {
    c = cluster();
    const a = await c.start();
    const b = await c.start();
    await a.createUser({ username: 'dora', password: PASSWORD });
    const fail = (s: typeof a) =>
      s.request('POST', '/api/v1/auth/login', { body: { login: 'dora', password: 'wrong horse battery staple' } });
    // Five free attempts on the account policy, spread over both instances, then a sixth that is
    // counted and starts a one-second block.
    for (const s of [a, b, a, b, a, b]) expect((await fail(s)).status).toBe(401);
    const refusedOnA = await fail(a);
    expect(refusedOnA.status).toBe(429);
    expect(Number(refusedOnA.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const refusedOnB = await fail(b);
    expect(refusedOnB.status).toBe(429);
    // The right password is refused too while the block lasts: the counter is one for both instances.
    expect(
      (await b.request('POST', '/api/v1/auth/login', { body: { login: 'dora', password: PASSWORD } })).status,
    ).toBe(429);

    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`hearth:${c.schema}:throttle:*`);
      expect(keys.some((k) => k.includes(':count:signin:account:'))).toBe(true);
      expect(keys.some((k) => k.includes(':block:signin:account:'))).toBe(true);
    } finally {
      redis.disconnect();
    }
    // Nothing went to the store's table: the counters live in Redis.
    expect(await a.deps.db.selectFrom('throttle').select('key').execute()).toEqual([]);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
