// S11: failed sign-ins are throttled per account and per address with growing delays, never more than 100
// verifications an hour on one account, and the owner's known device is never locked out. S12: every failure
// is one log line with the address. Time is moved with the test clock, never slept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLog, countVerifications, expectError, setupOwner } from '../helpers/accounts.ts';
import { startTestServer, testClock, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

const login = (s: TestServer, name: string, password: string, headers: Record<string, string> = {}) =>
  s.request('POST', '/api/v1/auth/login', { body: { login: name, password }, headers });

function retryAfter(res: ApiResponse): number {
  expectError(res, 429, 'too_many_requests');
  const header = Number(res.headers['retry-after']);
  expect(header).toBeGreaterThan(0);
  expect(res.body.error.details.retry_after).toBe(header);
  return header;
}

describe.each(await storeKinds())('sign-in throttling on %s (S11)', (store) => {
  describe('one attacker address', () => {
    let s: TestServer;
    const clock = testClock();
    beforeAll(async () => {
      s = await startTestServer({ store, clock: clock.clock });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S11: after a few free failures the delays grow (1, 2, 4, 8 s) with 429 and Retry-After; a blocked try costs no hash', async () => {
      await s.createUser({ username: 'victim', password: 'tangerine glacier motif owl' });
      for (let i = 0; i < 6; i += 1)
        expectError(await login(s, 'victim', `guess number ${i}`), 401, 'invalid_credentials');
      const verifications = countVerifications(s);
      const waits: number[] = [];
      for (let round = 0; round < 4; round += 1) {
        const wait = retryAfter(await login(s, 'victim', 'another guess here'));
        waits.push(wait);
        // Still blocked a moment before the wait is over, also for the right password.
        clock.advance(wait * 1000 - 200);
        retryAfter(await login(s, 'victim', 'tangerine glacier motif owl'));
        clock.advance(200);
        expectError(await login(s, 'victim', `late guess ${round}`), 401, 'invalid_credentials');
      }
      expect(waits).toEqual([1, 2, 4, 8]);
      // Only the four attempts that were let through ran argon2.
      expect(verifications.total).toBe(4);
    });

    it('S11: an unknown login is throttled the same way, so the 429 does not tell accounts apart', async () => {
      for (let i = 0; i < 6; i += 1)
        expectError(await login(s, 'no-such-user', `guess number ${i}`), 401, 'invalid_credentials');
      expect(retryAfter(await login(s, 'no-such-user', 'x-guess'))).toBe(1);
    });

    it('S11: per address: one address spraying many accounts is slowed down too', async () => {
      clock.advance(2 * 3600_000);
      const statuses: number[] = [];
      for (let i = 0; i < 24; i += 1) statuses.push((await login(s, `sprayed${i}`, 'spring password guess')).status);
      expect(statuses.slice(0, 20).every((st) => st === 401)).toBe(true);
      expect(statuses).toContain(429);
    });

    it("S11: per address: the attacker's own successful sign-ins from that address do not wipe its failures", async () => {
      clock.advance(2 * 3600_000);
      const own = await s.createUser({ username: 'sprayer', password: 'gravel sonnet iris plume' });
      const statuses: number[] = [];
      let marker = '';
      for (let round = 0; round < 3; round += 1) {
        const res = await login(s, own.username, own.password);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        marker = res.body.device_marker;
        for (let i = 0; i < 8; i += 1)
          statuses.push((await login(s, `sprayed-again${round}-${i}`, 'spring password guess')).status);
      }
      // 24 failures from one address within the hour, a success between every 8: 20 go through, then delays.
      expect(statuses.slice(0, 21).every((st) => st === 401)).toBe(true);
      expect(statuses.slice(21)).toEqual([429, 429, 429]);
      // The address waits for every account without a known device; the attacker's known device only frees its own.
      retryAfter(await login(s, own.username, own.password));
      expect((await login(s, own.username, own.password, { 'x-hearth-device': marker })).status).toBe(200);
      retryAfter(await login(s, 'sprayed-again-after', 'spring password guess'));
    });
  });

  describe('bursts', () => {
    let s: TestServer;
    const clock = testClock();
    beforeAll(async () => {
      s = await startTestServer({ store, clock: clock.clock });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S11: a burst of parallel guesses is counted one by one: 6 get checked, the rest wait', async () => {
      await s.createUser({ username: 'burst', password: 'nickel raven sundial gorge' });
      const verifications = countVerifications(s);
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login(s, 'burst', `parallel guess ${i}`)));
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array(6).fill(401), ...Array(6).fill(429)]);
      expect(verifications.total).toBe(6);
    });

    it('S11: parallel sign-ins of many users from one address all succeed (successes clear keys others are counting on)', async () => {
      clock.advance(2 * 3600_000);
      const users = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          s.createUser({ username: `crowd${i}`, password: `crowd member number ${i} here` }),
        ),
      );
      for (let round = 0; round < 4; round += 1) {
        const answers = await Promise.all(users.map((u) => login(s, u.username, u.password)));
        expect(
          answers.map((r) => r.status),
          JSON.stringify(answers.find((r) => r.status !== 200)?.body),
        ).toEqual(Array(8).fill(200));
      }
    });
  });

  describe('the owner and the attacker', () => {
    let s: TestServer;
    const clock = testClock();
    const password = 'orchard lantern basil cove';
    let marker: string;
    beforeAll(async () => {
      s = await startTestServer({ store, clock: clock.clock });
      await setupOwner(s);
      await s.createUser({ username: 'homeowner', password });
      const first = await login(s, 'homeowner', password);
      expect(first.status).toBe(200);
      marker = first.body.device_marker;
      expect(marker).toMatch(/^hd1\./);
      // The attack: hammering until the account is blocked.
      for (let i = 0; i < 12; i += 1) {
        const res = await login(s, 'homeowner', `attacker guess ${i}`);
        if (res.status === 429) break;
      }
      retryAfter(await login(s, 'homeowner', password));
    });
    afterAll(async () => s?.close());

    it('S11: the owner signs in with the device marker from an earlier sign-in (X-Hearth-Device) while the attacker is blocked', async () => {
      const res = await login(s, 'homeowner', password, { 'x-hearth-device': marker });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.token).toMatch(/^hs_/);
      retryAfter(await login(s, 'homeowner', 'attacker keeps going'));
    });

    it('S11: the same works with the hearth_device cookie a browser kept', async () => {
      const res = await login(s, 'homeowner', password, { cookie: `hearth_device=${marker}` });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      retryAfter(await login(s, 'homeowner', 'attacker keeps going'));
    });

    it("S11: a marker from the attacker's own account, or a forged one, does not lift the block", async () => {
      await s.createUser({ username: 'mallory', password: 'gravel sonnet iris plume' });
      const own = await login(s, 'mallory', 'gravel sonnet iris plume');
      expect(own.status).toBe(200);
      retryAfter(await login(s, 'homeowner', 'attacker guess', { 'x-hearth-device': own.body.device_marker }));
      const forged = marker.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
      retryAfter(await login(s, 'homeowner', 'attacker guess', { 'x-hearth-device': forged }));
    });
  });

  describe('a distributed attacker', () => {
    let s: TestServer;
    const clock = testClock();
    beforeAll(async () => {
      // Every request from its own address (X-Forwarded-For behind a trusted proxy): only the account limit holds.
      s = await startTestServer({ store, clock: clock.clock, env: { HEARTH_TRUST_PROXY: '1' } });
      await setupOwner(s);
      await s.createUser({ username: 'target', password: 'meadow cipher bramble quay' });
    });
    afterAll(async () => s?.close());

    it('S11: over three simulated hours, no 60-minute span sees more than 100 password checks on one account', async () => {
      const verifications = countVerifications(s);
      const start = clock.clock().getTime();
      const checkedAt: number[] = [];
      let n = 0;
      while (clock.clock().getTime() - start < 3 * 3600_000) {
        n += 1;
        const address = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
        const res = await login(s, 'target', `distributed guess ${n}`, { 'x-forwarded-for': address });
        if (res.status === 429) {
          clock.advance(retryAfter(res) * 1000);
        } else {
          expectError(res, 401, 'invalid_credentials');
          checkedAt.push(clock.clock().getTime());
          // An attacker does not wait between allowed guesses.
        }
      }
      expect(verifications.total).toBe(checkedAt.length);
      let worst = 0;
      for (let i = 0; i < checkedAt.length; i += 1) {
        const inHour = checkedAt.filter((t) => t >= checkedAt[i]! && t < checkedAt[i]! + 3600_000).length;
        worst = Math.max(worst, inHour);
      }
      expect(worst).toBeLessThanOrEqual(100);
      // The attack did get its free guesses in every hour: the limit is what stopped it, not the test.
      expect(checkedAt.length).toBeGreaterThanOrEqual(3 * 5);
    });
  });
});

