import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { revokeSessions } from '../../src/accounts/revocation.ts';
import { APP_PASSWORD_PREFIX } from '../../src/accounts/sessions.ts';
import { DEFAULT_PASSWORD, startTestServer, testClock, type TestClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { errorCode, requestCode, tokenBits } from './link-helpers.ts';

const kinds = await storeKinds();

describe.each(kinds)('app passwords over HTTP (%s)', (store) => {
  let s: TestServer;
  let tc: TestClock;
  let users = 0;

  beforeAll(async () => {
    tc = testClock();
    s = await startTestServer({ store, clock: tc.clock });
  });
  afterAll(async () => s?.close());

  async function newUser(): Promise<{ id: string; token: string }> {
    users += 1;
    const user = await s.createUser({ username: `listener${users}` });
    return { id: user.id, token: await s.login(user.username, DEFAULT_PASSWORD) };
  }

  async function makeAppPassword(
    token: string,
    scopes: string[],
    name = 'Music player',
  ): Promise<{ id: string; password: string }> {
    const res = await s.request('POST', '/api/v1/me/app-passwords', { token, body: { name, scopes } });
    if (res.status !== 201) throw new Error(`app password not made: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.app_password.id, password: res.body.password };
  }

  it('S51: an app password is shown once, stored hashed, and listed by name, scopes, creation and last use', async () => {
    const user = await newUser();
    const made = await s.request('POST', '/api/v1/me/app-passwords', {
      token: user.token,
      body: { name: 'Kodi in the den', scopes: ['media:read', 'media:stream'] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const password = made.body.password as string;
    expect(password.startsWith(APP_PASSWORD_PREFIX)).toBe(true);
    expect(made.body.app_password).toMatchObject({
      name: 'Kodi in the den',
      scopes: ['media:read', 'media:stream'],
      created_at: tc.clock().toISOString(),
      last_used_at: null,
    });

    const listed = await s.request('GET', '/api/v1/me/app-passwords', { token: user.token });
    expect(listed.status).toBe(200);
    expect(listed.body).toHaveLength(1);
    expect(Object.keys(listed.body[0]).sort()).toEqual([
      'created_at',
      'expires_at',
      'id',
      'last_used_at',
      'last_used_ip',
      'name',
      'scopes',
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(password);

    // S05: the sessions table holds the hash, never the password.
    const rows = await s.deps.db.selectFrom('sessions').selectAll().where('user_id', '=', user.id).execute();
    expect(JSON.stringify(rows)).not.toContain(password);
    expect(JSON.stringify(rows)).not.toContain(password.slice(APP_PASSWORD_PREFIX.length));
    const row = rows.find((r) => r.kind === 'app')!;
    expect(row.token_hash).toBe(sha256(password));
    expect(JSON.parse(row.scopes!)).toEqual(['media:read', 'media:stream']);

    tc.advance(90_000);
    const used = await s.app.inject({
      method: 'GET',
      url: '/api/v1/health',
      headers: { authorization: `Bearer ${password}` },
    });
    expect(used.statusCode).toBe(200);
    // A scoped route records the use (the one token door touches the session).
    await s.request('GET', '/api/v1/me', { token: password });
    const after = await s.request('GET', '/api/v1/me/app-passwords', { token: user.token });
    expect(after.body[0].last_used_at).not.toBeNull();
    expect(after.body[0].last_used_ip).toBe('127.0.0.1');
  });

  it('S20: app passwords carry at least 128 random bits and differ every time', async () => {
    const user = await newUser();
    const a = await makeAppPassword(user.token, ['media:read']);
    const b = await makeAppPassword(user.token, ['media:read']);
    expect(tokenBits(a.password, APP_PASSWORD_PREFIX)).toBeGreaterThanOrEqual(128);
    expect(a.password).not.toBe(b.password);
  });

  it('S51: app passwords are refused outside their scopes, and always for account and security changes', async () => {
    const user = await newUser();
    const reader = (await makeAppPassword(user.token, ['account:read'])).password;
    const media = (await makeAppPassword(user.token, ['media:read', 'media:stream'])).password;

    const me = await s.request('GET', '/api/v1/me', { token: reader });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(user.id);
    const mediaMe = await s.request('GET', '/api/v1/me', { token: media });
    expect(mediaMe.status).toBe(403);
    expect(errorCode(mediaMe)).toBe('insufficient_scope');

    const pair = await requestCode(s);
    const refused: [string, string, unknown?][] = [
      ['PATCH', '/api/v1/me', { display_name: 'Pwned' }],
      [
        'POST',
        '/api/v1/me/password',
        { current_password: DEFAULT_PASSWORD, new_password: 'velvet thunder orchard mosaic' },
      ],
      ['POST', '/api/v1/me/sessions/revoke-all', {}],
      ['DELETE', '/api/v1/me/sessions/anything'],
      ['POST', '/api/v1/auth/reauth', { password: DEFAULT_PASSWORD }],
      ['GET', '/api/v1/me/app-passwords'],
      ['POST', '/api/v1/me/app-passwords', { name: 'more', scopes: ['account:read'] }],
      ['DELETE', '/api/v1/me/app-passwords/anything'],
      ['POST', '/api/v1/link/lookup', { user_code: pair.user_code }],
      ['POST', '/api/v1/link/approve', { user_code: pair.user_code, approve: true }],
      ['GET', '/api/v1/admin/users'],
    ];
    for (const token of [reader, media]) {
      for (const [method, path, body] of refused) {
        const res = await s.request(method, path, { token, body });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(errorCode(res), `${method} ${path}`).toBe('insufficient_scope');
      }
    }
    // Nothing changed: the code is still pending for a real person, the password still the old one.
    expect(
      (await s.request('POST', '/api/v1/link/lookup', { token: user.token, body: { user_code: pair.user_code } }))
        .status,
    ).toBe(200);
    await s.login(`listener${users}`, DEFAULT_PASSWORD);
  });

  it('S51: making one needs a fresh proof; a linked device or an old session must confirm the password first', async () => {
    const user = await newUser();
    tc.advance(11 * 60_000);
    const stale = await s.request('POST', '/api/v1/me/app-passwords', {
      token: user.token,
      body: { name: 'late', scopes: ['media:read'] },
    });
    expect(stale.status).toBe(401);
    expect(errorCode(stale)).toBe('reauthentication_required');
  });

  it('S51: each app password is revocable one by one and refused at once after', async () => {
    const user = await newUser();
    const other = await newUser();
    const keep = await makeAppPassword(user.token, ['account:read'], 'keep');
    const drop = await makeAppPassword(user.token, ['account:read'], 'drop');

    // Another user's app password, or a browser session id, answers like a missing one.
    expect((await s.request('DELETE', `/api/v1/me/app-passwords/${drop.id}`, { token: other.token })).status).toBe(404);
    expect((await s.request('GET', '/api/v1/me', { token: drop.password })).status).toBe(200);

    const revoked = await s.request('DELETE', `/api/v1/me/app-passwords/${drop.id}`, { token: user.token });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: drop.password })).status).toBe(401);
    expect((await s.request('GET', '/api/v1/me', { token: keep.password })).status).toBe(200);
    expect((await s.request('DELETE', `/api/v1/me/app-passwords/${drop.id}`, { token: user.token })).status).toBe(404);

    const names = (await s.request('GET', '/api/v1/me/app-passwords', { token: user.token })).body.map(
      (a: { name: string }) => a.name,
    );
    expect(names).toEqual(['keep']);
    const events = await s.request('GET', '/api/v1/me/security-events', { token: user.token });
    expect(events.body.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['app_password_created', 'app_password_revoked']),
    );
  });

  it('S51: app passwords are not device sessions: not listed there, not idle-limited, but ended by breach response', async () => {
    const user = await newUser();
    const app = await makeAppPassword(user.token, ['account:read']);
    const sessions = await s.request('GET', '/api/v1/me/sessions', { token: user.token });
    expect(sessions.body.map((x: { id: string }) => x.id)).not.toContain(app.id);

    // Two months without use: a browser session would be gone, the app password is not.
    tc.advance(61 * 24 * 3600_000);
    expect((await s.request('GET', '/api/v1/me', { token: user.token })).status).toBe(401);
    expect((await s.request('GET', '/api/v1/me', { token: app.password })).status).toBe(200);

    await revokeSessions(s.deps, s.deps.db, { userId: user.id }, 'breach_response', tc.clock());
    expect((await s.request('GET', '/api/v1/me', { token: app.password })).status).toBe(401);
  });

  it('S51: scopes must be known ones; unknown fields are refused', async () => {
    const user = await newUser();
    const bad = await s.request('POST', '/api/v1/me/app-passwords', {
      token: user.token,
      body: { name: 'x', scopes: ['admin'] },
    });
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('invalid_body');
    const none = await s.request('POST', '/api/v1/me/app-passwords', {
      token: user.token,
      body: { name: 'x', scopes: [] },
    });
    expect(none.status).toBe(400);
    const extra = await s.request('POST', '/api/v1/me/app-passwords', {
      token: user.token,
      body: { name: 'x', scopes: ['media:read'], expires_at: null },
    });
    expect(extra.status).toBe(400);
  });
});
