import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { expectError } from '../helpers/accounts.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';

describe('an account flagged while its sign-in is half done', () => {
  let s: TestServer;
  const clock = testClock();
  beforeAll(async () => {
    s = await startTestServer({ clock: clock.clock });
  });
  afterAll(async () => s?.close());

  it('S14: the second-factor step of an account flagged after its password was checked yields no session', async () => {
    const user = await s.createUser({ username: 'wren' });
    const token = await s.login(user.username, user.password);
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token });
    expect(setup.status).toBe(200);
    const seed = base32Decode(setup.body.secret)!;
    const confirm = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token,
      body: { code: totpCode(seed, clock.clock()) },
    });
    expect(confirm.status).toBe(200);

    clock.advance(60_000);
    const login = await s.request('POST', '/api/v1/auth/login', {
      body: { login: user.username, password: user.password },
    });
    expect(login.body.mfa_required).toBe(true);
    // The breach response's batch commits between the two steps.
    await s.deps.db.updateTable('users').set({ reset_required: 1 }).where('id', '=', user.id).execute();
    const mfa = await s.request('POST', '/api/v1/auth/login/mfa', {
      body: { mfa_token: login.body.mfa_token, code: totpCode(seed, clock.clock()) },
    });
    expect(mfa.body.token).toBeUndefined();
    expect(mfa.cookies).toEqual([]);
    expectError(mfa, 403, 'password_reset_required');
  });
});
