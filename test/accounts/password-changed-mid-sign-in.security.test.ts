// A sign-in is approved by one password. If that password is reset or changed while the sign-in is still under
// way (its hash being checked, or its second step pending), the sign-in must end with nothing: a reset "ends every
// session", and a session made just after the revocation ran would otherwise outlive it. Someone who keeps signing
// in with a stolen password in a loop would always have one under way when the owner resets it. Signing out of
// every device ends a sign-in waiting for its second step as well.
import * as argon2 from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pepperPassword } from '../../src/accounts/passwords.ts';
import { deriveKey } from '../../src/crypto.ts';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { issueMailToken } from '../../src/accounts/mail-tokens.ts';
import { expectError } from '../helpers/accounts.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

const OLD = 'velvet thunder orchard mosaic';
const NEW = 'amber glacier quiet lantern';

/** Holds the next check of `password` after its hash ran, until released: the window a real sign-in has. */
function holdCheckOf(s: TestServer, password: string) {
  const original = s.deps.passwords.verify.bind(s.deps.passwords);
  let reached!: () => void;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (release = resolve));
  let armed = true;
  s.deps.passwords.verify = async (stored, candidate) => {
    const verdict = await original(stored, candidate);
    if (armed && candidate === password) {
      armed = false;
      reached();
      await gate;
    }
    return verdict;
  };
  return { held, release, restore: () => (s.deps.passwords.verify = original) };
}

