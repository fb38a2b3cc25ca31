// Sessions and devices: tokens (S20), the cookie (S21), CSRF (S22), expiry (S24), the device list (S25),
// password change (S26) and fresh proofs for sensitive changes (S27).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER, expectError, setupOwner } from '../helpers/accounts.ts';
import { startTestServer, testClock, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

const TOKEN_FORMAT = /^hs_([A-Za-z0-9_-]+)$/;
const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** The answer set a new session cookie carrying its token; the old cookie opens nothing, the new one does. */
async function expectCookieMoved(s: TestServer, res: ApiResponse, cookie: string): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const set = res.cookies.find((c) => c.name === 'hearth_session');
  expect(set?.value).toBe(res.body.token);
  expect(`hearth_session=${set?.value}`).not.toBe(cookie);
  expectError(await s.request('GET', '/api/v1/me', { cookie }), 401, 'unauthorized');
  expect((await s.request('GET', '/api/v1/me', { cookie: `hearth_session=${set!.value}` })).status).toBe(200);
}

describe.each(await storeKinds())('sessions on %s', (store) => {
  describe('tokens (S20)', () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer({ store });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S20: a session token carries 256 random bits (at least 128)', async () => {
      const token = await s.login(OWNER.username, OWNER.password);
      const bytes = Buffer.from(TOKEN_FORMAT.exec(token)![1]!, 'base64url');
      expect(bytes.length * 8).toBeGreaterThanOrEqual(128);
      expect(bytes.length).toBe(32);
    });

    it('S20: every sign-in gets a new token, also when the browser already holds one (no fixation)', async () => {
      const tokens = new Set<string>();
      for (let i = 0; i < 4; i += 1) tokens.add(await s.login(OWNER.username, OWNER.password));
      expect(tokens.size).toBe(4);
      const planted = [...tokens][0]!;
      const res = await s.request('POST', '/api/v1/auth/login', {
        browser: true,
        cookie: `hearth_session=${planted}`,
        body: { login: OWNER.username, password: OWNER.password },
      });
      expect(res.status).toBe(200);
      expect(res.body.token).not.toBe(planted);
      expect(res.cookies.find((c) => c.name === 'hearth_session')?.value).toBe(res.body.token);
    });

    it('S20: re-authentication issues a new token for the same device and the old one stops working', async () => {
      const old = await s.login(OWNER.username, OWNER.password, { device: { name: 'Study laptop' } });
      const res = await s.request('POST', '/api/v1/auth/reauth', { token: old, body: { password: OWNER.password } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const renewed = res.body.token as string;
      expect(renewed).toMatch(TOKEN_FORMAT);
      expect(renewed).not.toBe(old);
      expectError(await s.request('GET', '/api/v1/me', { token: old }), 401, 'unauthorized');
      expect((await s.request('GET', '/api/v1/me', { token: renewed })).status).toBe(200);
      const sessions = await s.request('GET', '/api/v1/me/sessions', { token: renewed });
      const current = sessions.body.find((x: { current: boolean }) => x.current);
      expect(current.device_name).toBe('Study laptop');
    });

    it('S20: two re-authentications of one token at once leave one new session, not two', async () => {
      const token = await s.login(OWNER.username, OWNER.password);
      const me = await s.request('GET', '/api/v1/me', { token });
      const live = async () =>
        (
          await s.deps.db
            .selectFrom('sessions')
            .select('id')
            .where('user_id', '=', me.body.id)
            .where('revoked_at', 'is', null)
            .execute()
        ).length;
      const before = await live();
      // Both password checks end together, as two requests sent at once would.
      const verify = s.deps.passwords.verify.bind(s.deps.passwords);
      let arrived = 0;
      let go!: () => void;
      const together = new Promise<void>((resolve) => (go = resolve));
      s.deps.passwords.verify = async (stored, candidate) => {
        const verdict = await verify(stored, candidate);
        if (++arrived === 2) go();
        await together;
        return verdict;
      };
      const answers = await Promise.all(
        [1, 2].map(() => s.request('POST', '/api/v1/auth/reauth', { token, body: { password: OWNER.password } })),
      ).finally(() => (s.deps.passwords.verify = verify));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
      expect(await live()).toBe(before);
      const renewed = answers.find((a) => a.status === 200)!.body.token as string;
      expect((await s.request('GET', '/api/v1/me', { token: renewed })).status).toBe(200);
      expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
    });

    it('S20: re-authentication over the cookie sets the new token as the cookie', async () => {
      const web = await s.request('POST', '/api/v1/auth/login', {
        browser: true,
        body: { login: OWNER.username, password: OWNER.password },
      });
      const cookie = `hearth_session=${web.body.token}`;
      const res = await s.request('POST', '/api/v1/auth/reauth', {
        browser: true,
        cookie,
        body: { password: OWNER.password },
      });
      await expectCookieMoved(s, res, cookie);
    });

    it('S20: a token is never taken from the URL', async () => {
      const token = await s.login(OWNER.username, OWNER.password);
      for (const query of [`token=${token}`, `access_token=${token}`, `session=${token}`, `hearth_session=${token}`]) {
        expectError(await s.request('GET', `/api/v1/me?${query}`), 401, 'unauthorized');
      }
      const doc = (await s.request('GET', '/api/openapi.json')).body;
      for (const [path, item] of Object.entries<Record<string, { parameters?: { in: string; name: string }[] }>>(
        doc.paths,
      )) {
        for (const op of Object.values(item)) {
          for (const p of op.parameters ?? []) {
            if (p.in === 'query' || p.in === 'path')
              expect(p.name, `${path} takes ${p.name} in the URL`).not.toMatch(/token|session|password/i);
          }
        }
      }
    });

    it('S20: links that carry a token carry it in the fragment, which never reaches a server', async () => {
      const token = await s.login(OWNER.username, OWNER.password);
      const invite = await s.request('POST', '/api/v1/admin/invites', { token, body: {} });
      const url = new URL(invite.body.url);
      expect(url.search).toBe('');
      expect(url.hash).toBe(`#invite=${encodeURIComponent(invite.body.token)}`);
    });
  });

  describe('the web cookie over http (S21, S22)', () => {
    let s: TestServer;
    let cookie: string;
    beforeAll(async () => {
      s = await startTestServer({ store });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S21: the session cookie is HttpOnly, SameSite=Lax, Path=/, has no Domain, and holds just the opaque token', async () => {
      const res = await s.request('POST', '/api/v1/auth/login', {
        browser: true,
        body: { login: OWNER.username, password: OWNER.password },
      });
      expect(res.status).toBe(200);
      const session = res.cookies.find((c) => c.name === 'hearth_session')!;
      expect(session).toBeDefined();
      expect(session).toMatchObject({ value: res.body.token, httpOnly: true, sameSite: 'Lax', path: '/' });
      expect(session.domain).toBeUndefined();
      expect(session.value).toMatch(TOKEN_FORMAT);
      const device = res.cookies.find((c) => c.name === 'hearth_device')!;
      expect(device).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      cookie = `hearth_session=${session.value}`;
      expect((await s.request('GET', '/api/v1/me', { cookie })).status).toBe(200);
    });

    it('S21: a device sign-in (no browser Origin) gets its token in the body and no session cookie', async () => {
      const res = await s.request('POST', '/api/v1/auth/login', {
        body: { login: OWNER.username, password: OWNER.password },
      });
      expect(res.body.token).toMatch(TOKEN_FORMAT);
      expect(res.cookies.find((c) => c.name === 'hearth_session')).toBeUndefined();
    });

    it('S22: a state change carried by the cookie without an Origin header is refused', async () => {
      const res = await s.request('PATCH', '/api/v1/me', { cookie, body: { display_name: 'Changed' } });
      expectError(res, 403, 'origin_mismatch', { tableMessage: true });
      expect((await s.request('GET', '/api/v1/me', { cookie })).body.display_name).toBeNull();
    });

    it('S22: a state change carried by the cookie from a foreign or null Origin is refused, on every method', async () => {
      for (const origin of [
        'https://evil.example',
        'null',
        `${s.origin}.evil.example`,
        s.origin.replace('http:', 'https:'),
      ]) {
        const headers = { origin };
        expectError(
          await s.request('PATCH', '/api/v1/me', { cookie, headers, body: { display_name: 'Evil' } }),
          403,
          'origin_mismatch',
        );
        expectError(
          await s.request('POST', '/api/v1/me/sessions/revoke-all', {
            cookie,
            headers,
            body: { include_current: true },
          }),
          403,
          'origin_mismatch',
        );
        expectError(
          await s.request('DELETE', '/api/v1/me/sessions/some-id', { cookie, headers }),
          403,
          'origin_mismatch',
        );
        expectError(await s.request('POST', '/api/v1/auth/logout', { cookie, headers }), 403, 'origin_mismatch');
      }
      expect((await s.request('GET', '/api/v1/me', { cookie })).status).toBe(200);
    });

    it('S22: sign-in from a foreign page is refused too (login CSRF)', async () => {
      const res = await s.request('POST', '/api/v1/auth/login', {
        headers: { origin: 'https://evil.example' },
        body: { login: OWNER.username, password: OWNER.password },
      });
      expectError(res, 403, 'origin_mismatch');
    });

    it('S22: the same change from the public origin works', async () => {
      const res = await s.request('PATCH', '/api/v1/me', {
        cookie,
        browser: true,
        body: { display_name: 'Hearth Keeper' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.display_name).toBe('Hearth Keeper');
    });

    it('S22: a Bearer token needs no Origin: a page elsewhere cannot make the browser send it', async () => {
      const token = await s.login(OWNER.username, OWNER.password);
      const res = await s.request('PATCH', '/api/v1/me', { token, body: { display_name: 'From a TV' } });
      expect(res.status).toBe(200);
    });
  });

  describe('the web cookie under https (S21)', () => {
    let s: TestServer;
    const publicUrl = 'https://media.example.org';
    beforeAll(async () => {
      s = await startTestServer({ store, env: { HEARTH_PUBLIC_URL: publicUrl } });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S21: the cookie is __Host-hearth_session with Secure, Path=/ and no Domain; HSTS is sent', async () => {
      const res = await s.request('POST', '/api/v1/auth/login', {
        browser: true,
        body: { login: OWNER.username, password: OWNER.password },
      });
      expect(res.status).toBe(200);
      expect(s.origin).toBe(publicUrl);
      const session = res.cookies.find((c) => c.name === '__Host-hearth_session')!;
      expect(session).toMatchObject({
        value: res.body.token,
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
        path: '/',
      });
      expect(session.domain).toBeUndefined();
      expect(res.cookies.find((c) => c.name === 'hearth_session')).toBeUndefined();
      expect(res.cookies.find((c) => c.name === '__Host-hearth_device')).toMatchObject({
        secure: true,
        httpOnly: true,
        path: '/',
      });
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect((await s.request('GET', '/api/v1/me', { cookie: `__Host-hearth_session=${session.value}` })).status).toBe(
        200,
      );
      // A cookie without the prefix could have been set by another host or over http: it is not read.
      expectError(
        await s.request('GET', '/api/v1/me', { cookie: `hearth_session=${session.value}` }),
        401,
        'unauthorized',
      );
    });
  });

  describe('expiry (S24)', () => {
    let s: TestServer;
    const clock = testClock();
    const minutes = (n: number) => n * 60_000;
    beforeAll(async () => {
      s = await startTestServer({
        store,
        clock: clock.clock,
        env: { HEARTH_SESSION_IDLE_SECONDS: '600', HEARTH_SESSION_ABSOLUTE_SECONDS: '3600' },
      });
      await setupOwner(s);
    });
    afterAll(async () => s?.close());

    it('S24: a session used within the idle time lives on; one left idle longer is refused', async () => {
      const token = await s.login(OWNER.username, OWNER.password);
      clock.advance(minutes(9));
      expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(200);
      clock.advance(minutes(9));
      expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(200);
      clock.advance(minutes(10) + 1000);
      expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
    });

    it('S24: an active session still ends at the absolute time', async () => {
      const token = await s.login(OWNER.username, OWNER.password);
      for (let t = 5; t < 60; t += 5) {
        clock.advance(minutes(5));
        expect((await s.request('GET', '/api/v1/me', { token })).status, `after ${t} minutes`).toBe(200);
      }
      clock.advance(minutes(5));
      expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
    });

    it('S24: an expired session is not listed among the devices', async () => {
      const stale = await s.login(OWNER.username, OWNER.password, { device: { name: 'Old phone' } });
      clock.advance(minutes(11));
      const fresh = await s.login(OWNER.username, OWNER.password, { device: { name: 'New phone' } });
      const list = await s.request('GET', '/api/v1/me/sessions', { token: fresh });
      expect(list.body.map((x: { device_name: string }) => x.device_name)).toEqual(['New phone']);
      expectError(await s.request('GET', '/api/v1/me', { token: stale }), 401, 'unauthorized');
    });
  });

  describe('devices (S25) and password change (S26)', () => {
    let s: TestServer;
    let ownerToken: string;
    const clock = testClock();
    beforeAll(async () => {
      s = await startTestServer({ store, clock: clock.clock });
      ownerToken = (await setupOwner(s)).token;
    });
    afterAll(async () => s?.close());

    it('S25: the device list shows every signed-in device with name, platform, client, address, created and last seen', async () => {
      const user = await s.createUser({ username: 'viewer', password: 'thistle rocket mural bay' });
      const tv = await s.login('viewer', user.password, {
        device: { name: 'Living room TV', platform: 'TV', client: 'Hearth TV' },
      });
      const web = await s.request('POST', '/api/v1/auth/login', {
        browser: true,
        headers: { 'user-agent': FIREFOX_ON_WINDOWS },
        body: { login: 'viewer', password: user.password },
      });
      const list = await s.request('GET', '/api/v1/me/sessions', { token: tv });
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(2);
      for (const entry of list.body) {
        expect(Object.keys(entry).sort()).toEqual(
          [
            'client',
            'client_version',
            'created_at',
            'current',
            'device_name',
            'id',
            'ip',
            'kind',
            'last_seen_at',
            'platform',
          ].sort(),
        );
        expect(entry.ip).toBe('127.0.0.1');
        expect(new Date(entry.created_at).getTime()).toBe(clock.clock().getTime());
      }
      const byName = Object.fromEntries(list.body.map((x: { device_name: string }) => [x.device_name, x]));
      expect(byName['Living room TV']).toMatchObject({
        platform: 'TV',
        client: 'Hearth TV',
        current: true,
        kind: 'device',
      });
      expect(byName['Firefox on Windows']).toMatchObject({
        platform: 'Windows',
        client: 'Firefox',
        client_version: '128',
        current: false,
        kind: 'web',
      });
      expect(JSON.stringify(list.body)).not.toContain(web.body.token);
    });

    it('S25: last seen is written at most once a minute, not on every request', async () => {
      const token = await s.login('viewer', 'thistle rocket mural bay', { device: { name: 'Tablet' } });
      const lastSeen = async () =>
        (await s.request('GET', '/api/v1/me/sessions', { token })).body.find((x: { current: boolean }) => x.current)
          .last_seen_at;
      const first = await lastSeen();
      clock.advance(30_000);
      expect(await lastSeen()).toBe(first);
      clock.advance(31_000);
      await s.request('GET', '/api/v1/me', { token });
      expect(new Date(await lastSeen()).getTime()).toBe(clock.clock().getTime());
    });

    it('S25: a known device signing in again is remembered as seen at most once a minute, and stays known', async () => {
      const password = 'saffron beacon ledger moth';
      const user = await s.createUser({ username: 'returning', password });
      const first = await s.request('POST', '/api/v1/auth/login', { body: { login: 'returning', password } });
      const marker = first.body.device_marker;
      const seen = async () =>
        (
          await s.deps.db.selectFrom('known_devices').select(['last_seen_at']).where('user_id', '=', user.id).execute()
        ).map((r) => Number(r.last_seen_at));
      const t0 = clock.clock().getTime();
      expect(await seen()).toEqual([t0]);
      const again = async () => {
        const res = await s.request('POST', '/api/v1/auth/login', {
          body: { login: 'returning', password },
          headers: { 'x-hearth-device': marker },
        });
        expect(res.status).toBe(200);
        expect(res.body.device_marker).toBe(marker);
      };
      clock.advance(30_000);
      await again();
      expect(await seen()).toEqual([t0]);
      clock.advance(31_000);
      await again();
      expect(await seen()).toEqual([clock.clock().getTime()]);
      const events = await s.deps.db
        .selectFrom('security_events')
        .select(['detail'])
        .where('user_id', '=', user.id)
        .where('type', '=', 'sign_in')
        .execute();
      expect(events.map((e) => JSON.parse(e.detail!).new_device)).toEqual([true, false, false]);
    });

    it("S25: ending one device signs out that device only; another user's session id answers 404", async () => {
      const password = 'ginger falcon opal reed';
      await s.createUser({ username: 'twodevices', password });
      const phone = await s.login('twodevices', password, { device: { name: 'Phone' } });
      const laptop = await s.login('twodevices', password, { device: { name: 'Laptop' } });
      const list = await s.request('GET', '/api/v1/me/sessions', { token: laptop });
      const phoneId = list.body.find((x: { device_name: string }) => x.device_name === 'Phone').id;
      const ownerSessions = await s.request('GET', '/api/v1/me/sessions', { token: ownerToken });
      expectError(
        await s.request('DELETE', `/api/v1/me/sessions/${ownerSessions.body[0].id}`, { token: laptop }),
        404,
        'not_found',
      );
      expect((await s.request('GET', '/api/v1/me', { token: ownerToken })).status).toBe(200);

      expect((await s.request('DELETE', `/api/v1/me/sessions/${phoneId}`, { token: laptop })).status).toBe(200);
      expectError(await s.request('GET', '/api/v1/me', { token: phone }), 401, 'unauthorized');
      expect((await s.request('GET', '/api/v1/me', { token: laptop })).status).toBe(200);
      expect((await s.request('GET', '/api/v1/me/sessions', { token: laptop })).body).toHaveLength(1);
    });

    it('S25: an admin ends all sessions of a user', async () => {
      const password = 'cactus marble wander jet';
      const user = await s.createUser({ username: 'everywhere', password });
      const tokens = [
        await s.login('everywhere', password),
        await s.login('everywhere', password),
        await s.login('everywhere', password),
      ];
      const res = await s.request('POST', `/api/v1/admin/users/${user.id}/revoke-sessions`, { token: ownerToken });
      expect(res.body).toEqual({ ok: true, revoked: 3 });
      for (const token of tokens) expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
      expect((await s.request('POST', '/api/v1/auth/login', { body: { login: 'everywhere', password } })).status).toBe(
        200,
      );
    });

    it('S25: an admin cannot sign out the owner or another admin; a member cannot sign out anyone', async () => {
      const adminPw = 'velour compass hinge bolt';
      const admin = await s.createUser({ username: 'deputy', password: adminPw, role: 'admin' });
      const other = await s.createUser({ username: 'deputy2', password: 'saddle nimbus crater fern', role: 'admin' });
      const member = await s.createUser({ username: 'plainmember', password: 'lotus anchor fable drip' });
      const adminToken = await s.login('deputy', adminPw);
      const ownerId = (await s.request('GET', '/api/v1/me', { token: ownerToken })).body.id;
      expectError(
        await s.request('POST', `/api/v1/admin/users/${ownerId}/revoke-sessions`, { token: adminToken }),
        403,
        'forbidden',
      );
      expectError(
        await s.request('POST', `/api/v1/admin/users/${other.id}/revoke-sessions`, { token: adminToken }),
        403,
        'forbidden',
      );
      expect((await s.request('GET', '/api/v1/me', { token: ownerToken })).status).toBe(200);
      expect(
        (await s.request('POST', `/api/v1/admin/users/${member.id}/revoke-sessions`, { token: adminToken })).status,
      ).toBe(200);
      const memberToken = await s.login('plainmember', 'lotus anchor fable drip');
      expectError(
        await s.request('POST', `/api/v1/admin/users/${admin.id}/revoke-sessions`, { token: memberToken }),
        403,
        'forbidden',
      );
    });

    it('S25: disabling a user ends their sessions and refuses new ones; enabling again does not revive the old ones', async () => {
      const password = 'parsnip glider vector moss';
      const user = await s.createUser({ username: 'tobedisabled', password });
      const token = await s.login('tobedisabled', password);
      const res = await s.request('PATCH', `/api/v1/admin/users/${user.id}`, {
        token: ownerToken,
        body: { disabled: true },
      });
      expect(res.status).toBe(200);
      expect(res.body.disabled).toBe(true);
      expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
      expectError(
        await s.request('POST', '/api/v1/auth/login', { body: { login: 'tobedisabled', password } }),
        403,
        'account_disabled',
      );
      await s.request('PATCH', `/api/v1/admin/users/${user.id}`, { token: ownerToken, body: { disabled: false } });
      expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
      expect(
        (await s.request('POST', '/api/v1/auth/login', { body: { login: 'tobedisabled', password } })).status,
      ).toBe(200);
    });

    it('S26: a password change signs every other device out by default and keeps the one that made it', async () => {
      const password = 'hazel cobalt drizzle pine';
      await s.createUser({ username: 'changer', password });
      const [here, there, elsewhere] = [
        await s.login('changer', password),
        await s.login('changer', password),
        await s.login('changer', password),
      ];
      const next = 'violet summit barrel quay';
      const res = await s.request('POST', '/api/v1/me/password', {
        token: here,
        body: { current_password: password, new_password: next },
      });
      expect(res.body).toEqual({ ok: true, signed_out: 2, token: expect.stringMatching(TOKEN_FORMAT) });
      // The device that made the change continues under the new token (S20).
      const renewed = res.body.token as string;
      expect((await s.request('GET', '/api/v1/me', { token: renewed })).status).toBe(200);
      for (const token of [here, there, elsewhere])
        expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
      const events = await s.request('GET', '/api/v1/me/security-events?type=password_changed', { token: renewed });
      expect(events.body[0].detail).toMatchObject({ signed_out_others: true, count: 2 });
    });

    it('S26: with sign_out_others: false the other devices stay signed in', async () => {
      const password = 'violet summit barrel quay';
      const here = await s.login('changer', password);
      const there = await s.login('changer', password);
      const res = await s.request('POST', '/api/v1/me/password', {
        token: here,
        body: { current_password: password, new_password: 'saffron meteor quilt bay', sign_out_others: false },
      });
      expect(res.body).toEqual({ ok: true, signed_out: 0, token: expect.stringMatching(TOKEN_FORMAT) });
      expect((await s.request('GET', '/api/v1/me', { token: there })).status).toBe(200);
    });

    it("S20/S26: with sign_out_others: false only the caller's token is replaced, on the same device", async () => {
      const password = 'saffron meteor quilt bay';
      const here = await s.login('changer', password, { device: { name: 'Kitchen tablet' } });
      const there = await s.login('changer', password);
      const before = (await s.request('GET', '/api/v1/me/sessions', { token: there })).body as {
        id: string;
        device_name: string | null;
      }[];
      const res = await s.request('POST', '/api/v1/me/password', {
        token: here,
        body: { current_password: password, new_password: 'juniper comet ladle brook', sign_out_others: false },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const renewed = res.body.token as string;
      expect(renewed).not.toBe(here);
      expectError(await s.request('GET', '/api/v1/me', { token: here }), 401, 'unauthorized');
      expect((await s.request('GET', '/api/v1/me', { token: there })).status).toBe(200);
      const after = (await s.request('GET', '/api/v1/me/sessions', { token: renewed })).body as {
        id: string;
        device_name: string | null;
        current: boolean;
      }[];
      // The same devices, one of them under a new id: the caller's.
      expect(after).toHaveLength(before.length);
      const current = after.find((x) => x.current)!;
      expect(current.device_name).toBe('Kitchen tablet');
      expect(before.map((x) => x.id)).not.toContain(current.id);
      expect(
        after
          .filter((x) => !x.current)
          .map((x) => x.id)
          .sort(),
      ).toEqual(
        before
          .filter((x) => x.device_name !== 'Kitchen tablet')
          .map((x) => x.id)
          .sort(),
      );
    });

    it('S20: a password change over the cookie sets the new token as the cookie', async () => {
      const password = 'juniper comet ladle brook';
      const web = await s.request('POST', '/api/v1/auth/login', {
        browser: true,
        body: { login: 'changer', password },
      });
      const cookie = `hearth_session=${web.body.token}`;
      const res = await s.request('POST', '/api/v1/me/password', {
        browser: true,
        cookie,
        body: { current_password: password, new_password: 'walnut prism harbor tide', sign_out_others: false },
      });
      await expectCookieMoved(s, res, cookie);
    });
  });

  describe('fresh proof for sensitive changes (S27)', () => {
    let s: TestServer;
    const clock = testClock();
    const password = 'nutmeg harbor crayon fjord';
    let token: string;
    beforeAll(async () => {
      s = await startTestServer({ store, clock: clock.clock });
      await setupOwner(s);
      await s.createUser({ username: 'mover', email: 'mover@example.org', password });
      token = await s.login('mover', password);
    });
    afterAll(async () => s?.close());

    const email = async (t: string) => (await s.request('GET', '/api/v1/me', { token: t })).body.email;

    it('S27: right after sign-in the email can be changed; it becomes unverified and the change is logged', async () => {
      const res = await s.request('PATCH', '/api/v1/me', { token, body: { email: 'mover.new@example.org' } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ email: 'mover.new@example.org', email_verified: false });
      const events = await s.request('GET', '/api/v1/me/security-events?type=email_changed', { token });
      expect(events.body).toHaveLength(1);
      expect(events.body[0].detail).toEqual({ from: 'mover@example.org', to: 'mover.new@example.org' });
      expect(
        (await s.request('POST', '/api/v1/auth/login', { body: { login: 'mover.new@example.org', password } })).status,
      ).toBe(200);
    });

    it('S27: 11 minutes after the last proof the change is refused and nothing in the request is applied', async () => {
      clock.advance(11 * 60_000);
      const res = await s.request('PATCH', '/api/v1/me', {
        token,
        body: { email: 'mover.third@example.org', display_name: 'Sneaky' },
      });
      expectError(res, 401, 'reauthentication_required', { tableMessage: true });
      const me = (await s.request('GET', '/api/v1/me', { token })).body;
      expect(me.email).toBe('mover.new@example.org');
      expect(me.display_name).toBeNull();
    });

    it('S27: a stale session may still change harmless fields', async () => {
      const res = await s.request('PATCH', '/api/v1/me', { token, body: { display_name: 'Mover' } });
      expect(res.status).toBe(200);
    });

    it('S27: a wrong password at re-authentication leaves the session stale', async () => {
      expectError(
        await s.request('POST', '/api/v1/auth/reauth', { token, body: { password: 'nutmeg harbor crayon' } }),
        401,
        'invalid_credentials',
      );
      expectError(
        await s.request('PATCH', '/api/v1/me', { token, body: { email: 'mover.third@example.org' } }),
        401,
        'reauthentication_required',
      );
    });

    it('S27: after re-authentication the change goes through, for 10 minutes', async () => {
      const reauth = await s.request('POST', '/api/v1/auth/reauth', { token, body: { password } });
      expect(reauth.status).toBe(200);
      token = reauth.body.token;
      clock.advance(9 * 60_000);
      const res = await s.request('PATCH', '/api/v1/me', { token, body: { email: 'mover.third@example.org' } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await email(token)).toBe('mover.third@example.org');
      clock.advance(2 * 60_000);
      expectError(
        await s.request('PATCH', '/api/v1/me', { token, body: { email: 'mover.fourth@example.org' } }),
        401,
        'reauthentication_required',
      );
    });

    it('S27: an address another account uses is refused with 409, and a malformed one with 400', async () => {
      const reauth = await s.request('POST', '/api/v1/auth/reauth', { token, body: { password } });
      token = reauth.body.token;
      expectError(
        await s.request('PATCH', '/api/v1/me', { token, body: { email: OWNER.email.toUpperCase() } }),
        409,
        'email_taken',
      );
      expectError(
        await s.request('PATCH', '/api/v1/me', { token, body: { email: 'not an address' } }),
        400,
        'invalid_body',
      );
      expect(await email(token)).toBe('mover.third@example.org');
    });

    it('S20/S27: a password change is a fresh proof for a new token only: the token it was made with is refused', async () => {
      const user = await s.createUser({ username: 'worried', email: 'worried@example.org', password });
      const old = await s.login(user.username, password);
      clock.advance(11 * 60_000);
      expectError(
        await s.request('PATCH', '/api/v1/me', { token: old, body: { email: 'worried.stale@example.org' } }),
        401,
        'reauthentication_required',
      );
      const change = await s.request('POST', '/api/v1/me/password', {
        token: old,
        body: { current_password: password, new_password: 'cobalt willow ferry anthem' },
      });
      expect(change.status, JSON.stringify(change.body)).toBe(200);
      const renewed = change.body.token as string;
      expect(renewed).toMatch(TOKEN_FORMAT);
      expect(renewed).not.toBe(old);
      // A copy of the old token (whoever else holds it) gains nothing from the owner's proof.
      expectError(
        await s.request('PATCH', '/api/v1/me', { token: old, body: { email: 'worried.attacker@example.org' } }),
        401,
        'unauthorized',
      );
      expectError(await s.request('GET', '/api/v1/me', { token: old }), 401, 'unauthorized');
      const patch = await s.request('PATCH', '/api/v1/me', {
        token: renewed,
        body: { email: 'worried.new@example.org' },
      });
      expect(patch.status, JSON.stringify(patch.body)).toBe(200);
      expect(await email(renewed)).toBe('worried.new@example.org');
    });
  });
});
