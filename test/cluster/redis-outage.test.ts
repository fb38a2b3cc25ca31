// Redis gone mid-run: revocations still hold on every instance, throttling goes on in the store, and
// the log says so once; when Redis is back, the log says that too. The cluster here runs on a Redis
// of its own (started and killed by the test), not on the shared one.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { haveProgram } from '../helpers/services.ts';
import {
  captureLog,
  cluster,
  haveClusterServices,
  killRedis,
  startRedis,
  type CapturedLog,
  type Cluster,
} from './cluster-helpers.ts';
import { freePort } from '../helpers/net.ts';

const ready = (await haveClusterServices()) && haveProgram('redis-server');
const PASSWORD = 'velvet thunder orchard mosaic';

async function waitForLog(
  log: CapturedLog,
  level: 'info' | 'warn',
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!log.messages(level).some((m) => pattern.test(m))) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`no ${level} log matching ${pattern}; got ${JSON.stringify(log.lines.map((l) => l.msg))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Several instances start in one busy test process: more time than the default, not less rigour.
describe.skipIf(!ready)('Redis stopped mid-run', { timeout: 60_000 }, () => {
  let c: Cluster | null = null;
  let redis: ChildProcess | null = null;
  afterEach(async () => {
    await c?.close();
    if (redis) await killRedis(redis);
  });

  it('S23: revocations still hold on every instance, throttling falls back to the store, and the log says so', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    c = cluster({ HEARTH_REDIS_URL: `redis://127.0.0.1:${port}` });
    const logA = captureLog();
    const logB = captureLog();
    const a = await c.start({ log: logA.log });
    const b = await c.start({ log: logB.log });
    await waitForLog(logA, 'info', /Redis connected/);
    await waitForLog(logB, 'info', /Redis connected/);

    await a.createUser({ username: 'fern', password: PASSWORD });
    const first = await a.login('fern', PASSWORD);
    const second = await a.login('fern', PASSWORD);
    expect((await b.request('GET', '/api/v1/me', { token: first })).status).toBe(200);
    expect((await a.request('GET', '/api/v1/me', { token: second })).status).toBe(200);

    await killRedis(redis);
    redis = null;
    await waitForLog(logA, 'warn', /Redis is unreachable/);
    await waitForLog(logB, 'warn', /Redis is unreachable/);

    // A sign-out on A is refused on B at once, and one on B on A, with no Redis to carry the news.
    expect((await a.request('POST', '/api/v1/auth/logout', { token: first })).status).toBeLessThan(300);
    expect((await b.request('GET', '/api/v1/me', { token: first })).status).toBe(401);
    expect((await b.request('POST', '/api/v1/auth/logout', { token: second })).status).toBeLessThan(300);
    expect((await a.request('GET', '/api/v1/me', { token: second })).status).toBe(401);

    // Failed sign-ins are still counted, now in the store, across both instances.
    const fail = (s: typeof a) =>
      s.request('POST', '/api/v1/auth/login', { body: { login: 'fern', password: 'wrong horse battery staple' } });
    for (const s of [a, b, a, b, a, b]) expect((await fail(s)).status).toBe(401);
    expect((await fail(a)).status).toBe(429);
    const rows = await a.deps.db.selectFrom('throttle').select('key').execute();
    expect(rows.some((r) => r.key.startsWith('signin:account:'))).toBe(true);

    // Said once per outage, however many requests met it.
    expect(logA.messages('warn').filter((m) => /Redis is unreachable/.test(m))).toHaveLength(1);
    expect(logB.messages('warn').filter((m) => /Redis is unreachable/.test(m))).toHaveLength(1);

    redis = await startRedis(port);
    await waitForLog(logA, 'info', /Redis is reachable again/);
    await waitForLog(logB, 'info', /Redis is reachable again/);
    // Back on Redis's counters, which saw none of the failures above.
    const third = await b.login('fern', PASSWORD);
    expect((await a.request('GET', '/api/v1/me', { token: third })).status).toBe(200);
    expect((await b.request('POST', '/api/v1/auth/logout', { token: third })).status).toBeLessThan(300);
    expect((await a.request('GET', '/api/v1/me', { token: third })).status).toBe(401);
  });
});
