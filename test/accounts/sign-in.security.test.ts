// Signing in: hashing stays off the event loop (S06), unknown accounts answer like wrong passwords (S10),
// a fresh server has no account and only the setup token claims it (S13), a flagged account gets nothing (S14).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER, countVerifications, expectError, http, median, setupOwner } from '../helpers/accounts.ts';
import { SETUP_TOKEN, startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

describe.each(await storeKinds())('signing in on %s', (store) => {
  describe('a fresh server (S13)', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer({ store });
    });
    afterAll(async () => s?.close());

    it('S13: there is no account: the usual default names and passwords do not sign in', async () => {
      expect((await s.request('GET', '/api/v1/setup')).body).toEqual({ setup_required: true });
      for (const [login, password] of [
        ['admin', 'admin'],
        ['admin', 'password'],
        ['owner', 'owner'],
        ['root', 'root'],
        ['hearth', 'hearth'],
      ]) {
        expectError(
          await s.request('POST', '/api/v1/auth/login', { body: { login, password } }),
          401,
          'invalid_credentials',
        );
      }
      const users = await s.deps.db.selectFrom('users').select('id').execute();
      expect(users).toHaveLength(0);
    });

    it('S13: setup without the token is refused', async () => {
      const res = await s.request('POST', '/api/v1/setup', { body: { ...OWNER } });
      expectError(res, 400, 'invalid_body');
      expect(res.body.error.details).toEqual({ field: 'setup_token' });
    });

    it('S13: setup with a wrong token is refused, also one that differs only in case or its last character', async () => {
      for (const wrong of [
        'not-the-token-at-all-000',
        SETUP_TOKEN.toUpperCase(),
        SETUP_TOKEN.slice(0, -1),
        `${SETUP_TOKEN}x`,
      ]) {
        expectError(
          await s.request('POST', '/api/v1/setup', { body: { setup_token: wrong, ...OWNER } }),
          403,
          'invalid_setup_token',
          { tableMessage: true },
        );
      }
      expect((await s.request('GET', '/api/v1/setup')).body).toEqual({ setup_required: true });
    });

    it('S13: the setup token creates the owner once; a second setup is refused, even with the same token', async () => {
      const first = await s.request('POST', '/api/v1/setup', { body: { setup_token: SETUP_TOKEN, ...OWNER } });
      expect(first.status).toBe(201);
      expect(first.body.user.role).toBe('owner');
      const again = await s.request('POST', '/api/v1/setup', {
        body: {
          setup_token: SETUP_TOKEN,
          username: 'usurper',
          email: 'usurper@example.org',
          password: 'granite pelican sonnet wharf',
        },
      });
      expectError(again, 403, 'setup_done', { tableMessage: true });
      expect((await s.request('GET', '/api/v1/setup')).body).toEqual({ setup_required: false });
      expect(await s.deps.db.selectFrom('users').select('username').execute()).toEqual([{ username: 'owner' }]);
    });
  });

  describe('on a listening server', () => {
    let s: TestServer;
    const clock = testClock();
    beforeAll(async () => {
      s = await startTestServer({ store, clock: clock.clock });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S06: while 8 sign-ins are being hashed, /api/v1/health is read and answered without waiting for them', async () => {
      const users = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          s.createUser({ username: `walker${i}`, password: `amber canyon walker number ${i}` }),
        ),
      );
      const signInAll = () =>
        users.map((u) => http(s, 'POST', '/api/v1/auth/login', { body: { login: u.username, password: u.password } }));
      // One round first, so that loading code on first use (fetch, serializers) is not part of what is observed.
      await Promise.all([...signInAll(), http(s, 'GET', '/api/v1/health')]);

      const verifications = countVerifications(s);
      // What the server was doing when each health request reached it. A hash run on the event loop would
      // finish before the loop could read another request, so it would always find none in flight.
      const hashingWhenReceived: number[] = [];
      const hashingWhenAnswered: number[] = [];
      const onRequest = (req: { url?: string }, res: { once(event: 'finish', listener: () => void): void }) => {
        if (req.url !== '/api/v1/health') return;
        hashingWhenReceived.push(verifications.inFlight);
        res.once('finish', () => hashingWhenAnswered.push(verifications.inFlight));
      };
      s.app.server.prependListener('request', onRequest);
      try {
        let pending = 8;
        const signIns = signInAll().map((p) => p.finally(() => (pending -= 1)));
        while (verifications.inFlight < 4 && pending === 8) await new Promise((r) => setTimeout(r, 1));
        // Health asked again and again, one at a time, for as long as the sign-ins take.
        while (pending > 0) {
          const res = await http(s, 'GET', '/api/v1/health');
          expect(res.body).toEqual({ status: 'ok' });
        }
        for (const res of await Promise.all(signIns)) expect(res.status).toBe(200);
        const detail = `hashes in flight when each health request was received: ${hashingWhenReceived}; when its answer was sent: ${hashingWhenAnswered}`;
        // Timing is not asserted (a busy machine stretches every request; bench/auth measures the delay), only
        // the order: the server read and handled a request while the hashes of earlier ones were still running.
        expect(hashingWhenReceived[0], detail).toBeGreaterThan(0);
        expect(hashingWhenAnswered[0], detail).toBeGreaterThan(0);
      } finally {
        s.app.server.off('request', onRequest);
      }
    });

    it('S81: a sign-in answers JSON with the token, the user and the device marker, and nothing unlisted', async () => {
      const user = await s.createUser({ username: 'answered', password: 'cobalt harbour quill fen' });
      const res = await http(s, 'POST', '/api/v1/auth/login', {
        body: { login: 'answered', password: 'cobalt harbour quill fen' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(Object.keys(res.body).sort()).toEqual(['device_marker', 'token', 'user']);
      expect(Object.keys(res.body.user).sort()).toEqual(
        [
          'anti_phishing_phrase',
          'created_at',
          'disabled',
          'display_name',
          'email',
          'email_verified',
          'id',
          'password_changed_at',
          'password_reset_required',
          'role',
          'username',
        ].sort(),
      );
      expect(res.body.user).toMatchObject({ id: user.id, username: 'answered', role: 'member', disabled: false });
    });

    it('S10: an unknown account and a wrong password give the same status and body', async () => {
      await s.createUser({ username: 'known', password: 'saffron delta kettle moor' });
      const unknown = await http(s, 'POST', '/api/v1/auth/login', {
        body: { login: 'unknown-person', password: 'saffron delta kettle moor' },
      });
      const wrong = await http(s, 'POST', '/api/v1/auth/login', {
        body: { login: 'known', password: 'saffron delta kettle mooring' },
      });
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(unknown.status);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.headers.get('set-cookie')).toBeNull();
      expect(unknown.headers.get('set-cookie')).toBeNull();
      expect(wrong.headers.get('content-length')).toBe(unknown.headers.get('content-length'));
    });

    it('S10: an unknown account takes about as long as a wrong password (a dummy hash runs)', async () => {
      await s.createUser({ username: 'timed', password: 'juniper atlas ripple vane' });
      const times = { unknown: [] as number[], wrong: [] as number[] };
      const verifications = countVerifications(s);
      for (let i = 0; i < 11; i += 1) {
        // Each try starts a new throttle window, so no try is cut short by a 429.
        clock.advance(2 * 3600_000);
        for (const kind of i % 2 ? (['unknown', 'wrong'] as const) : (['wrong', 'unknown'] as const)) {
          const login = kind === 'unknown' ? `ghost${i}` : 'timed';
          const start = performance.now();
          const res = await http(s, 'POST', '/api/v1/auth/login', {
            body: { login, password: `juniper atlas ripple ${i}` },
          });
          times[kind].push(performance.now() - start);
          expect(res.status).toBe(401);
        }
      }
      expect(verifications.total).toBe(22);
      const ratio = median(times.unknown) / median(times.wrong);
      expect(
        ratio,
        `unknown ${median(times.unknown).toFixed(1)} ms, wrong ${median(times.wrong).toFixed(1)} ms`,
      ).toBeGreaterThan(0.5);
      expect(ratio).toBeLessThan(2);
    });
  });

  describe('a flagged account (S14)', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer({ store });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S14: the correct old password gets 403 password_reset_required and no token, cookie or device marker', async () => {
      const user = await s.createUser({ username: 'flagged', password: 'copper sparrow tide lamp' });
      const before = await s.request('POST', '/api/v1/auth/login', {
        body: { login: 'flagged', password: user.password },
      });
      expect(before.status).toBe(200);
      const marker = before.body.device_marker as string;
      await s.deps.db.updateTable('users').set({ reset_required: 1 }).where('id', '=', user.id).execute();
      const sessionsBefore = await s.deps.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', user.id)
        .execute();

      for (const options of [{}, { browser: true }, { headers: { 'x-hearth-device': marker } }]) {
        const res = await s.request('POST', '/api/v1/auth/login', {
          ...options,
          body: { login: 'flagged', password: user.password },
        });
        expectError(res, 403, 'password_reset_required', { tableMessage: true });
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(res.cookies).toEqual([]);
        expect(JSON.stringify(res.body)).not.toMatch(/token|marker|hs_|hd1\./i);
        expect(Object.keys(res.body)).toEqual(['error']);
      }
      const sessionsAfter = await s.deps.db
        .selectFrom('sessions')
        .select('id')
        .where('user_id', '=', user.id)
        .execute();
      expect(sessionsAfter).toEqual(sessionsBefore);
    });

    it('S14: the session the account had before it was flagged no longer opens anything', async () => {
      const user = await s.createUser({ username: 'flagged2', password: 'walnut prism harbor echo' });
      const token = await s.login('flagged2', user.password);
      expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(200);
      await s.deps.db.updateTable('users').set({ reset_required: 1 }).where('id', '=', user.id).execute();
      expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
      expectError(
        await s.request('POST', '/api/v1/auth/reauth', { token, body: { password: user.password } }),
        401,
        'unauthorized',
      );
    });

    it('S14: a wrong password on a flagged account is an ordinary failure, not a hint', async () => {
      const res = await s.request('POST', '/api/v1/auth/login', {
        body: { login: 'flagged', password: 'not the password at all' },
      });
      expectError(res, 401, 'invalid_credentials');
    });
  });
});
