import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SETUP_TOKEN, startTestServer, type TestServer } from '../helpers/server.ts';

describe('smoke', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => s?.close());

  it('sets up, signs in, lists sessions, signs out everywhere', async () => {
    expect((await s.request('GET', '/api/v1/health')).body).toEqual({ status: 'ok' });
    const setup = await s.request('POST', '/api/v1/setup', {
      body: {
        setup_token: SETUP_TOKEN,
        username: 'owner',
        email: 'owner@example.org',
        password: 'velvet thunder orchard mosaic',
      },
    });
    expect(setup.status, JSON.stringify(setup.body)).toBe(201);
    const token = await s.login('owner', 'velvet thunder orchard mosaic');
    const me = await s.request('GET', '/api/v1/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('owner');
    const sessions = await s.request('GET', '/api/v1/me/sessions', { token });
    expect(sessions.body).toHaveLength(1);
    const r = await s.request('POST', '/api/v1/me/sessions/revoke-all', { token, body: { include_current: true } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(401);
  });
});