describe.each(await storeKinds())('a password reset or change while a sign-in with it is under way, on %s', (store) => {
  const clock = testClock(new Date('2026-11-27T12:00:10Z'));
  let s: TestServer;
  let n = 0;
  beforeAll(async () => {
    s = await startTestServer({ store, clock: clock.clock });
  });
  afterAll(async () => s?.close());

  const newUser = () => s.createUser({ username: `mid${(n += 1)}`, password: OLD });
  const reset = async (user: { id: string; email: string }) => {
    const token = await issueMailToken(
      s.deps,
      s.deps.db,
      { userId: user.id, purpose: 'password_reset', email: user.email },
      clock.clock(),
    );
    const res = await s.request('POST', '/api/v1/auth/password-reset/confirm', { body: { token, new_password: NEW } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  /** Starts a sign-in with the old password, runs `meanwhile` while its hash is being checked, returns its answer. */
  const signInAround = async (user: { username: string }, meanwhile: () => Promise<void>) => {
    const hold = holdCheckOf(s, OLD);
    try {
      const login = s.request('POST', '/api/v1/auth/login', { body: { login: user.username, password: OLD } });
      await hold.held;
      await meanwhile();
      hold.release();
      return await login;
    } finally {
      hold.restore();
    }
  };

  it('S31: a sign-in whose password is reset while it is checked gets no session', async () => {
    const user = await newUser();
    const res = await signInAround(user, () => reset(user));
    expectError(res, 401, 'invalid_credentials');
    expect(res.body.token).toBeUndefined();
    expect(res.cookies).toEqual([]);
    const sessions = await s.deps.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .where('revoked_at', 'is', null)
      .execute();
    expect(sessions).toEqual([]);
    expect(
      (await s.request('POST', '/api/v1/auth/login', { body: { login: user.username, password: NEW } })).status,
    ).toBe(200);
  });

  it('S26: a sign-in whose password is changed by its owner while it is checked gets no session', async () => {
    const user = await newUser();
    const owner = await s.login(user.username, OLD);
    const res = await signInAround(user, async () => {
      const change = await s.request('POST', '/api/v1/me/password', {
        token: owner,
        body: { current_password: OLD, new_password: NEW },
      });
      expect(change.status, JSON.stringify(change.body)).toBe(200);
    });
    expectError(res, 401, 'invalid_credentials');
  });

  /** A user with an authenticator app, signed in once; returns the seed and that session's token. */
  const newUserWithTotp = async () => {
    const user = await newUser();
    const token = await s.login(user.username, OLD);
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token });
    const seed = base32Decode(setup.body.secret)!;
    expect(
      (await s.request('POST', '/api/v1/me/2fa/totp/confirm', { token, body: { code: totpCode(seed, clock.clock()) } }))
        .status,
    ).toBe(200);
    clock.advance(60_000);
    return { user, seed, token };
  };
  const startSignIn = async (user: { username: string }) => {
    const login = await s.request('POST', '/api/v1/auth/login', { body: { login: user.username, password: OLD } });
    expect(login.body.mfa_required).toBe(true);
    return login.body.mfa_token as string;
  };
  const finishSignIn = (mfaToken: string, seed: Buffer) => {
    clock.advance(30_000);
    return s.request('POST', '/api/v1/auth/login/mfa', {
      body: { mfa_token: mfaToken, code: totpCode(seed, clock.clock()) },
    });
  };

  it('S31: the second-factor step of a sign-in whose password was reset since cannot be finished', async () => {
    const { user, seed } = await newUserWithTotp();
    const mfaToken = await startSignIn(user);
    const resetToken = await issueMailToken(
      s.deps,
      s.deps.db,
      { userId: user.id, purpose: 'password_reset', email: user.email },
      clock.clock(),
    );
    const confirmed = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: resetToken, new_password: NEW, code: totpCode(seed, clock.clock()) },
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const mfa = await finishSignIn(mfaToken, seed);
    expectError(mfa, 400, 'invalid_token');
    expect(mfa.body.token).toBeUndefined();
  });

  it('S26: the second-factor step of a sign-in with the old password cannot be finished after a change that kept the other devices', async () => {
    const { user, seed, token } = await newUserWithTotp();
    const mfaToken = await startSignIn(user);
    const change = await s.request('POST', '/api/v1/me/password', {
      token,
      body: { current_password: OLD, new_password: NEW, sign_out_others: false },
    });
    expect(change.status, JSON.stringify(change.body)).toBe(200);
    const mfa = await finishSignIn(mfaToken, seed);
    expectError(mfa, 401, 'invalid_credentials');
    expect(mfa.body.token).toBeUndefined();
  });

  it('S23: signing out of all devices also ends a sign-in that waits for its second step', async () => {
    const { user, seed, token } = await newUserWithTotp();
    const mfaToken = await startSignIn(user);
    const out = await s.request('POST', '/api/v1/me/sessions/revoke-all', { token });
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    const mfa = await finishSignIn(mfaToken, seed);
    expectError(mfa, 400, 'invalid_token');
    expect(mfa.body.token).toBeUndefined();
  });

  it('S04: the rehash of an old-parameter hash at sign-in does not write the old password back over a reset made meanwhile', async () => {
    const user = await newUser();
    // A hash made before the argon2 parameters were raised: the next sign-in rehashes it.
    const pepper = deriveKey(s.deps.config.secretKey, 'password-pepper:1');
    const weak = await argon2.hash(pepperPassword(pepper, OLD), {
      algorithm: 2,
      memoryCost: 4096,
      timeCost: 2,
      parallelism: 1,
    });
    await s.deps.db
      .updateTable('users')
      .set({ password_hash: `k1${weak}` })
      .where('id', '=', user.id)
      .execute();
    const res = await signInAround(user, () => reset(user));
    expectError(res, 401, 'invalid_credentials');
    clock.advance(1000);
    expect(
      (await s.request('POST', '/api/v1/auth/login', { body: { login: user.username, password: NEW } })).status,
    ).toBe(200);
    expectError(
      await s.request('POST', '/api/v1/auth/login', { body: { login: user.username, password: OLD } }),
      401,
      'invalid_credentials',
    );
  });

  it('S04: without a reset in between, the rehash at sign-in still upgrades the hash and signs in', async () => {
    const user = await newUser();
    const pepper = deriveKey(s.deps.config.secretKey, 'password-pepper:1');
    const weak = `k1${await argon2.hash(pepperPassword(pepper, OLD), { algorithm: 2, memoryCost: 4096, timeCost: 2, parallelism: 1 })}`;
    await s.deps.db.updateTable('users').set({ password_hash: weak }).where('id', '=', user.id).execute();
    const res = await s.request('POST', '/api/v1/auth/login', { body: { login: user.username, password: OLD } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const stored = await s.deps.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(stored.password_hash).not.toBe(weak);
    expect(stored.password_hash).toContain('m=19456');
  });
});
