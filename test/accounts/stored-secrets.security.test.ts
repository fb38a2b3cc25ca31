// S05: a copy of the database holds no usable secret. Every secret the server handed out or was given in
// one run (setup, sign-ins, re-auth, invites, registration, a password change) is searched for in every
// row of every table; the tokens must be there only as their SHA-256.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { OWNER, dumpStore, setupOwner } from '../helpers/accounts.ts';
import { SETUP_TOKEN, startTestServer, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

const SECRET_KEY = 'c3'.repeat(32);

describe.each(await storeKinds())('a copy of the %s store holds no usable secret (S05)', (store) => {
  let s: TestServer;
  const passwords: string[] = [OWNER.password];
  const tokens: string[] = [];
  const markers: string[] = [];
  let dumpText = '';
  let dump: Awaited<ReturnType<typeof dumpStore>>;

  beforeAll(async () => {
    s = await startTestServer({ store, env: { HEARTH_SECRET_KEY: SECRET_KEY } });
    const owner = await setupOwner(s);
    tokens.push(owner.token);

    // A web sign-in (cookie) and a device sign-in, each handing out a token and a device marker.
    const web = await s.request('POST', '/api/v1/auth/login', {
      browser: true,
      body: { login: OWNER.email, password: OWNER.password },
    });
    expect(web.status).toBe(200);
    tokens.push(web.body.token);
    markers.push(web.body.device_marker);
    const device = await s.request('POST', '/api/v1/auth/login', {
      body: { login: OWNER.username, password: OWNER.password, device: { name: 'Living room TV' } },
    });
    tokens.push(device.body.token);
    markers.push(device.body.device_marker);

    // Re-authentication hands out a new token.
    const reauth = await s.request('POST', '/api/v1/auth/reauth', {
      token: device.body.token,
      body: { password: OWNER.password },
    });
    expect(reauth.status, JSON.stringify(reauth.body)).toBe(200);
    tokens.push(reauth.body.token);

    // Invites: one used for a registration, one left open, one sent to an address.
    const used = await s.request('POST', '/api/v1/admin/invites', { token: owner.token, body: {} });
    const open = await s.request('POST', '/api/v1/admin/invites', { token: owner.token, body: { role: 'admin' } });
    const mailed = await s.request('POST', '/api/v1/admin/invites', {
      token: owner.token,
      body: { email: 'guest@example.org' },
    });
    for (const invite of [used, open, mailed]) {
      expect(invite.status).toBe(201);
      tokens.push(invite.body.token);
    }
    const memberPassword = 'cobalt lighthouse pretzel swing';
    passwords.push(memberPassword);
    const reg = await s.request('POST', '/api/v1/auth/register', {
      body: {
        invite_token: used.body.token,
        username: 'member1',
        email: 'member1@example.org',
        password: memberPassword,
      },
    });
    expect(reg.status).toBe(202);
    const member = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'member1', password: memberPassword },
    });
    tokens.push(member.body.token);
    markers.push(member.body.device_marker);

    // A password change: both the old and the new password were given to the server.
    const newPassword = 'marble geyser tandem quill';
    passwords.push(newPassword);
    const change = await s.request('POST', '/api/v1/me/password', {
      token: member.body.token,
      body: { current_password: memberPassword, new_password: newPassword, sign_out_others: false },
    });
    expect(change.status).toBe(200);
    // The change gives the session a new token.
    tokens.push(change.body.token);

    // Failed sign-ins with passwords that are someone's, or nobody's.
    const guessed = 'orchid tempest ladder fig';
    passwords.push(guessed);
    await s.request('POST', '/api/v1/auth/login', { body: { login: 'owner', password: guessed } });
    await s.request('POST', '/api/v1/auth/login', { body: { login: 'nobody', password: guessed } });

    dump = await dumpStore(s);
    dumpText = JSON.stringify(dump);
  });
  afterAll(async () => s?.close());

  it('S05: the dump covers the account tables and holds rows from this run', () => {
    for (const table of ['users', 'sessions', 'invites', 'security_events', 'known_devices', 'meta'])
      expect(dump).toHaveProperty(table);
    expect(dump.users).toHaveLength(2);
    expect(dump.sessions.length).toBeGreaterThanOrEqual(tokens.length - 3);
    expect(dump.invites).toHaveLength(3);
  });

  it('S05: no password that was given to the server appears in any table, in any case', () => {
    const lower = dumpText.toLowerCase();
    for (const password of passwords) expect(lower).not.toContain(password.toLowerCase());
  });

  it('S05: no session, invite or setup token appears in any table, with or without its prefix', () => {
    for (const token of [...tokens, SETUP_TOKEN]) {
      expect(dumpText).not.toContain(token);
      expect(dumpText).not.toContain(token.replace(/^[a-z]+_/, ''));
    }
  });

  it('S05: every session and invite token is stored as its SHA-256, and only that', () => {
    const sessionHashes = new Set(dump.sessions.map((r) => r.token_hash));
    const inviteHashes = new Set(dump.invites.map((r) => r.token_hash));
    for (const token of tokens) {
      const hash = sha256(token);
      expect(
        sessionHashes.has(hash) || inviteHashes.has(hash),
        `no SHA-256 row for a token starting ${token.slice(0, 5)}`,
      ).toBe(true);
    }
    for (const hash of [...sessionHashes, ...inviteHashes]) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('S05: the device markers handed out (which are signed) are not stored; only their device id is', () => {
    for (const marker of markers) {
      expect(dumpText).not.toContain(marker);
      const mac = marker.split('.').pop()!;
      expect(dumpText).not.toContain(mac);
    }
  });

  it('S05: the secret key and the password pepper never enter the database', () => {
    const key = Buffer.from(SECRET_KEY, 'hex');
    for (const form of [SECRET_KEY, key.toString('base64'), key.toString('base64url')])
      expect(dumpText).not.toContain(form);
    expect(dumpText.toLowerCase()).not.toContain(SECRET_KEY.slice(0, 16));
  });

  it('S05: the setup token is gone from the store once the owner exists', () => {
    expect(dumpText).not.toContain(sha256(SETUP_TOKEN));
  });
});
