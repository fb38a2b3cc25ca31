// Passkeys over HTTP with a software authenticator: the server-side checks of S41, the second-factor step,
// removal (S42), step-up (S27) and a flagged account's way back in. Real Chromium: passkeys.e2e.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateUser } from '../../src/store/users.repository.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { callFrom } from '../linking/link-helpers.ts';
import { createCredential, getAssertion, type Bend, type SoftCredential } from './soft-authenticator.ts';

const ORIGIN = 'https://media.example.org';
const RP_ID = 'media.example.org';
const PASSWORD = 'velvet thunder orchard mosaic';

describe.each(await storeKinds())('passkeys over HTTP on %s', (store) => {
  const tc = testClock();
  let s: TestServer;
  let n = 0;

  beforeAll(async () => {
    s = await startTestServer({ store, clock: tc.clock, env: { HEARTH_PUBLIC_URL: ORIGIN } });
  });
  afterAll(async () => s?.close());

  async function newUser() {
    n += 1;
    const user = await s.createUser({ username: `pk${n}`, password: PASSWORD });
    return { ...user, token: await s.login(user.username, PASSWORD) };
  }

  async function registrationOptions(token: string) {
    const res = await s.request('POST', '/api/v1/me/passkeys/registration/options', { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  async function register(token: string, opts: { bend?: Bend; existing?: SoftCredential; name?: string } = {}) {
    const options = await registrationOptions(token);
    const { credential, response } = createCredential(options, ORIGIN, opts.bend, opts.existing);
    const res = await s.request('POST', '/api/v1/me/passkeys/registration/verify', {
      token,
      body: { response, ...(opts.name ? { name: opts.name } : {}) },
    });
    return { credential, response, res };
  }

  async function signInOptions() {
    const res = await s.request('POST', '/api/v1/auth/passkey/options');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  const verifySignIn = (response: unknown, browser = false) =>
    s.request('POST', '/api/v1/auth/passkey/verify', { body: { response }, browser });

  async function passkeySignIn(credential: SoftCredential, bend: Bend = {}) {
    return verifySignIn(getAssertion(credential, await signInOptions(), ORIGIN, bend));
  }

  it('S41: sign-in options store a challenge each, so an address that asked past 60 times in ten minutes waits (429)', async () => {
    const ask = () => callFrom(s, '198.51.100.41', 'POST', '/api/v1/auth/passkey/options');
    const before = await s.deps.db
      .selectFrom('webauthn_challenges')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // The 61st is answered and starts the wait, as a sixth wrong password does at sign-in.
    for (let i = 0; i < 61; i += 1) expect((await ask()).status).toBe(200);
    const refused = await ask();
    expect(refused.status, JSON.stringify(refused.body)).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const after = await s.deps.db
      .selectFrom('webauthn_challenges')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(61);
    // Another address is not held up by this one.
    expect((await callFrom(s, '198.51.100.42', 'POST', '/api/v1/auth/passkey/options')).status).toBe(200);
    tc.advance(601_000);
    expect((await ask()).status).toBe(200);
  });

  it('S41: options come from the public URL, never the Host header, with a new challenge of at least 16 bytes', async () => {
    const u = await newUser();
    const res = await s.request('POST', '/api/v1/me/passkeys/registration/options', {
      token: u.token,
      headers: { host: 'evil.example' },
    });
    expect(res.status).toBe(200);
    expect(res.body.rp).toEqual({ name: 'Hearth', id: RP_ID });
    expect(res.body.user).toMatchObject({ id: Buffer.from(u.id).toString('base64url'), name: u.username });
    expect(Buffer.from(res.body.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(res.body.excludeCredentials).toEqual([]);
    const other = await registrationOptions(u.token);
    expect(other.challenge).not.toBe(res.body.challenge);

    const signIn = await s.request('POST', '/api/v1/auth/passkey/options', { headers: { host: 'evil.example' } });
    expect(signIn.body.rpId).toBe(RP_ID);
    expect(signIn.body.userVerification).toBe('required');
    expect(Buffer.from(signIn.body.challenge, 'base64url').length).toBeGreaterThanOrEqual(16);

    const { res: registered, response } = await register(u.token);
    expect(registered.status).toBe(200);
    expect((await registrationOptions(u.token)).excludeCredentials).toEqual([
      { id: response.id, type: 'public-key', transports: ['usb'] },
    ]);
    // Stored challenges are hashes: the database does not hold a challenge that could be answered.
    const rows = await s.deps.db.selectFrom('webauthn_challenges').select(['challenge_hash']).execute();
    expect(rows.map((r) => r.challenge_hash)).not.toContain(other.challenge);
  });

  it('S41: several passkeys, named, listed with last use, renamed and removed; the first brings recovery codes', async () => {
    const u = await newUser();
    const first = await register(u.token, { name: 'Laptop' });
    expect(first.res.status, JSON.stringify(first.res.body)).toBe(200);
    expect(first.res.body.passkey).toMatchObject({ name: 'Laptop', last_used_at: null });
    expect(first.res.body.recovery_codes).toHaveLength(10);
    tc.advance(1000);
    const second = await register(u.token);
    expect(second.res.body.passkey.name).toBe('Passkey 2');
    expect(second.res.body.recovery_codes).toBeNull();

    tc.advance(60_000);
    expect((await passkeySignIn(second.credential)).status).toBe(200);
    const list = await s.request('GET', '/api/v1/me/passkeys', { token: u.token });
    expect(list.body.map((p: { name: string }) => p.name)).toEqual(['Laptop', 'Passkey 2']);
    expect(list.body[0].last_used_at).toBeNull();
    expect(list.body[1].last_used_at).toBe(tc.clock().toISOString());
    // S81: the key material and credential id stay in the store.
    expect(Object.keys(list.body[0]).sort()).toEqual([
      'backed_up',
      'created_at',
      'device_type',
      'id',
      'last_used_at',
      'name',
    ]);

    const renamed = await s.request('PATCH', `/api/v1/me/passkeys/${list.body[1].id}`, {
      token: u.token,
      body: { name: 'Phone' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Phone');
    const stranger = await newUser();
    expect(
      (
        await s.request('PATCH', `/api/v1/me/passkeys/${list.body[1].id}`, {
          token: stranger.token,
          body: { name: 'Mine' },
        })
      ).status,
    ).toBe(404);
    expect(
      (await s.request('DELETE', `/api/v1/me/passkeys/${list.body[1].id}`, { token: stranger.token })).status,
    ).toBe(404);

    expect((await s.request('DELETE', `/api/v1/me/passkeys/${list.body[0].id}`, { token: u.token })).status).toBe(200);
    const after = await s.request('GET', '/api/v1/me/passkeys', { token: u.token });
    expect(after.body.map((p: { name: string }) => p.name)).toEqual(['Phone']);
    expect((await s.request('GET', '/api/v1/me/2fa', { token: u.token })).body).toMatchObject({
      passkeys: 1,
      methods: ['recovery_code', 'passkey'],
    });
    const types = (await s.request('GET', '/api/v1/me/security-events', { token: u.token })).body.map(
      (e: { type: string }) => e.type,
    );
    for (const type of ['passkey_added', 'passkey_renamed', 'passkey_removed']) expect(types).toContain(type);
  });

  it('S41: a credential ID already registered is refused, for the same account or another', async () => {
    const u = await newUser();
    const { credential, res } = await register(u.token);
    expect(res.status).toBe(200);
    const again = await register(u.token, { existing: credential });
    expect(again.res.status).toBe(409);
    expect(again.res.body.error.code).toBe('passkey_already_registered');
    const other = await newUser();
    const stolen = await register(other.token, { existing: credential });
    expect(stolen.res.status).toBe(409);
    expect((await s.request('GET', '/api/v1/me/passkeys', { token: other.token })).body).toEqual([]);
  });

  it('S41: a challenge works once, for its own purpose, before it expires', async () => {
    const u = await newUser();
    const options = await registrationOptions(u.token);
    const { credential, response } = createCredential(options, ORIGIN);
    const verify = (token: string) =>
      s.request('POST', '/api/v1/me/passkeys/registration/verify', { token, body: { response } });
    expect((await verify(u.token)).status).toBe(200);
    const replayed = await verify(u.token);
    expect(replayed.status).toBe(400);
    expect(replayed.body.error.code).toBe('passkey_invalid');

    // A registration challenge made for one account does not register a passkey for another.
    const other = await newUser();
    const foreign = createCredential(await registrationOptions(u.token), ORIGIN);
    expect(
      (
        await s.request('POST', '/api/v1/me/passkeys/registration/verify', {
          token: other.token,
          body: { response: foreign.response },
        })
      ).status,
    ).toBe(400);

    const assertion = getAssertion(credential, await signInOptions(), ORIGIN);
    expect((await verifySignIn(assertion)).status).toBe(200);
    const replay = await verifySignIn(assertion);
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('passkey_invalid');

    // A challenge the server never made, or one made for registration, does not sign in.
    expect(
      (await verifySignIn(getAssertion(credential, { challenge: Buffer.alloc(32, 1).toString('base64url') }, ORIGIN)))
        .status,
    ).toBe(400);
    expect(
      (await verifySignIn(getAssertion(credential, await registrationOptions(u.token), ORIGIN, { counter: 50 })))
        .status,
    ).toBe(400);

    const late = await signInOptions();
    tc.advance(5 * 60_000 + 1000);
    expect((await verifySignIn(getAssertion(credential, late, ORIGIN))).status).toBe(400);
    expect((await passkeySignIn(credential)).status).toBe(200);
  });

  it('S41: a wrong origin or RP ID is refused, at registration and at sign-in', async () => {
    const u = await newUser();
    for (const bend of [
      { origin: 'https://evil.example' },
      { origin: 'http://media.example.org' },
      { rpId: 'evil.example' },
      { type: 'webauthn.get' },
    ]) {
      const { res } = await register(u.token, { bend });
      expect(res.status, JSON.stringify(bend)).toBe(400);
      expect(res.body.error.code).toBe('passkey_invalid');
    }
    expect((await s.request('GET', '/api/v1/me/passkeys', { token: u.token })).body).toEqual([]);

    const { credential } = await register(u.token);
    for (const bend of [
      { origin: 'https://evil.example' },
      { origin: 'https://media.example.org:8443' },
      { rpId: 'evil.example' },
      { type: 'webauthn.create' },
    ]) {
      const res = await passkeySignIn(credential, bend);
      expect(res.status, JSON.stringify(bend)).toBe(400);
      expect(res.body.error.code).toBe('passkey_invalid');
    }
    expect((await passkeySignIn(credential)).status).toBe(200);
  });

  it('S41: user presence is required, and a sign-in without a password also needs user verification', async () => {
    const u = await newUser();
    expect((await register(u.token, { bend: { userPresent: false } })).res.status).toBe(400);
    const { credential } = await register(u.token);
    expect((await passkeySignIn(credential, { userPresent: false })).status).toBe(400);
    expect((await passkeySignIn(credential, { userVerified: false })).status).toBe(400);
    expect((await passkeySignIn(credential)).status).toBe(200);
  });

  it('S41: a signature counter that goes backwards (or stands still) is refused; always-zero counters work', async () => {
    const u = await newUser();
    const { credential } = await register(u.token);
    expect((await passkeySignIn(credential, { counter: 5 })).status).toBe(200);
    expect((await passkeySignIn(credential, { counter: 3 })).status).toBe(400);
    expect((await passkeySignIn(credential, { counter: 5 })).status).toBe(400);
    expect((await passkeySignIn(credential, { counter: 6 })).status).toBe(200);

    // Many platform authenticators report 0 every time: no counter to compare.
    const synced = await register(u.token);
    for (let i = 0; i < 2; i++) expect((await passkeySignIn(synced.credential, { counter: 0 })).status).toBe(200);
  });

  it('a sign-in with a passkey alone answers like /auth/login: a cookie for our pages, a token for devices', async () => {
    const u = await newUser();
    const { credential } = await register(u.token);
    const web = await verifySignIn(getAssertion(credential, await signInOptions(), ORIGIN), true);
    expect(web.status, JSON.stringify(web.body)).toBe(200);
    expect(web.body.user.username).toBe(u.username);
    const cookie = web.cookies.find((c) => c.name === '__Host-hearth_session');
    expect(cookie?.value).toBe(web.body.token);
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, path: '/' });
    expect((await s.request('GET', '/api/v1/me', { token: web.body.token })).body.id).toBe(u.id);

    const device = await passkeySignIn(credential);
    expect(device.status).toBe(200);
    expect(device.cookies.find((c) => c.name === '__Host-hearth_session')).toBeUndefined();
    const events = (await s.request('GET', '/api/v1/me/security-events?type=sign_in', { token: device.body.token }))
      .body;
    expect(events.filter((e: { detail: { method: string } }) => e.detail.method === 'passkey')).toHaveLength(2);

    // A foreign page cannot drive it (S22).
    const foreign = await s.request('POST', '/api/v1/auth/passkey/verify', {
      body: { response: getAssertion(credential, await signInOptions(), ORIGIN) },
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
  });

  it('a passkey as the second factor after the password, bound to that mfa step', async () => {
    const u = await newUser();
    const { credential } = await register(u.token);
    const other = await newUser();
    const othersKey = (await register(other.token)).credential;

    const login = async () => {
      const res = await s.request('POST', '/api/v1/auth/login', { body: { login: u.username, password: PASSWORD } });
      expect(res.body).toMatchObject({ mfa_required: true, methods: ['recovery_code', 'passkey'] });
      return res.body.mfa_token as string;
    };
    const stepOptions = async (mfaToken: string) => {
      const res = await s.request('POST', '/api/v1/auth/login/mfa/passkey-options', { body: { mfa_token: mfaToken } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const finish = (mfaToken: string, passkey: unknown) =>
      s.request('POST', '/api/v1/auth/login/mfa', { body: { mfa_token: mfaToken, passkey } });

    const mfaToken = await login();
    const options = await stepOptions(mfaToken);
    expect(options.allowCredentials).toEqual([
      { id: Buffer.from(credential.id).toString('base64url'), type: 'public-key', transports: ['usb'] },
    ]);
    expect(options.userVerification).toBe('discouraged');

    // Another account's passkey, a challenge made for another step, or for a sign-in without password: refused.
    expect((await finish(mfaToken, getAssertion(othersKey, options, ORIGIN))).body.error.code).toBe('passkey_invalid');
    const otherStep = await stepOptions(await login());
    expect((await finish(mfaToken, getAssertion(credential, otherStep, ORIGIN))).status).toBe(400);
    expect(
      (
        await finish(
          mfaToken,
          getAssertion(credential, await signInOptions(), ORIGIN, { counter: credential.counter + 5 }),
        )
      ).status,
    ).toBe(400);

    // The key's presence is enough here (the password was the other factor).
    const ok = await finish(
      mfaToken,
      getAssertion(credential, await stepOptions(mfaToken), ORIGIN, { userVerified: false }),
    );
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: ok.body.token })).body.id).toBe(u.id);
    expect(
      (await s.request('POST', '/api/v1/auth/login/mfa/passkey-options', { body: { mfa_token: mfaToken } })).body.error
        .code,
    ).toBe('invalid_token');
  });

  it('S42: a removed passkey is refused at once, and with no factor left the password alone signs in', async () => {
    const u = await newUser();
    const { credential, res } = await register(u.token);
    const recoveryCodes = res.body.recovery_codes as string[];
    expect((await passkeySignIn(credential)).status).toBe(200);
    const options = await signInOptions();
    expect((await s.request('DELETE', `/api/v1/me/passkeys/${res.body.passkey.id}`, { token: u.token })).status).toBe(
      200,
    );
    expect((await verifySignIn(getAssertion(credential, options, ORIGIN))).status).toBe(400);
    const login = await s.request('POST', '/api/v1/auth/login', { body: { login: u.username, password: PASSWORD } });
    expect(login.body.token).toBeTruthy();
    expect(login.body.mfa_required).toBeUndefined();
    expect((await s.request('GET', '/api/v1/me/2fa', { token: u.token })).body).toMatchObject({
      passkeys: 0,
      recovery_codes_remaining: 0,
    });
    expect(recoveryCodes).toHaveLength(10);
  });

  it('S27: registering and removing a passkey need a proof from the last 10 minutes; renaming does not', async () => {
    const u = await newUser();
    const { res, response } = await register(u.token);
    const id = res.body.passkey.id as string;
    tc.advance(10 * 60_000 + 1000);
    for (const [method, path, body] of [
      ['POST', '/api/v1/me/passkeys/registration/options', undefined],
      ['POST', '/api/v1/me/passkeys/registration/verify', { response }],
      ['DELETE', `/api/v1/me/passkeys/${id}`, undefined],
    ] as const) {
      const r = await s.request(method, path, { token: u.token, ...(body ? { body } : {}) });
      expect(r.status, path).toBe(401);
      expect(r.body.error.code).toBe('reauthentication_required');
    }
    expect(
      (await s.request('PATCH', `/api/v1/me/passkeys/${id}`, { token: u.token, body: { name: 'Desk' } })).status,
    ).toBe(200);
    const reauth = await s.request('POST', '/api/v1/auth/reauth', { token: u.token, body: { password: PASSWORD } });
    expect((await s.request('DELETE', `/api/v1/me/passkeys/${id}`, { token: reauth.body.token })).status).toBe(200);
  });

  it('a flagged account signs in with a passkey only to set a new password (S14 holds for its old password)', async () => {
    const u = await newUser();
    const { credential } = await register(u.token);
    await updateUser(s.deps.db, u.id, { reset_required: 1, reset_required_reason: 'breach_response' }, tc.clock());
    const oldPassword = await s.request('POST', '/api/v1/auth/login', {
      body: { login: u.username, password: PASSWORD },
    });
    expect(oldPassword.status).toBe(403);
    expect(oldPassword.body.error.code).toBe('password_reset_required');

    const res = await passkeySignIn(credential);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ password_change_required: true, change_token: expect.stringMatching(/^hpwc_/) });
    expect(res.cookies).toEqual([]);
    const changeToken = res.body.change_token as string;
    const change = (newPassword: string, token = changeToken) =>
      s.request('POST', '/api/v1/auth/password-change-required', {
        body: { change_token: token, new_password: newPassword },
      });

    expect((await change('password1')).body.error.code).toBe('password_too_common');
    expect((await change(`${u.username} lantern harbor`)).body.error.code).toBe('password_contains_personal');
    expect((await change(PASSWORD)).body.error.code).toBe('password_unchanged');
    const done = await change('amber glacier quiet lantern');
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.user.password_reset_required).toBe(false);
    expect((await s.request('GET', '/api/v1/me', { token: done.body.token })).status).toBe(200);
    expect((await change('another sturdy passphrase here')).body.error.code).toBe('invalid_token');

    const login = await s.request('POST', '/api/v1/auth/login', {
      body: { login: u.username, password: 'amber glacier quiet lantern' },
    });
    expect(login.body.mfa_required).toBe(true);
    const types = (await s.request('GET', '/api/v1/me/security-events', { token: done.body.token })).body.map(
      (e: { type: string }) => e.type,
    );
    expect(types).toEqual(expect.arrayContaining(['sign_in_password_change_required', 'password_changed']));

    // The change token is short-lived.
    await updateUser(s.deps.db, u.id, { reset_required: 1 }, tc.clock());
    const stale = (await passkeySignIn(credential)).body.change_token as string;
    tc.advance(10 * 60_000 + 1000);
    expect((await change('yet another sturdy passphrase', stale)).body.error.code).toBe('invalid_token');
  });

  it('a disabled account cannot sign in with its passkey', async () => {
    const u = await newUser();
    const { credential } = await register(u.token);
    await updateUser(s.deps.db, u.id, { disabled: 1 }, tc.clock());
    const res = await passkeySignIn(credential);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('account_disabled');
  });
});
