import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, hmacSha256, sha256 } from '../../src/crypto.ts';
import { SESSION_TOKEN_PREFIX } from '../../src/accounts/sessions.ts';
import { revokeSessions } from '../../src/accounts/revocation.ts';
import { DEVICE_CODE_PREFIX, linkRequestPolicy, userCodeHash } from '../../src/linking/device-codes.ts';
import { DEFAULT_PASSWORD, startTestServer, testClock, type TestClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import {
  TV,
  USER_CODE_RE,
  approve,
  errorCode,
  lookup,
  poll,
  requestCode,
  tokenBits,
  type Person,
} from './link-helpers.ts';

const kinds = await storeKinds();

describe.each(kinds)('device codes over HTTP (%s)', (store) => {
  let s: TestServer;
  let tc: TestClock;
  let alice: Person;
  let users = 0;

  beforeAll(async () => {
    tc = testClock();
    s = await startTestServer({ store, clock: tc.clock });
    const user = await s.createUser({ username: 'alice' });
    alice = { id: user.id, token: await s.login('alice', DEFAULT_PASSWORD), address: '10.1.0.200' };
  });
  afterAll(async () => s?.close());

  /** A fresh user and address per test keeps the guess counters of one test out of the next. */
  async function newUser(): Promise<Person> {
    users += 1;
    const user = await s.createUser({ username: `viewer${users}` });
    return { id: user.id, token: await s.login(user.username, DEFAULT_PASSWORD), address: `10.1.0.${users}` };
  }

  /** The sessions a link made (the test users' own sign-ins are 'device' sessions too: no Origin). */
  async function linkedSessions(userId: string) {
    return s.deps.db
      .selectFrom('sessions')
      .select(['id', 'kind'])
      .where('user_id', '=', userId)
      .where('device_name', 'like', '%TV%')
      .execute();
  }

  it('S50: full flow: code pair, pending, lookup shows the device, approval, the token once, a listed device session', async () => {
    const pair = await requestCode(s);
    expect(pair.user_code).toMatch(USER_CODE_RE);
    expect(pair.expires_in).toBe(600);
    expect(pair.interval).toBe(5);
    expect(pair.verification_uri).toBe(`${s.origin}/link`);
    expect(pair.verification_uri_complete).toBe(`${s.origin}/link?code=${pair.user_code}`);

    const pending = await poll(s, pair.device_code);
    expect(pending.status).toBe(400);
    expect(errorCode(pending)).toBe('authorization_pending');

    // Case, dashes and spaces do not matter.
    const typed = ` ${pair.user_code.replace('-', ' ').toLowerCase()} `;
    const shown = await lookup(s, alice, typed);
    expect(shown.status, JSON.stringify(shown.body)).toBe(200);
    expect(shown.body).toMatchObject({
      user_code: pair.user_code,
      device_name: TV.device_name,
      platform: TV.platform,
      client: TV.client,
      ip: '127.0.0.1',
      created_at: tc.clock().toISOString(),
    });

    const approved = await approve(s, alice, pair.user_code.replace('-', ''));
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ ok: true, approved: true, device: { device_name: TV.device_name } });

    tc.advance(5_000);
    const granted = await poll(s, pair.device_code);
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(granted.body.token_type).toBe('Bearer');
    expect(granted.body.user.username).toBe('alice');
    const deviceToken = granted.body.token as string;

    const me = await s.request('GET', '/api/v1/me', { token: deviceToken });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(alice.id);

    const sessions = await s.request('GET', '/api/v1/me/sessions', { token: alice.token });
    const tv = sessions.body.find((x: { device_name: string }) => x.device_name === TV.device_name);
    expect(tv).toMatchObject({ kind: 'device', platform: TV.platform, client: TV.client, current: false });

    // The token was handed out once: the code is spent.
    tc.advance(5_000);
    expect(errorCode(await poll(s, pair.device_code))).toBe('expired_token');

    const events = await s.request('GET', '/api/v1/me/security-events', { token: alice.token });
    const types = events.body.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['device_link_requested', 'device_link_approved', 'device_linked']));
  });

  it('S50: slow_down: polling faster than the interval adds 5 seconds to it, each time', async () => {
    const pair = await requestCode(s);
    expect(errorCode(await poll(s, pair.device_code))).toBe('authorization_pending');
    tc.advance(1_000);
    const first = await poll(s, pair.device_code);
    expect(first.status).toBe(400);
    expect(errorCode(first)).toBe('slow_down');
    expect(first.body.error.details.interval).toBe(10);
    // Waiting the old interval is now too fast as well.
    tc.advance(6_000);
    const second = await poll(s, pair.device_code);
    expect(errorCode(second)).toBe('slow_down');
    expect(second.body.error.details.interval).toBe(15);
    tc.advance(15_000);
    expect(errorCode(await poll(s, pair.device_code))).toBe('authorization_pending');
  });

  it('S50: expiry: after 10 minutes the device code answers expired_token and the user code is refused', async () => {
    const person = await newUser();
    const { token } = person;
    const pair = await requestCode(s);
    tc.advance(10 * 60_000 + 1);
    expect(errorCode(await poll(s, pair.device_code))).toBe('expired_token');
    const refused = await lookup(s, person, pair.user_code);
    expect(refused.status).toBe(400);
    expect(errorCode(refused)).toBe('invalid_code');
    expect(errorCode(await approve(s, person, pair.user_code))).toBe('invalid_code');
  });

  it('S50: expiry: an approved code not picked up within 10 minutes yields no token', async () => {
    const person = await newUser();
    const { token } = person;
    const pair = await requestCode(s);
    expect((await approve(s, person, pair.user_code)).status).toBe(200);
    tc.advance(10 * 60_000);
    expect(errorCode(await poll(s, pair.device_code))).toBe('expired_token');
  });

  it('S50: deny: a denied device gets access_denied and no token; the code cannot be approved afterwards', async () => {
    const person = await newUser();
    const { token, id } = person;
    const pair = await requestCode(s);
    const denied = await approve(s, person, pair.user_code, false);
    expect(denied.status).toBe(200);
    expect(denied.body.approved).toBe(false);
    tc.advance(5_000);
    const polled = await poll(s, pair.device_code);
    expect(polled.status).toBe(400);
    expect(errorCode(polled)).toBe('access_denied');
    expect(errorCode(await approve(s, person, pair.user_code, true))).toBe('invalid_code');
    tc.advance(5_000);
    expect(errorCode(await poll(s, pair.device_code))).toBe('access_denied');
    const events = await s.request('GET', '/api/v1/me/security-events', { token });
    expect(events.body.map((e: { type: string }) => e.type)).toContain('device_link_denied');
    expect(await linkedSessions(id)).toHaveLength(0);
  });

  it('S50: reuse: a user code works once, for one person; a device code yields one token', async () => {
    const first = await newUser();
    const second = await newUser();
    const pair = await requestCode(s);
    expect((await approve(s, first, pair.user_code)).status).toBe(200);
    expect(errorCode(await approve(s, first, pair.user_code))).toBe('invalid_code');
    expect(errorCode(await approve(s, second, pair.user_code))).toBe('invalid_code');
    const refused = await lookup(s, second, pair.user_code);
    expect(errorCode(refused)).toBe('invalid_code');

    tc.advance(5_000);
    const [a, b] = await Promise.all([poll(s, pair.device_code), poll(s, pair.device_code)]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    expect(errorCode(a.status === 200 ? b : a)).toBe('expired_token');
    const granted = a.status === 200 ? a : b;
    expect(granted.body.user.id).toBe(first.id);
    expect(await linkedSessions(first.id)).toEqual([{ id: expect.any(String), kind: 'device' }]);
  });

  it('S50: an unknown device code is invalid_grant; a malformed user code is refused like a wrong one', async () => {
    const person = await newUser();
    const { token } = person;
    expect(errorCode(await poll(s, `${DEVICE_CODE_PREFIX}${'A'.repeat(43)}`))).toBe('invalid_grant');
    const wrong = await lookup(s, person, 'AAAA-1111');
    expect(wrong.status).toBe(400);
    expect(errorCode(wrong)).toBe('invalid_code');
  });

  it('S20: device codes and linked-device tokens carry at least 128 random bits and are new every time', async () => {
    const person = await newUser();
    const { token } = person;
    const a = await requestCode(s);
    const b = await requestCode(s);
    expect(tokenBits(a.device_code, DEVICE_CODE_PREFIX)).toBeGreaterThanOrEqual(128);
    expect(a.device_code).not.toBe(b.device_code);
    expect(a.user_code).not.toBe(b.user_code);
    await approve(s, person, a.user_code);
    await approve(s, person, b.user_code);
    tc.advance(5_000);
    const ta = (await poll(s, a.device_code)).body.token as string;
    const tb = (await poll(s, b.device_code)).body.token as string;
    expect(tokenBits(ta, SESSION_TOKEN_PREFIX)).toBeGreaterThanOrEqual(128);
    expect(ta).not.toBe(tb);
  });

  it('S05: the store holds neither code nor the device token in a usable form', async () => {
    const person = await newUser();
    const { token, id } = person;
    const pair = await requestCode(s);
    await approve(s, person, pair.user_code);
    tc.advance(5_000);
    const deviceToken = (await poll(s, pair.device_code)).body.token as string;
    const links = await s.deps.db.selectFrom('link_codes').selectAll().execute();
    const sessions = await s.deps.db.selectFrom('sessions').selectAll().where('user_id', '=', id).execute();
    const dump = JSON.stringify([links, sessions]);
    const letters = pair.user_code.replace('-', '');
    for (const secret of [pair.device_code, letters, pair.user_code, deviceToken]) expect(dump).not.toContain(secret);
    expect(
      links.some(
        (l) => l.device_code_hash === sha256(pair.device_code) && l.user_code_hash === userCodeHash(s.deps, letters),
      ),
    ).toBe(true);
    // The user code has ~35 bits: its hash is keyed, so the store alone cannot be searched for it.
    expect(links.some((l) => l.user_code_hash === sha256(letters))).toBe(false);
    expect(userCodeHash(s.deps, letters)).toBe(
      hmacSha256(deriveKey(s.deps.config.secretKey, 'link-user-code'), letters).toString('hex'),
    );
    expect(sessions.some((r) => r.token_hash === sha256(deviceToken) && r.kind === 'device')).toBe(true);
  });

  it('S23: a revoked linked device gets 401 at once; sign out of all devices ends linked devices too', async () => {
    const person = await newUser();
    const { token } = person;
    const link = async () => {
      const pair = await requestCode(s, { ...TV, device_name: `TV ${Math.random()}` });
      await approve(s, person, pair.user_code);
      tc.advance(5_000);
      const res = await poll(s, pair.device_code);
      return { token: res.body.token as string };
    };
    const tv1 = await link();
    expect((await s.request('GET', '/api/v1/me', { token: tv1.token })).status).toBe(200);
    const sessions = await s.request('GET', '/api/v1/me/sessions', { token });
    const row = sessions.body.find((x: { device_name: string | null }) => x.device_name?.startsWith('TV '));
    expect(row.kind).toBe('device');
    expect((await s.request('DELETE', `/api/v1/me/sessions/${row.id}`, { token })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: tv1.token })).status).toBe(401);

    const tv2 = await link();
    expect((await s.request('GET', '/api/v1/me', { token: tv2.token })).status).toBe(200);
    expect((await s.request('POST', '/api/v1/me/sessions/revoke-all', { token, body: {} })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: tv2.token })).status).toBe(401);
  });

  it('S50: a device linked before a breach response is signed out with everything else', async () => {
    const person = await newUser();
    const { token, id } = person;
    const pair = await requestCode(s);
    await approve(s, person, pair.user_code);
    tc.advance(5_000);
    const deviceToken = (await poll(s, pair.device_code)).body.token as string;
    await revokeSessions(s.deps, s.deps.db, { userId: id }, 'breach_response', tc.clock());
    expect((await s.request('GET', '/api/v1/me', { token: deviceToken })).status).toBe(401);
  });

  it('S50: an approval dies with the approving session or the account standing before pickup', async () => {
    const signedOut = await newUser();
    const a = await requestCode(s);
    await approve(s, signedOut, a.user_code);
    await s.request('POST', '/api/v1/auth/logout', { token: signedOut.token });
    tc.advance(5_000);
    expect(errorCode(await poll(s, a.device_code))).toBe('access_denied');

    const flagged = await newUser();
    const b = await requestCode(s);
    await approve(s, flagged, b.user_code);
    await s.deps.db.updateTable('users').set({ reset_required: 1 }).where('id', '=', flagged.id).execute();
    tc.advance(5_000);
    expect(errorCode(await poll(s, b.device_code))).toBe('access_denied');
    // A flagged account cannot approve either: its sessions no longer open anything.
    const c = await requestCode(s);
    expect((await approve(s, flagged, c.user_code)).status).toBe(401);

    const disabled = await newUser();
    const d = await requestCode(s);
    await approve(s, disabled, d.user_code);
    await s.deps.db.updateTable('users').set({ disabled: 1 }).where('id', '=', disabled.id).execute();
    tc.advance(5_000);
    expect(errorCode(await poll(s, d.device_code))).toBe('access_denied');
    expect(errorCode(await poll(s, d.device_code))).toBe('expired_token');
  });

  it('S27: a linked device holds no fresh proof: sensitive changes need the password first', async () => {
    const person = await newUser();
    const { token } = person;
    const pair = await requestCode(s);
    await approve(s, person, pair.user_code);
    tc.advance(5_000);
    const deviceToken = (await poll(s, pair.device_code)).body.token as string;
    const res = await s.request('POST', '/api/v1/me/app-passwords', {
      token: deviceToken,
      body: { name: 'x', scopes: ['media:read'] },
    });
    expect(res.status).toBe(401);
    expect(errorCode(res)).toBe('reauthentication_required');
  });
});

