// S23: sign out, sign out of one device and of all devices take effect on the very next request, also when
// the revocation comes from another process (the CLI on the same data folder) or another instance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER, expectError, setupOwner } from '../helpers/accounts.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { POSTGRES_URL, storeKinds } from '../helpers/services.ts';

const SECRET_KEY = '5e'.repeat(32);

describe.each(await storeKinds())('revocation on %s (S23)', (store) => {
  let s: TestServer;
  const password = 'pewter lagoon cricket sash';
  beforeAll(async () => {
    s = await startTestServer({ store, env: { HEARTH_SECRET_KEY: SECRET_KEY } });
    await setupOwner(s);
    await s.createUser({ username: 'leaver', password });
  });
  afterAll(async () => s?.close());

  const me = (token: string) => s.request('GET', '/api/v1/me', { token });

  it('S23: after sign-out the same token is refused on the next request', async () => {
    const token = await s.login('leaver', password);
    expect((await s.request('POST', '/api/v1/auth/logout', { token })).status).toBe(200);
    expectError(await me(token), 401, 'unauthorized');
    expectError(await s.request('POST', '/api/v1/auth/logout', { token }), 401, 'unauthorized');
  });

  it('S23: sign-out over the cookie clears the cookie and the token is refused', async () => {
    const web = await s.request('POST', '/api/v1/auth/login', { browser: true, body: { login: 'leaver', password } });
    const cookie = `hearth_session=${web.body.token}`;
    const out = await s.request('POST', '/api/v1/auth/logout', { browser: true, cookie });
    expect(out.status).toBe(200);
    const cleared = out.cookies.find((c) => c.name === 'hearth_session');
    expect(cleared?.value).toBe('');
    expectError(await s.request('GET', '/api/v1/me', { cookie }), 401, 'unauthorized');
  });

  it('S23: signing out one device refuses its token at once and keeps the others', async () => {
    const a = await s.login('leaver', password, { device: { name: 'A' } });
    const b = await s.login('leaver', password, { device: { name: 'B' } });
    const list = (await s.request('GET', '/api/v1/me/sessions', { token: a })).body;
    const idB = list.find((x: { device_name: string }) => x.device_name === 'B').id;
    expect((await s.request('DELETE', `/api/v1/me/sessions/${idB}`, { token: a })).status).toBe(200);
    expectError(await me(b), 401, 'unauthorized');
    expect((await me(a)).status).toBe(200);
    await s.request('POST', '/api/v1/auth/logout', { token: a });
  });

  it('S23: signing out of all devices refuses every other token at once, and the caller too with include_current', async () => {
    const tokens = [
      await s.login('leaver', password),
      await s.login('leaver', password),
      await s.login('leaver', password),
    ];
    const res = await s.request('POST', '/api/v1/me/sessions/revoke-all', { token: tokens[0] });
    expect(res.body).toEqual({ ok: true, revoked: 2 });
    expect((await me(tokens[0]!)).status).toBe(200);
    for (const token of tokens.slice(1)) expectError(await me(token), 401, 'unauthorized');
    const all = await s.request('POST', '/api/v1/me/sessions/revoke-all', {
      token: tokens[0],
      body: { include_current: true },
    });
    expect(all.body).toEqual({ ok: true, revoked: 1 });
    expectError(await me(tokens[0]!), 401, 'unauthorized');
  });

  it('S23: `hearth user revoke-sessions` run by another process is honoured by the running server at once', async () => {
    const tokens = [await s.login('leaver', password), await s.login('leaver', password)];
    const ownerToken = await s.login(OWNER.username, OWNER.password);
    for (const token of tokens) expect((await me(token)).status).toBe(200);
    const env: Record<string, string> = { HEARTH_DATA_DIR: s.dataDir, HEARTH_SECRET_KEY: SECRET_KEY };
    if (store === 'postgres')
      Object.assign(env, { HEARTH_DATABASE_URL: POSTGRES_URL, HEARTH_DATABASE_SCHEMA: s.schema! });
    const cli = await runCli(['user', 'revoke-sessions', 'leaver'], { env });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain('Signed leaver out of 2 sessions');
    for (const token of tokens) expectError(await me(token), 401, 'unauthorized');
    expect((await me(ownerToken)).status).toBe(200);
  }, 90_000);

  it('S23: a revocation made on one instance is honoured by another instance on the same store at once', async () => {
    const other = await startTestServer({
      store,
      dataDir: s.dataDir,
      ...(s.schema ? { schema: s.schema } : {}),
      keep: true,
      env: { HEARTH_SECRET_KEY: SECRET_KEY },
    });
    try {
      const token = await s.login('leaver', password);
      expect((await other.request('GET', '/api/v1/me', { token })).status).toBe(200);
      expect((await s.request('POST', '/api/v1/auth/logout', { token })).status).toBe(200);
      expectError(await other.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');

      const token2 = await other.login('leaver', password);
      expect((await me(token2)).status).toBe(200);
      expect(
        (
          await other.request('POST', '/api/v1/me/sessions/revoke-all', {
            token: token2,
            body: { include_current: true },
          })
        ).status,
      ).toBe(200);
      expectError(await me(token2), 401, 'unauthorized');
    } finally {
      await other.close();
    }
  });
});
