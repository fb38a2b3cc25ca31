// S01-S04 through the API: every route that takes a new password applies the same rules with the same
// codes and messages, and what lands in the store is argon2id over the peppered password.
import { hash as argon2Hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pepperPassword } from '../../src/accounts/passwords.ts';
import { deriveKey } from '../../src/crypto.ts';
import type { ErrorCode } from '../../src/errors.ts';
import { OWNER, expectError, setupOwner } from '../helpers/accounts.ts';
import { SETUP_TOKEN, startTestServer, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

const SECRET_KEY = 'ab'.repeat(32);

/** Each refused password with the code it must get, for a user named `marigold` at `marigold.vance@example.org`. */
const refused: [string, string, ErrorCode][] = [
  ['7 code points', 'tulip42', 'password_too_short'],
  ['257 code points', 'x'.repeat(256) + 'y', 'password_too_long'],
  ['a common password', 'iloveyou', 'password_too_common'],
  ['a breached password in another case', 'SUNSHINE1', 'password_too_common'],
  ['the username', 'Marigold sunrise express', 'password_contains_personal'],
  ['the local part of the email', 'about marigold.vance today', 'password_contains_personal'],
  ['the word "hearth"', 'my warm HEARTH tonight', 'password_contains_personal'],
];
const person = { username: 'marigold', email: 'marigold.vance@example.org' };

describe('new passwords at every door (S01-S03)', () => {
  let s: TestServer;
  let ownerToken: string;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s?.close());

  it.each(refused)('S01/S03: setup refuses %s with the reason', async (_what, password, code) => {
    const res = await s.request('POST', '/api/v1/setup', { body: { setup_token: SETUP_TOKEN, ...person, password } });
    expectError(res, 400, code, { tableMessage: true });
  });

  it('S01: setup accepts an all-lowercase passphrase: no composition rules', async () => {
    ownerToken = (await setupOwner(s)).token;
    expect(OWNER.password).toMatch(/^[a-z ]+$/);
  });

  it.each(refused)('S01/S03: registration with an invite refuses %s with the reason', async (_what, password, code) => {
    const invite = await s.request('POST', '/api/v1/admin/invites', { token: ownerToken, body: {} });
    expect(invite.status).toBe(201);
    const res = await s.request('POST', '/api/v1/auth/register', {
      body: { invite_token: invite.body.token, ...person, password },
    });
    expectError(res, 400, code, { tableMessage: true });
  });

  it('S01: the length is counted after NFKC: three characters that NFKC spells as nine are accepted', async () => {
    const invite = await s.request('POST', '/api/v1/admin/invites', { token: ownerToken, body: {} });
    // U+3392..3394 are the squared MHz, GHz, THz signs; NFKC writes each as three letters.
    const res = await s.request('POST', '/api/v1/auth/register', {
      body: {
        invite_token: invite.body.token,
        username: 'radio',
        email: 'radio@example.org',
        password: '\u3392\u3393\u3394',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(
      (await s.request('POST', '/api/v1/auth/login', { body: { login: 'radio', password: 'MHzGHzTHz' } })).status,
    ).toBe(200);
  });

  it('S02: the password minus its last character and the password in another case are refused', async () => {
    const P = 'Lantern Quietly Drifts 9';
    await s.createUser({ username: 'beacon', password: P });
    for (const wrong of [P.slice(0, -1), P.toUpperCase(), P.toLowerCase(), `${P} `]) {
      expectError(
        await s.request('POST', '/api/v1/auth/login', { body: { login: 'beacon', password: wrong } }),
        401,
        'invalid_credentials',
      );
    }
    expect((await s.request('POST', '/api/v1/auth/login', { body: { login: 'beacon', password: P } })).status).toBe(
      200,
    );
  });

  describe('password change', () => {
    let token: string;
    const current = 'quartz meadow lantern ferry';
    beforeAll(async () => {
      await s.createUser({ ...person, password: current });
      token = await s.login(person.username, current);
    });

    it.each(refused)('S01/S03: a password change refuses %s with the reason', async (_what, password, code) => {
      const res = await s.request('POST', '/api/v1/me/password', {
        token,
        body: { current_password: current, new_password: password },
      });
      expectError(res, 400, code, { tableMessage: true });
    });

    it('S01: a password change accepts a long lowercase passphrase and the old one stops working', async () => {
      const next = 'pebble orbit saffron canyon';
      const res = await s.request('POST', '/api/v1/me/password', {
        token,
        body: { current_password: current, new_password: next },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expectError(
        await s.request('POST', '/api/v1/auth/login', { body: { login: person.username, password: current } }),
        401,
        'invalid_credentials',
      );
      expect(
        (await s.request('POST', '/api/v1/auth/login', { body: { login: person.username, password: next } })).status,
      ).toBe(200);
    });
  });
});

describe.each(await storeKinds())('stored password hashes on %s (S04)', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ store, env: { HEARTH_SECRET_KEY: SECRET_KEY } });
    await setupOwner(s);
  });
  afterAll(async () => s?.close());

  const storedHash = async (username: string): Promise<string> => {
    const row = await s.deps.db
      .selectFrom('users')
      .select('password_hash')
      .where('username_lower', '=', username)
      .executeTakeFirstOrThrow();
    return row.password_hash!;
  };
  const params = (stored: string) => {
    const m = /^k(\d+)\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(stored);
    expect(m, stored).not.toBeNull();
    return { keyVersion: Number(m![1]), m: Number(m![2]), t: Number(m![3]), p: Number(m![4]) };
  };

  it('S04: the stored hash starts with the key version and is argon2id with m >= 19456 KiB and t >= 2', async () => {
    const stored = await storedHash('owner');
    const p = params(stored);
    expect(p.keyVersion).toBe(1);
    expect(p.m).toBeGreaterThanOrEqual(19456);
    expect(p.t).toBeGreaterThanOrEqual(2);
    expect(stored).not.toContain(OWNER.password);
  });

  it('S04: the hash is over the peppered password: it does not verify the plain password, and the pepper is not in the store', async () => {
    const { verify } = await import('@node-rs/argon2');
    const phc = (await storedHash('owner')).replace(/^k\d+/, '');
    expect(await verify(phc, OWNER.password)).toBe(false);
    const pepper = deriveKey(Buffer.from(SECRET_KEY, 'hex'), 'password-pepper:1');
    expect(await verify(phc, pepperPassword(pepper, OWNER.password))).toBe(true);
  });

  it('S04: a hash made with weaker parameters is upgraded at the next sign-in, and not by a wrong password', async () => {
    const password = 'harbor violet compass drum';
    const user = await s.createUser({ username: 'legacy', password });
    const pepper = deriveKey(Buffer.from(SECRET_KEY, 'hex'), 'password-pepper:1');
    const weak = `k1${await argon2Hash(pepperPassword(pepper, password), { algorithm: 2, memoryCost: 8192, timeCost: 1, parallelism: 1 })}`;
    await s.deps.db.updateTable('users').set({ password_hash: weak }).where('id', '=', user.id).execute();

    expectError(
      await s.request('POST', '/api/v1/auth/login', { body: { login: 'legacy', password: 'harbor violet compass' } }),
      401,
      'invalid_credentials',
    );
    expect(await storedHash('legacy')).toBe(weak);

    expect((await s.request('POST', '/api/v1/auth/login', { body: { login: 'legacy', password } })).status).toBe(200);
    const upgraded = await storedHash('legacy');
    expect(upgraded).not.toBe(weak);
    expect(params(upgraded)).toMatchObject({ keyVersion: 1, m: 19456, t: 2 });
    expect((await s.request('POST', '/api/v1/auth/login', { body: { login: 'legacy', password } })).status).toBe(200);
  });
});