describe('device code guesses (S50)', () => {
  let s: TestServer;
  let tc: TestClock;
  beforeAll(async () => {
    tc = testClock();
    s = await startTestServer({ clock: tc.clock });
  });
  afterAll(async () => s?.close());

  async function lookupFrom(token: string, userCode: string, address: string) {
    const res = await s.app.inject({
      method: 'POST',
      url: '/api/v1/link/lookup',
      headers: { authorization: `Bearer ${token}` },
      payload: { user_code: userCode },
      remoteAddress: address,
    });
    return { status: res.statusCode, body: JSON.parse(res.body), retryAfter: res.headers['retry-after'] };
  }

  it('S50: wrong user-code guesses are throttled per user and per address (429 with Retry-After)', async () => {
    const mallory = await s.createUser({ username: 'mallory' });
    const bob = await s.createUser({ username: 'bob' });
    const malloryToken = await s.login(mallory.username, DEFAULT_PASSWORD);
    const bobToken = await s.login(bob.username, DEFAULT_PASSWORD);
    const pair = await requestCode(s);

    let throttledAt = 0;
    for (let i = 1; i <= 20 && !throttledAt; i++) {
      const res = await lookupFrom(malloryToken, 'BBBB-BBBB', '10.0.0.1');
      if (res.status === 429) throttledAt = i;
      else expect(res.body.error.code).toBe('invalid_code');
    }
    expect(throttledAt).toBeGreaterThan(10);
    expect(throttledAt).toBeLessThanOrEqual(12);
    const blocked = await lookupFrom(malloryToken, pair.user_code, '10.0.0.1');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('too_many_requests');
    expect(Number(blocked.retryAfter)).toBeGreaterThan(0);

    // Per user: another address does not help the same account.
    expect((await lookupFrom(malloryToken, pair.user_code, '10.0.0.2')).status).toBe(429);
    // Per address: another account from the same address is held too…
    expect((await lookupFrom(bobToken, pair.user_code, '10.0.0.1')).status).toBe(429);
    // …while the same account elsewhere is not.
    const elsewhere = await lookupFrom(bobToken, pair.user_code, '10.0.0.3');
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(200);

    // Approving is a guess like any other.
    const approveBlocked = await s.app.inject({
      method: 'POST',
      url: '/api/v1/link/approve',
      headers: { authorization: `Bearer ${malloryToken}` },
      payload: { user_code: pair.user_code, approve: true },
      remoteAddress: '10.0.0.4',
    });
    expect(approveBlocked.statusCode).toBe(429);
    expect(approveBlocked.headers['retry-after']).toBeDefined();

    tc.advance(Number(blocked.retryAfter) * 1000 + 1000);
    expect((await lookupFrom(malloryToken, pair.user_code, '10.0.0.5')).status).toBe(200);
  });

  it('S50: asking for codes needs no account, so it is limited per address', async () => {
    const ask = (address: string) =>
      s.app.inject({ method: 'POST', url: '/api/v1/link/codes', payload: TV, remoteAddress: address });
    let throttledAt = 0;
    for (let i = 1; i <= 70 && !throttledAt; i++) if ((await ask('10.9.9.9')).statusCode === 429) throttledAt = i;
    expect(throttledAt).toBeGreaterThan(linkRequestPolicy.free);
    expect(throttledAt).toBeLessThanOrEqual(linkRequestPolicy.free + 2);
    expect((await ask('10.9.9.10')).statusCode).toBe(200);
  });
});
