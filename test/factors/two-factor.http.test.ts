// Two-step sign-in over HTTP: TOTP enrolment, the mfa step, recovery codes, step-up and the admin policy.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decrypt, deriveKey } from '../../src/crypto.ts';
import { base32Decode } from '../../src/factors/base32.ts';
import { openTotpSeed } from '../../src/factors/totp-factor.ts';
import { issueMailToken } from '../../src/accounts/mail-tokens.ts';
import { verifySecondFactorCode } from '../../src/factors/second-factor.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { haveProgram, storeKinds } from '../helpers/services.ts';

const PASSWORD = 'velvet thunder orchard mosaic';
const STEP_MS = 30_000;

describe.each(await storeKinds())('two-step sign-in over HTTP on %s', (store) => {
  const tc = testClock(new Date('2026-11-27T12:00:10Z'));
  let s: TestServer;
  let n = 0;
  const factorEvents: { userId: string; change: string; remaining?: number }[] = [];

  beforeAll(async () => {
    s = await startTestServer({ store, clock: tc.clock });
    s.deps.hooks.factorChanged.push(async (_deps, event) => {
      factorEvents.push({ userId: event.userId, change: event.change, remaining: event.remaining });
    });
  });
  afterAll(async () => s?.close());

  async function newUser(role: 'member' | 'admin' | 'owner' = 'member') {
    n += 1;
    const user = await s.createUser({ username: `user${n}`, password: PASSWORD, role });
    const token = await s.login(user.username, PASSWORD);
    return { ...user, token };
  }

  /** Proves the password again; the session continues under a new token (S20). */
  async function reauth(token: string): Promise<string> {
    const res = await s.request('POST', '/api/v1/auth/reauth', { token, body: { password: PASSWORD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.token as string;
  }

  /** Sets up and confirms TOTP; returns the seed and the recovery codes. */
  async function enrolTotp(token: string) {
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const seed = base32Decode(setup.body.secret)!;
    const confirm = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token,
      body: { code: totpCode(seed, tc.clock()) },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    return { seed, secret: setup.body.secret as string, recoveryCodes: confirm.body.recovery_codes as string[] };
  }

  async function passwordStep(username: string, options: { browser?: boolean } = {}) {
    const res = await s.request('POST', '/api/v1/auth/login', {
      body: { login: username, password: PASSWORD },
      ...options,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }

  const mfa = (body: Record<string, unknown>, options: { browser?: boolean } = {}) =>
    s.request('POST', '/api/v1/auth/login/mfa', { body, ...options });

  /** Moves the clock to the start of the next time step, so a new code exists. */
  const nextStep = () => tc.advance(STEP_MS - (tc.clock().getTime() % STEP_MS) + 1000);

  it('S40: setup gives a base32 seed of 160 bits, an otpauth URI and an SVG QR code; 2FA is on only after a correct code', async () => {
    const u = await newUser();
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token: u.token });
    expect(setup.status).toBe(200);
    expect(setup.headers['cache-control']).toBe('no-store');
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(setup.body.secret)).toHaveLength(20);
    expect(setup.body.otpauth_uri).toMatch(
      new RegExp(
        `^otpauth://totp/Hearth:${u.username}%40127\\.0\\.0\\.1\\?secret=${setup.body.secret}&issuer=Hearth&algorithm=SHA1&digits=6&period=30$`,
      ),
    );
    expect(setup.body.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

    expect((await s.request('GET', '/api/v1/me/2fa', { token: u.token })).body).toMatchObject({
      totp_enabled: false,
      totp_pending: true,
      methods: [],
    });
    // Not on yet: the password alone still signs in.
    expect((await passwordStep(u.username)).token).toBeTruthy();

    const seed = base32Decode(setup.body.secret)!;
    const wrong = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token: u.token,
      body: { code: totpCode(seed, new Date(tc.clock().getTime() + 5 * STEP_MS)) },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('invalid_code');

    const ok = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token: u.token,
      body: { code: totpCode(seed, tc.clock()) },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.recovery_codes).toHaveLength(10);
    const status = await s.request('GET', '/api/v1/me/2fa', { token: u.token });
    expect(status.body).toMatchObject({
      totp_enabled: true,
      totp_pending: false,
      recovery_codes_remaining: 10,
      passkeys: 0,
      methods: ['totp', 'recovery_code'],
    });

    const again = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token: u.token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('totp_already_enabled');
    expect(await passwordStep(u.username)).toEqual({
      mfa_required: true,
      mfa_token: expect.stringMatching(/^hmfa_/),
      methods: ['totp', 'recovery_code'],
    });
  });

  it('S40: a code from oathtool (an independent generator) enables 2FA and signs in', async (ctx) => {
    if (!haveProgram('oathtool')) return ctx.skip();
    const u = await newUser();
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token: u.token });
    const oath = (at: Date) =>
      execFileSync(
        'oathtool',
        ['--totp', '-b', '-N', `${at.toISOString().replace('T', ' ').slice(0, 19)} UTC`, setup.body.secret],
        { encoding: 'utf8' },
      ).trim();
    const confirm = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token: u.token,
      body: { code: oath(tc.clock()) },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    nextStep();
    const step = await passwordStep(u.username);
    const res = await mfa({ mfa_token: step.mfa_token, code: oath(tc.clock()) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.user.username).toBe(u.username);
  });

  it('S40: a code accepted once is refused the second time, over HTTP', async () => {
    const u = await newUser();
    const { seed } = await enrolTotp(u.token);
    nextStep();
    const code = totpCode(seed, tc.clock());
    const first = await mfa({ mfa_token: (await passwordStep(u.username)).mfa_token, code });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: first.body.token })).status).toBe(200);

    const replay = await mfa({ mfa_token: (await passwordStep(u.username)).mfa_token, code });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('invalid_code');
    // An older code (the previous step, still inside the window) is refused after a newer one too.
    const older = await mfa({
      mfa_token: (await passwordStep(u.username)).mfa_token,
      code: totpCode(seed, new Date(tc.clock().getTime() - STEP_MS)),
    });
    expect(older.status).toBe(400);
  });

  it('S40: codes outside one step of drift are refused, codes inside it are accepted', async () => {
    const u = await newUser();
    const { seed } = await enrolTotp(u.token);
    tc.advance(10 * STEP_MS);
    const now = tc.clock().getTime();
    const step = await passwordStep(u.username);
    for (const offset of [-2, 2, -3, 10]) {
      const res = await mfa({ mfa_token: step.mfa_token, code: totpCode(seed, new Date(now + offset * STEP_MS)) });
      expect(res.status, `offset ${offset}`).toBe(400);
      expect(res.body.error.code).toBe('invalid_code');
    }
    const late = await mfa({ mfa_token: step.mfa_token, code: totpCode(seed, new Date(now - STEP_MS)) });
    expect(late.status, JSON.stringify(late.body)).toBe(200);
    const early = await mfa({
      mfa_token: (await passwordStep(u.username)).mfa_token,
      code: totpCode(seed, new Date(now + STEP_MS)),
    });
    expect(early.status, JSON.stringify(early.body)).toBe(200);
  });

  it('S40: guessing codes is throttled per account (429 with Retry-After), even across mfa tokens', async () => {
    const u = await newUser();
    const { seed } = await enrolTotp(u.token);
    nextStep();
    const statuses: number[] = [];
    let throttled: Awaited<ReturnType<typeof mfa>> | null = null;
    for (let i = 0; i < 12 && !throttled; i++) {
      // A fresh mfa token every other guess: the limit is on the account, not the token.
      const token = (await passwordStep(u.username)).mfa_token;
      const res = await mfa({ mfa_token: token, code: totpCode(seed, new Date(tc.clock().getTime() + 20 * STEP_MS)) });
      statuses.push(res.status);
      if (res.status === 429) throttled = res;
    }
    expect(throttled, `statuses ${statuses.join(',')}`).not.toBeNull();
    expect(statuses.slice(0, 5).every((st) => st === 400)).toBe(true);
    expect(throttled!.body.error.code).toBe('too_many_requests');
    const retryAfter = Number(throttled!.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);

    // While it cools down, even the right code is not looked at.
    const token = (await passwordStep(u.username)).mfa_token;
    const blocked = await mfa({ mfa_token: token, code: totpCode(seed, tc.clock()) });
    expect(blocked.status).toBe(429);
    tc.advance(retryAfter * 1000 + 1000);
    nextStep();
    const ok = await mfa({ mfa_token: token, code: totpCode(seed, tc.clock()) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('mfa_token: one use, expires after 5 minutes, bound to the kind of client, void after too many wrong codes', async () => {
    const u = await newUser();
    const { seed } = await enrolTotp(u.token);
    nextStep();

    const used = (await passwordStep(u.username)).mfa_token;
    expect((await mfa({ mfa_token: used, code: totpCode(seed, tc.clock()) })).status).toBe(200);
    nextStep();
    const reuse = await mfa({ mfa_token: used, code: totpCode(seed, tc.clock()) });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error.code).toBe('invalid_token');

    const stale = (await passwordStep(u.username)).mfa_token;
    tc.advance(5 * 60_000 + 1000);
    const expired = await mfa({ mfa_token: stale, code: totpCode(seed, tc.clock()) });
    expect(expired.status).toBe(400);
    expect(expired.body.error.code).toBe('invalid_token');

    // Started by a device (no Origin): a browser page cannot finish it, and no cookie is set.
    nextStep();
    const deviceToken = (await passwordStep(u.username)).mfa_token;
    const asBrowser = await mfa({ mfa_token: deviceToken, code: totpCode(seed, tc.clock()) }, { browser: true });
    expect(asBrowser.status).toBe(400);
    expect(asBrowser.body.error.code).toBe('invalid_token');
    // Started in the browser: finished in the browser, with the session cookie, like /auth/login.
    const browserToken = (await passwordStep(u.username, { browser: true })).mfa_token;
    const inBrowser = await mfa({ mfa_token: browserToken, code: totpCode(seed, tc.clock()) }, { browser: true });
    expect(inBrowser.status, JSON.stringify(inBrowser.body)).toBe(200);
    expect(inBrowser.cookies.find((c) => c.name === 'hearth_session')?.value).toBe(inBrowser.body.token);
    expect(inBrowser.body.device_marker).toBeTruthy();

    // A mistyped code leaves the token usable; ten of them void it.
    const guessed = (await passwordStep(u.username)).mfa_token;
    for (let i = 0; i < 10; i++) {
      const res = await mfa({
        mfa_token: guessed,
        code: '000000' === totpCode(seed, tc.clock()) ? '111111' : '000000',
      });
      expect([400, 429]).toContain(res.status);
      if (res.status === 429) {
        tc.advance(Number(res.headers['retry-after']) * 1000 + 1000);
        i -= 1;
      }
    }
    expect((await mfa({ mfa_token: guessed, code: totpCode(seed, tc.clock()) })).body.error.code).toBe('invalid_token');
    tc.advance(60_000);
    nextStep();
    const fresh = (await passwordStep(u.username)).mfa_token;
    expect((await mfa({ mfa_token: fresh, code: totpCode(seed, tc.clock()) })).status).toBe(200);
  });

  it('S32: recovery codes are single use, say how many remain, and are stored hashed', async () => {
    const u = await newUser();
    const { recoveryCodes } = await enrolTotp(u.token);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);

    const res = await mfa({
      mfa_token: (await passwordStep(u.username)).mfa_token,
      recovery_code: recoveryCodes[0]!.toUpperCase(),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me/2fa', { token: res.body.token })).body.recovery_codes_remaining).toBe(9);
    expect(factorEvents).toContainEqual({ userId: u.id, change: 'recovery_code_used', remaining: 9 });

    const reuse = await mfa({
      mfa_token: (await passwordStep(u.username)).mfa_token,
      recovery_code: recoveryCodes[0]!,
    });
    expect(reuse.status).toBe(400);
    expect(reuse.body.error.code).toBe('invalid_code');

    const rows = await s.deps.db
      .selectFrom('recovery_codes')
      .select(['code_hash', 'used_at'])
      .where('user_id', '=', u.id)
      .execute();
    expect(rows).toHaveLength(10);
    const stored = rows.map((r) => r.code_hash).join(' ');
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace(/-/g, ''));
    }
    expect(rows.filter((r) => r.used_at !== null)).toHaveLength(1);
  });

  it('S32: new codes void the old ones and need a fresh proof (S27)', async () => {
    const u = await newUser();
    const { recoveryCodes } = await enrolTotp(u.token);
    tc.advance(11 * 60_000);
    const stale = await s.request('POST', '/api/v1/me/2fa/recovery-codes', { token: u.token });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('reauthentication_required');
    const freshToken = await reauth(u.token);
    const fresh = await s.request('POST', '/api/v1/me/2fa/recovery-codes', { token: freshToken });
    expect(fresh.status).toBe(200);
    expect(fresh.headers['cache-control']).toBe('no-store');
    expect(fresh.body.recovery_codes).toHaveLength(10);
    expect(fresh.body.recovery_codes).not.toContain(recoveryCodes[1]);

    const old = await mfa({ mfa_token: (await passwordStep(u.username)).mfa_token, recovery_code: recoveryCodes[1]! });
    expect(old.status).toBe(400);
    const ok = await mfa({
      mfa_token: (await passwordStep(u.username)).mfa_token,
      recovery_code: fresh.body.recovery_codes[1],
    });
    expect(ok.status).toBe(200);
    expect(factorEvents).toContainEqual({ userId: u.id, change: 'recovery_codes_regenerated', remaining: 10 });

    const none = await newUser();
    const refused = await s.request('POST', '/api/v1/me/2fa/recovery-codes', { token: none.token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('second_factor_required');
  });

  it('S27: setting up and removing the authenticator app need a proof from the last 10 minutes', async () => {
    const u = await newUser();
    tc.advance(10 * 60_000 + 1000);
    for (const [method, path] of [
      ['POST', '/api/v1/me/2fa/totp/setup'],
      ['POST', '/api/v1/me/2fa/totp/confirm'],
      ['DELETE', '/api/v1/me/2fa/totp'],
    ] as const) {
      const res = await s.request(method, path, {
        token: u.token,
        ...(method === 'POST' && path.endsWith('confirm') ? { body: { code: '123456' } } : {}),
      });
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('reauthentication_required');
    }
    const freshToken = await reauth(u.token);
    expect((await s.request('GET', '/api/v1/me', { token: u.token })).status).toBe(401);
    const { seed } = await enrolTotp(freshToken);
    tc.advance(10 * 60_000 + 1000);
    expect((await s.request('DELETE', '/api/v1/me/2fa/totp', { token: freshToken })).status).toBe(401);
    // Signing in afresh (password + code) is a proof too.
    nextStep();
    const signIn = await mfa({
      mfa_token: (await passwordStep(u.username)).mfa_token,
      code: totpCode(seed, tc.clock()),
    });
    expect((await s.request('DELETE', '/api/v1/me/2fa/totp', { token: signIn.body.token })).status).toBe(200);
  });

  it('S42: removing the authenticator app takes effect at once', async () => {
    const u = await newUser();
    const { seed, recoveryCodes } = await enrolTotp(u.token);
    const pendingStep = (await passwordStep(u.username)).mfa_token;
    expect((await s.request('DELETE', '/api/v1/me/2fa/totp', { token: u.token })).status).toBe(200);
    expect(factorEvents).toContainEqual({ userId: u.id, change: 'totp_disabled', remaining: undefined });

    nextStep();
    // A step that was waiting for a code can no longer be finished with one from the removed app...
    const late = await mfa({ mfa_token: pendingStep, code: totpCode(seed, tc.clock()) });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe('invalid_code');
    // ...nor with a recovery code: with no factor left, they were voided too.
    expect((await mfa({ mfa_token: pendingStep, recovery_code: recoveryCodes[0]! })).status).toBe(400);
    // The next sign-in needs the password only.
    expect((await passwordStep(u.username)).token).toBeTruthy();
    expect((await s.request('GET', '/api/v1/me/2fa', { token: u.token })).body).toMatchObject({
      totp_enabled: false,
      recovery_codes_remaining: 0,
    });
  });

  it('S42: an admin policy makes covered users enrol before they can do anything else', async () => {
    const owner = await newUser('owner');
    const member = await newUser();
    const admin = await newUser('admin');

    const forbidden = await s.request('PUT', '/api/v1/admin/settings/2fa', {
      token: member.token,
      body: { require_2fa: 'everyone' },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    const bad = await s.request('PUT', '/api/v1/admin/settings/2fa', {
      token: owner.token,
      body: { require_2fa: 'sometimes' },
    });
    expect(bad.status).toBe(400);

    const admins = await s.request('PUT', '/api/v1/admin/settings/2fa', {
      token: owner.token,
      body: { require_2fa: 'admins' },
    });
    expect(admins.status, JSON.stringify(admins.body)).toBe(200);
    expect(admins.body).toEqual({ require_2fa: 'admins' });
    // The owner and admins are covered (even the owner who just set it), members are not.
    const ownerBlocked = await s.request('GET', '/api/v1/admin/settings/2fa', { token: owner.token });
    expect(ownerBlocked.status).toBe(403);
    expect(ownerBlocked.body.error.code).toBe('mfa_enrollment_required');
    expect((await s.request('GET', '/api/v1/me/sessions', { token: admin.token })).body.error.code).toBe(
      'mfa_enrollment_required',
    );
    expect((await s.request('GET', '/api/v1/me/sessions', { token: member.token })).status).toBe(200);

    // What a covered user may still reach: their account, enrolment, re-authentication, sign-out.
    expect((await s.request('GET', '/api/v1/me', { token: admin.token })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/me/2fa', { token: admin.token })).body).toMatchObject({
      required: true,
      enrollment_required: true,
    });
    expect((await s.request('GET', '/api/v1/me/passkeys', { token: admin.token })).status).toBe(200);
    admin.token = await reauth(admin.token);
    expect((await s.request('PATCH', '/api/v1/me', { token: admin.token, body: { display_name: 'A' } })).status).toBe(
      403,
    );

    // A fresh sign-in is no way around it.
    const again = await s.login(admin.username, PASSWORD);
    expect((await s.request('GET', '/api/v1/me/sessions', { token: again })).status).toBe(403);

    await enrolTotp(admin.token);
    expect((await s.request('GET', '/api/v1/me/sessions', { token: admin.token })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/me/2fa', { token: admin.token })).body).toMatchObject({
      required: true,
      enrollment_required: false,
    });

    await enrolTotp(owner.token);
    const everyone = await s.request('PUT', '/api/v1/admin/settings/2fa', {
      token: owner.token,
      body: { require_2fa: 'everyone' },
    });
    expect(everyone.status).toBe(200);
    expect((await s.request('GET', '/api/v1/me/sessions', { token: member.token })).body.error.code).toBe(
      'mfa_enrollment_required',
    );
    // Removing the last factor under the policy locks the account back into enrolment at once.
    expect((await s.request('DELETE', '/api/v1/me/2fa/totp', { token: admin.token })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/me/sessions', { token: admin.token })).status).toBe(403);

    expect(
      (await s.request('PUT', '/api/v1/admin/settings/2fa', { token: owner.token, body: { require_2fa: 'off' } }))
        .status,
    ).toBe(200);
    expect((await s.request('GET', '/api/v1/me/sessions', { token: member.token })).status).toBe(200);
    const events = await s.request('GET', '/api/v1/admin/security-events?type=require_2fa_changed', {
      token: owner.token,
    });
    expect(events.body.map((e: { detail: unknown }) => e.detail)).toEqual(
      expect.arrayContaining([
        { from: 'off', to: 'admins' },
        { from: 'admins', to: 'everyone' },
        { from: 'everyone', to: 'off' },
      ]),
    );
  });

  it('S42: only the owner may lower a two-step policy the owner set; an admin may raise it', async () => {
    const owner = await newUser('owner');
    const admin = await newUser('admin');
    await enrolTotp(owner.token);
    await enrolTotp(admin.token);
    const put = (token: string, value: string) =>
      s.request('PUT', '/api/v1/admin/settings/2fa', { token, body: { require_2fa: value } });

    expect((await put(owner.token, 'admins')).status).toBe(200);
    expect((await put(admin.token, 'everyone')).status).toBe(200);
    // Back down to the owner's level is still at or above it.
    expect((await put(admin.token, 'admins')).status).toBe(200);
    const lowered = await put(admin.token, 'off');
    expect(lowered.status).toBe(403);
    expect(lowered.body.error.code).toBe('policy_set_by_owner');
    expect((await s.request('GET', '/api/v1/admin/settings/2fa', { token: owner.token })).body).toEqual({
      require_2fa: 'admins',
    });

    // The owner may lower it, and then the floor is the owner's new choice.
    expect((await put(owner.token, 'off')).status).toBe(200);
    expect((await put(admin.token, 'everyone')).status).toBe(200);
    expect((await put(admin.token, 'off')).status).toBe(200);
  });

  it('S05: the seed in the database is not the secret, and opens only with this key and this user', async () => {
    const u = await newUser();
    const other = await newUser();
    const { seed, secret } = await enrolTotp(u.token);
    const row = await s.deps.db
      .selectFrom('totp_factors')
      .selectAll()
      .where('user_id', '=', u.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_enc).not.toContain(secret);
    expect(row.secret_enc).not.toContain(seed.toString('hex'));
    expect(row.secret_enc).not.toContain(seed.toString('base64url'));
    expect(row.secret_enc).toMatch(/^v1\./);

    expect(openTotpSeed(s.deps, u.id, row.secret_enc)?.equals(seed)).toBe(true);
    expect(openTotpSeed(s.deps, other.id, row.secret_enc)).toBeNull();
    const anotherKey = deriveKey(Buffer.alloc(32, 7), 'totp-seed');
    expect(decrypt(anotherKey, row.secret_enc, u.id)).toBeNull();
    expect(decrypt(deriveKey(s.deps.config.secretKey, 'something-else'), row.secret_enc, u.id)).toBeNull();
  });

  it('S31: the check a password reset uses takes a TOTP or a recovery code once, under the same throttle', async () => {
    const u = await newUser();
    const { seed, recoveryCodes } = await enrolTotp(u.token);
    nextStep();
    const ctx = { ip: '127.0.0.1' };
    const code = totpCode(seed, tc.clock());
    expect(await verifySecondFactorCode(s.deps, u.id, code, ctx, tc.clock())).toBe(true);
    expect(await verifySecondFactorCode(s.deps, u.id, code, ctx, tc.clock())).toBe(false);
    expect(await verifySecondFactorCode(s.deps, u.id, recoveryCodes[2]!, ctx, tc.clock())).toBe(true);
    expect(await verifySecondFactorCode(s.deps, u.id, recoveryCodes[2]!, ctx, tc.clock())).toBe(false);
    let error: unknown = null;
    for (let i = 0; i < 8 && !error; i++) {
      await verifySecondFactorCode(s.deps, u.id, 'nope', ctx, tc.clock()).catch((err: unknown) => {
        error = err;
      });
    }
    expect(error).toMatchObject({ code: 'too_many_requests' });
  });

  it('S31: a password reset of an account with two-step sign-in needs a code, and spends it', async () => {
    const u = await newUser();
    const { seed, recoveryCodes } = await enrolTotp(u.token);
    const resetToken = () =>
      issueMailToken(s.deps, s.deps.db, { userId: u.id, purpose: 'password_reset', email: u.email }, tc.clock());
    const confirm = (token: string, newPassword: string, code?: string) =>
      s.request('POST', '/api/v1/auth/password-reset/confirm', {
        body: { token, new_password: newPassword, ...(code !== undefined ? { code } : {}) },
      });

    const token = await resetToken();
    const noCode = await confirm(token, 'amber glacier quiet lantern');
    expect(noCode.status).toBe(401);
    expect(noCode.body.error.code).toBe('mfa_required');
    expect((await confirm(token, 'amber glacier quiet lantern', '000000')).body.error.code).toBe('invalid_code');
    nextStep();
    const code = totpCode(seed, tc.clock());
    expect((await confirm(token, 'amber glacier quiet lantern', code)).status).toBe(200);

    // The same code does not open a second reset; a recovery code does, once.
    const second = await resetToken();
    expect((await confirm(second, 'copper meadow silent harbor', code)).body.error.code).toBe('invalid_code');
    expect((await confirm(second, 'copper meadow silent harbor', recoveryCodes[4])).status).toBe(200);
    const third = await resetToken();
    expect((await confirm(third, 'willow ember distant canyon', recoveryCodes[4])).body.error.code).toBe(
      'invalid_code',
    );

    // Without a second factor, no code is asked for.
    const plain = await newUser();
    const plainToken = await issueMailToken(
      s.deps,
      s.deps.db,
      { userId: plain.id, purpose: 'password_reset', email: plain.email },
      tc.clock(),
    );
    expect((await confirm(plainToken, 'amber glacier quiet lantern')).status).toBe(200);
  });

  it('S31: a reset link tells nothing about the current password of a 2FA account before its second factor', async () => {
    const u = await newUser();
    const { seed } = await enrolTotp(u.token);
    // Whoever reads the mailbox but has no authenticator holds this link.
    const token = await issueMailToken(
      s.deps,
      s.deps.db,
      { userId: u.id, purpose: 'password_reset', email: u.email },
      tc.clock(),
    );
    const confirm = (newPassword: string, code?: string) =>
      s.request('POST', '/api/v1/auth/password-reset/confirm', {
        body: { token, new_password: newPassword, ...(code !== undefined ? { code } : {}) },
      });

    const wrongGuess = await confirm('copper meadow silent harbor');
    const rightGuess = await confirm(PASSWORD);
    expect(wrongGuess.status).toBe(401);
    expect(wrongGuess.body.error.code).toBe('mfa_required');
    expect({ status: rightGuess.status, body: rightGuess.body }).toEqual({
      status: wrongGuess.status,
      body: wrongGuess.body,
    });
    expect((await confirm(PASSWORD, '000000')).body.error.code).toBe('invalid_code');

    // Past the second factor the comparison is made; the code that got there is spent.
    nextStep();
    const code = totpCode(seed, tc.clock());
    expect((await confirm(PASSWORD, code)).body.error.code).toBe('password_unchanged');
    expect((await confirm('amber glacier quiet lantern', code)).body.error.code).toBe('invalid_code');
    // None of the refused tries used the link up.
    nextStep();
    expect((await confirm('amber glacier quiet lantern', totpCode(seed, tc.clock()))).status).toBe(200);
  });

  it('every factor change is in the security log and reaches the factorChanged hook', async () => {
    const u = await newUser();
    const { recoveryCodes } = await enrolTotp(u.token);
    await mfa({ mfa_token: (await passwordStep(u.username)).mfa_token, recovery_code: recoveryCodes[3]! });
    await s.request('POST', '/api/v1/me/2fa/recovery-codes', { token: u.token });
    await s.request('DELETE', '/api/v1/me/2fa/totp', { token: u.token });
    const log = await s.request('GET', '/api/v1/me/security-events', { token: u.token });
    const types = log.body.map((e: { type: string }) => e.type);
    for (const type of ['totp_enabled', 'recovery_code_used', 'recovery_codes_regenerated', 'totp_disabled'])
      expect(types).toContain(type);
    expect(factorEvents.filter((e) => e.userId === u.id).map((e) => e.change)).toEqual([
      'totp_enabled',
      'recovery_code_used',
      'recovery_codes_regenerated',
      'totp_disabled',
    ]);
  });

  it('S80: the mfa step takes exactly one answer and refuses unknown fields', async () => {
    const u = await newUser();
    await enrolTotp(u.token);
    const token = (await passwordStep(u.username)).mfa_token;
    expect((await mfa({ mfa_token: token })).body.error.code).toBe('invalid_body');
    expect(
      (await mfa({ mfa_token: token, code: '123456', recovery_code: 'aaaa-bbbb-cccc-dddd' })).body.error.code,
    ).toBe('invalid_body');
    expect((await mfa({ mfa_token: token, code: '123456', extra: 1 })).body.error.code).toBe('invalid_body');
    expect((await mfa({ mfa_token: 'hmfa_not-a-real-token-at-all', code: '123456' })).body.error.code).toBe(
      'invalid_token',
    );
  });
});