describe.each(await storeKinds())('failure log lines on %s (S12)', (store) => {
  let s: TestServer;
  let lines: string[];
  const clock = testClock();
  const failureLines = () => lines.filter((l) => l.includes('Authentication failure'));
  // A fail2ban filter in the usual greedy form: the address is the last `from <HOST> (` on the line.
  const fail2ban = /Authentication failure .* from (\S+) \(/;

  beforeAll(async () => {
    const captured = capturedLog();
    lines = captured.lines;
    s = await startTestServer({ store, clock: clock.clock, log: captured.log });
    await setupOwner(s);
    await s.createUser({ username: 'logged', password: 'fennel horizon tulip arch' });
  });
  afterAll(async () => s?.close());

  /** Runs one failing request and returns the single new failure line it wrote. */
  async function oneFailureLine(run: () => Promise<ApiResponse>, status: number): Promise<Record<string, unknown>> {
    const before = failureLines().length;
    const res = await run();
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    const added = failureLines().slice(before);
    expect(added, added.join('\n')).toHaveLength(1);
    const line = added[0]!;
    expect(line).not.toContain('\n');
    expect(fail2ban.exec(line)?.[1]).toBe('127.0.0.1');
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed.ip).toBe('127.0.0.1');
    return parsed;
  }

  it('S12: a wrong password, an unknown account and a throttled try each write one line with the address', async () => {
    expect((await oneFailureLine(() => login(s, 'logged', 'wrong password here'), 401)).reason).toBe('wrong_password');
    expect((await oneFailureLine(() => login(s, 'nobody-here', 'wrong password here'), 401)).reason).toBe(
      'unknown_user',
    );
    for (let i = 0; i < 5; i += 1) await login(s, 'logged', `more wrong ${i}`);
    expect((await oneFailureLine(() => login(s, 'logged', 'blocked now'), 429)).reason).toBe('throttled');
    clock.advance(2 * 3600_000);
  });

  it('S12: a flagged or disabled account signing in with its password writes one line', async () => {
    const flagged = await s.createUser({ username: 'flaggedlog', password: 'sorrel pilot quiver dune' });
    await s.deps.db.updateTable('users').set({ reset_required: 1 }).where('id', '=', flagged.id).execute();
    expect((await oneFailureLine(() => login(s, 'flaggedlog', flagged.password), 403)).reason).toBe(
      'password_reset_required',
    );
    const disabled = await s.createUser({ username: 'disabledlog', password: 'mango trellis vapor kite' });
    await s.deps.db.updateTable('users').set({ disabled: 1 }).where('id', '=', disabled.id).execute();
    expect((await oneFailureLine(() => login(s, 'disabledlog', disabled.password), 403)).reason).toBe('disabled');
  });

  it('S12: a wrong password at re-authentication or password change writes one line, and so does a throttled one', async () => {
    const token = await s.login('logged', 'fennel horizon tulip arch');
    await oneFailureLine(
      () => s.request('POST', '/api/v1/auth/reauth', { token, body: { password: 'not it at all' } }),
      401,
    );
    await oneFailureLine(
      () =>
        s.request('POST', '/api/v1/me/password', {
          token,
          body: { current_password: 'not it either', new_password: 'plover garnet ember sail' },
        }),
      401,
    );
    for (let i = 0; i < 5; i += 1)
      await s.request('POST', '/api/v1/auth/reauth', { token, body: { password: `wrong ${i}` } });
    const throttled = await oneFailureLine(
      () => s.request('POST', '/api/v1/auth/reauth', { token, body: { password: 'wrong again' } }),
      429,
    );
    expect(throttled.reason).toBe('reauth_throttled');
    clock.advance(2 * 3600_000);
  });

  it('S12: a login made to look like a log line stays on its line and cannot name another address', async () => {
    for (const hostile of [
      'x" from 10.9.9.9 (',
      'evil\nAuthentication failure for "root" from 10.6.6.6 (forged)',
      'Authentication failure from 10.1.1.1 (',
    ]) {
      await oneFailureLine(() => login(s, hostile, 'some password guess'), 401);
    }
  });

  it('S12: a name that matches no account is logged as a keyed digest, never as typed (it may be a password)', async () => {
    const typed = 'Hunter2-my-actual-password';
    const first = await oneFailureLine(() => login(s, typed, 'some password guess'), 401);
    const again = await oneFailureLine(() => login(s, typed.toUpperCase(), 'another guess'), 401);
    const other = await oneFailureLine(() => login(s, 'someone-else', 'another guess'), 401);
    expect(first.login).toMatch(/^unknown:[0-9a-f]{16}$/);
    // The same name (login names are case-insensitive) gives the same digest; another name another one.
    expect(again.login).toBe(first.login);
    expect(other.login).not.toBe(first.login);
    expect(lines.join('\n').toLowerCase()).not.toContain(typed.toLowerCase());
    const events = await s.deps.db
      .selectFrom('security_events')
      .select('detail')
      .where('type', '=', 'sign_in_failed')
      .execute();
    expect(JSON.stringify(events).toLowerCase()).not.toContain(typed.toLowerCase());
    expect(events.some((e) => e.detail === JSON.stringify({ login: first.login }))).toBe(true);
  });

  it('S12: a successful sign-in writes no failure line', async () => {
    const before = failureLines().length;
    await s.login('logged', 'fennel horizon tulip arch');
    expect(failureLines().length).toBe(before);
  });
});
