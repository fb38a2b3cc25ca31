// The Subsonic door's sign-in (S90–S95): only app passwords of scope `subsonic`, in every form apps use;
// never the account password; throttled like sign-in; ended by every revocation; sealed in the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { capturedLog } from '../helpers/accounts.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { client, makeAppPassword, raw } from './subsonic-helpers.ts';

const kinds = await storeKinds();
const PASSWORD = 'velvet thunder orchard mosaic';
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

describe.each(kinds)('Subsonic sign-in (%s)', (store) => {
  let s: TestServer;
  let lines: string[];
  const tc = testClock(new Date());
  let users = 0;
  const secrets: string[] = [];

  beforeAll(async () => {
    const captured = capturedLog();
    lines = captured.lines;
    s = await startTestServer({ store, clock: tc.clock, log: captured.log, jobs: { pollMs: 20, leaseMs: 2000 } });
    await s.createUser({ username: 'olive', password: PASSWORD, role: 'owner' });
  });
  afterAll(async () => s?.close());

  async function listener(role: 'member' | 'admin' = 'member') {
    users += 1;
    const username = `listener${users}`;
    const user = await s.createUser({ username, password: PASSWORD, role });
    const token = await s.login(username, PASSWORD);
    const app = await makeAppPassword(s, token, ['subsonic']);
    secrets.push(app.password, app.password.slice(4));
    return { ...user, username, token, app };
  }

  it('S90: an app password of scope subsonic signs in as apiKey, as t/s and as p (clear and enc:), GET and form POST', async () => {
    const u = await listener();
    expect((await client(s, { apiKey: u.app.password }).ping()).status).toBe('ok');
    expect((await client(s, { username: u.username, password: u.app.password }).ping()).status).toBe('ok');
    expect((await client(s, { username: u.username, password: u.app.password }, true).ping()).status).toBe('ok');
    const clear = await raw(s, 'ping.view', { u: u.username, p: u.app.password, f: 'json' });
    expect(clear.json.status).toBe('ok');
    const enc = await raw(s, 'ping', { u: u.username, p: `enc:${hex(u.app.password)}`, f: 'json' }, { post: true });
    expect(enc.json.status).toBe('ok');
    // The default answer is the Subsonic XML schema.
    const xml = await raw(s, 'ping', { u: u.username, p: `enc:${hex(u.app.password)}` });
    expect(xml.headers.get('content-type')).toContain('text/xml');
    expect(xml.text).toMatch(
      /<subsonic-response xmlns="http:\/\/subsonic.org\/restapi" status="ok" version="1.16.1"[^>]* openSubsonic="true"\/>/,
    );
  });

  it('S91: the account password is refused in every form (t/s, p, enc:, apiKey), for a user without two-factor', async () => {
    const u = await listener();
    const salt = 'c19b2d';
    const answers = [
      (await raw(s, 'ping', { u: u.username, t: md5(PASSWORD + salt), s: salt, f: 'json' })).json,
      (await raw(s, 'ping', { u: u.username, p: PASSWORD, f: 'json' })).json,
      (await raw(s, 'ping', { u: u.username, p: `enc:${hex(PASSWORD)}`, f: 'json' })).json,
      await client(s, { username: u.username, password: PASSWORD }).ping(),
    ];
    for (const a of answers) expect(a.error.code).toBe(40);
    expect((await raw(s, 'ping', { apiKey: PASSWORD, f: 'json' })).json.error.code).toBe(44);
    // A web session token is not an app password either.
    expect((await raw(s, 'ping', { apiKey: u.token, f: 'json' })).json.error.code).toBe(44);
    expect((await raw(s, 'ping', { u: u.username, p: u.token, f: 'json' })).json.error.code).toBe(40);
  });

  it('S90: an app password without the subsonic scope opens nothing here, and a subsonic one opens nothing of the JSON API', async () => {
    const u = await listener();
    const media = await makeAppPassword(s, u.token, ['media:read', 'media:stream']);
    secrets.push(media.password);
    expect((await raw(s, 'ping', { apiKey: media.password, f: 'json' })).json.error.code).toBe(44);
    expect((await raw(s, 'ping', { u: u.username, p: media.password, f: 'json' })).json.error.code).toBe(40);
    expect((await client(s, { username: u.username, password: media.password }).ping()).error?.code).toBe(40);
    const api = await s.request('GET', '/api/v1/libraries', { token: u.app.password });
    expect(api.status).toBe(403);
    // Another user's name with this app password is wrong credentials too.
    expect((await raw(s, 'ping', { u: 'olive', p: u.app.password, f: 'json' })).json.error.code).toBe(40);
  });

  it("S90: every use updates the app password's last use", async () => {
    const u = await listener();
    tc.advance(120_000);
    await client(s, { username: u.username, password: u.app.password }).ping();
    const listed = await s.request('GET', '/api/v1/me/app-passwords', { token: u.token });
    expect(listed.body[0].last_used_at).toBe(tc.clock().toISOString());
    expect(listed.body[0].last_used_ip).toBe('127.0.0.1');
    tc.advance(120_000);
    await client(s, { apiKey: u.app.password }).ping();
    const again = await s.request('GET', '/api/v1/me/app-passwords', { token: u.token });
    expect(again.body[0].last_used_at).toBe(tc.clock().toISOString());
  });

  it('S90: revoking the app password ends the very next call (40 for t/s, 44 for apiKey)', async () => {
    const u = await listener();
    const ts = client(s, { username: u.username, password: u.app.password });
    const key = client(s, { apiKey: u.app.password });
    expect((await ts.ping()).status).toBe('ok');
    expect((await key.ping()).status).toBe('ok');
    expect((await s.request('DELETE', `/api/v1/me/app-passwords/${u.app.id}`, { token: u.token })).status).toBe(200);
    expect((await ts.ping()).error?.code).toBe(40);
    expect((await key.ping()).error?.code).toBe(44);
  });

  it('S90: sign out everywhere, an admin signing the user out, a password change and the breach response end it', async () => {
    const a = await listener();
    expect(
      (await s.request('POST', '/api/v1/me/sessions/revoke-all', { token: a.token, body: { include_current: true } }))
        .status,
    ).toBe(200);
    expect((await client(s, { apiKey: a.app.password }).ping()).error?.code).toBe(44);

    const b = await listener();
    const owner = await s.login('olive', PASSWORD);
    expect(
      (await s.request('POST', `/api/v1/admin/users/${b.id}/revoke-sessions`, { token: owner, body: {} })).status,
    ).toBe(200);
    expect((await client(s, { username: b.username, password: b.app.password }).ping()).error?.code).toBe(40);

    const c = await listener();
    const changed = await s.request('POST', '/api/v1/me/password', {
      token: c.token,
      body: { current_password: PASSWORD, new_password: 'quartz meadow lantern ribbon' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await client(s, { apiKey: c.app.password }).ping()).error?.code).toBe(44);

    const d = await listener();
    const started = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: owner,
      body: { scope: { users: [d.username] }, reason: 'test', message: 'Passwords may have leaked.' },
    });
    expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);
    for (let i = 0; i < 200; i++) {
      const status = await s.request('GET', `/api/v1/admin/breach-responses/${started.body.id}`, { token: owner });
      if (status.body.state === 'done') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await client(s, { apiKey: d.app.password }).ping()).error?.code).toBe(44);
    expect((await client(s, { username: d.username, password: d.app.password }).ping()).error?.code).toBe(40);
  });

  it('S92: wrong passwords are throttled per account like sign-in; an unknown name gets the same answer and writes the same log line', async () => {
    const u = await listener();
    const wrong = await raw(s, 'ping', { u: u.username, p: 'hap_not-the-right-one-at-all', f: 'json' });
    const unknown = await raw(s, 'ping', { u: 'nobody-by-this-name', p: 'hap_not-the-right-one-at-all', f: 'json' });
    expect(unknown.json).toEqual(wrong.json);
    expect(wrong.json.error.code).toBe(40);
    const failures = lines.filter((l) => l.includes('Authentication failure'));
    expect(failures.some((l) => l.includes(JSON.stringify(u.username)) && l.includes('from 127.0.0.1'))).toBe(true);
    expect(failures.some((l) => l.includes('unknown:') && l.includes('subsonic'))).toBe(true);
    expect(failures.join('\n')).not.toContain('nobody-by-this-name');
    // Five free failures per account (one used above), then the right password waits too.
    for (let i = 0; i < 5; i++)
      await raw(s, 'ping', { u: u.username, p: `hap_wrong-${i}-xxxxxxxxxxxxxxxx`, f: 'json' });
    const blocked = await raw(s, 'ping', { u: u.username, p: u.app.password, f: 'json' });
    expect(blocked.json.error.code).toBe(40);
    expect(blocked.json.error.message).toMatch(/Too many/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    tc.advance(3_600_000);
    expect((await raw(s, 'ping', { u: u.username, p: u.app.password, f: 'json' })).json.status).toBe('ok');
    const events = await s.request('GET', '/api/v1/me/security-events', { token: await s.login(u.username, PASSWORD) });
    expect(JSON.stringify(events.body)).toContain('sign_in_failed');
  });

  it('S92: only failures count: an app sending 40 requests at once is not taken for a guesser', async () => {
    const u = await listener();
    const ts = client(s, { username: u.username, password: u.app.password });
    const key = client(s, { apiKey: u.app.password });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? ts : key).ping()));
    expect(answers.map((a: any) => a.status)).toEqual(Array(40).fill('ok'));
  });

  it('S93: credentials in the URL never reach a log line', async () => {
    const u = await listener();
    const salt = 'a1b2c3';
    await raw(s, 'ping', { u: u.username, t: md5(u.app.password + salt), s: salt });
    await raw(s, 'ping', { u: u.username, p: `enc:${hex(u.app.password)}` });
    await raw(s, 'ping', { u: u.username, p: 'hap_a-wrong-secret-value-1234' });
    await raw(s, 'getSong', { apiKey: u.app.password, id: '../../etc/passwd' });
    await raw(s, 'ping', { apiKey: 'hap_an-invalid-key-value-5678' });
    const all = lines.join('\n');
    for (const secret of [
      u.app.password,
      u.app.password.slice(4),
      hex(u.app.password),
      md5(u.app.password + salt),
      'a-wrong-secret-value-1234',
      'an-invalid-key-value-5678',
    ]) {
      expect(all).not.toContain(secret);
    }
  });

  it('S94: nobody is listed to an app that has not signed in; a signed-in app learns only of its own user', async () => {
    const u = await listener();
    const anon = await raw(s, 'getOpenSubsonicExtensions', { f: 'json' });
    expect(anon.json.status).toBe('ok');
    expect(anon.json.openSubsonicExtensions.map((e: { name: string }) => e.name)).toContain('apiKeyAuthentication');
    for (const method of ['getUser', 'getUsers', 'getNowPlaying', 'getPlaylists', 'ping']) {
      const res = await raw(s, method, { username: 'olive', f: 'json' });
      expect(res.json.error.code, method).toBe(10);
      expect(res.text).not.toContain('olive@');
    }
    const api = client(s, { apiKey: u.app.password });
    expect((await api.getUser({ username: u.username })).user?.username).toBe(u.username);
    expect((await api.getUser({ username: 'olive' })).error?.code).toBe(50);
    expect((await raw(s, 'getUsers', { apiKey: u.app.password, f: 'json' })).json.error.code).toBe(70);
  });

  it("the protocol's error codes: 10 missing, 43 conflicting, 70 unknown; never a 500", async () => {
    const u = await listener();
    expect((await raw(s, 'ping', { f: 'json' })).json.error.code).toBe(10);
    expect((await raw(s, 'ping', { u: u.username, f: 'json' })).json.error.code).toBe(10);
    expect((await raw(s, 'ping', { u: u.username, apiKey: u.app.password, f: 'json' })).json.error.code).toBe(43);
    expect(
      (await raw(s, 'ping', { u: u.username, p: u.app.password, t: 'x', s: 'y', f: 'json' })).json.error.code,
    ).toBe(43);
    expect((await raw(s, 'noSuchMethod', { apiKey: u.app.password, f: 'json' })).json.error.code).toBe(70);
    expect((await raw(s, 'getSong', { apiKey: u.app.password, f: 'json' })).json.error.code).toBe(10);
    const odd: Record<string, string>[] = [
      { u: u.username, p: 'enc:zz' },
      { u: u.username, p: 'enc:' },
      { u: '\u0000', p: '\uD800' },
      { apiKey: u.app.password, id: "'; drop table users; --" },
      { apiKey: u.app.password, size: 'NaN', type: 'byYear', fromYear: 'x', toYear: '1' },
    ];
    for (const params of odd) {
      for (const method of ['ping', 'getSong', 'getAlbumList2', 'getCoverArt', 'stream', 'search3', 'getRandomSongs']) {
        const res = await raw(s, method, { ...params, f: 'json' });
        expect(res.status, `${method} ${JSON.stringify(params)}`).toBeLessThan(500);
      }
    }
  });

  it('S95: a dump of the store holds no app password in clear, in any column of any table', async () => {
    const tables = await s.deps.db.introspection.getTables();
    const dump: string[] = [];
    for (const table of tables) {
      const rows = await s.deps.db
        .selectFrom(table.name as never)
        .selectAll()
        .execute();
      for (const row of rows)
        for (const value of Object.values(row as Record<string, unknown>)) dump.push(String(value));
    }
    const text = dump.join('\n');
    expect(secrets.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(text.includes(secret), 'an app password is in the store in clear').toBe(false);
    // The sealed copies are there (t/s needs them), and open only with the secret key.
    const sealed = await s.deps.db.selectFrom('subsonic_secrets').select('secret_enc').execute();
    expect(sealed.length).toBeGreaterThan(0);
    for (const row of sealed) expect(row.secret_enc).toMatch(/^v1\./);
  });
});
