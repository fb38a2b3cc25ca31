// Redis that stops answering without closing (a partition, a stalled server): no connection event tells
// it, only the heartbeat (about three seconds) and a command's timeout (one second). Revocations and
// sign-ins must not wait on it. The instance here runs on a Redis of its own, frozen with SIGSTOP.
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { haveProgram } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { captureLog, killRedis, startRedis, type CapturedLog } from './cluster-helpers.ts';
import { freePort } from '../helpers/net.ts';

const PASSWORD = 'velvet thunder orchard mosaic';

/** How long the request took, or 'hung' past `limitMs` (so a hang fails the test, not its timeout). */
async function timed<T>(request: Promise<T>, limitMs: number): Promise<{ value: T; ms: number } | 'hung'> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), limitMs)));
  const outcome = await Promise.race([request.then((value) => ({ value, ms: Date.now() - started })), hung]);
  clearTimeout(timer);
  return outcome;
}

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

describe.skipIf(!haveProgram('redis-server'))('Redis hung (sockets open, no answers)', { timeout: 60_000 }, () => {
  let redis: ChildProcess | null = null;
  let server: TestServer | null = null;
  afterEach(async () => {
    // Redis first, so closing the server does not wait on a frozen one.
    if (redis) await killRedis(redis);
    redis = null;
    await server?.close();
    server = null;
  });

  it('S23: sign-out answers promptly and its token is refused at once, before and after the link is declared down; sign-ins are throttled in the store', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    const log = captureLog();
    server = await startTestServer({ env: { HEARTH_REDIS_URL: `redis://127.0.0.1:${port}` }, log: log.log });
    const s = server;
    await waitForLog(log, 'info', /Redis connected/);
    await s.createUser({ username: 'carol', password: PASSWORD });
    const [first, second, third] = [
      await s.login('carol', PASSWORD),
      await s.login('carol', PASSWORD),
      await s.login('carol', PASSWORD),
    ];
    const wrongPassword = () =>
      s.request('POST', '/api/v1/auth/login', { body: { login: 'carol', password: 'wrong horse battery staple' } });

    redis.kill('SIGSTOP');

    // Not yet known to be down: each command waits at most its timeout (one second).
    const early = await timed(s.request('POST', '/api/v1/auth/logout', { token: first }), 5000);
    expect(early).not.toBe('hung');
    expect(early !== 'hung' && { status: early.value.status < 300, withinTimeout: early.ms < 3000 }).toEqual({
      status: true,
      withinTimeout: true,
    });
    expect((await s.request('GET', '/api/v1/me', { token: first })).status).toBe(401);
    const earlyFail = await timed(wrongPassword(), 5000);
    expect(earlyFail !== 'hung' && { status: earlyFail.value.status, withinTimeout: earlyFail.ms < 3000 }).toEqual({
      status: 401,
      withinTimeout: true,
    });

    await waitForLog(log, 'warn', /Redis is unreachable/);

    // Known to be down: nothing waits on Redis at all.
    const late = await timed(s.request('POST', '/api/v1/auth/logout', { token: second }), 5000);
    expect(late !== 'hung' && { status: late.value.status < 300, prompt: late.ms < 1000 }).toEqual({
      status: true,
      prompt: true,
    });
    expect((await s.request('GET', '/api/v1/me', { token: second })).status).toBe(401);
    expect((await s.request('GET', '/api/v1/me', { token: third })).status).toBe(200);
    const lateFail = await timed(wrongPassword(), 5000);
    expect(lateFail !== 'hung' && { status: lateFail.value.status, prompt: lateFail.ms < 1000 }).toEqual({
      status: 401,
      prompt: true,
    });
    // Both failures were counted, in the store, since Redis did not answer.
    const rows = await s.deps.db.selectFrom('throttle').select('key').execute();
    expect(rows.some((r) => r.key.startsWith('signin:account:'))).toBe(true);
  });
});
