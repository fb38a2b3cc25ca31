// The Jellyfin door keeps Hearth's security (S90-S94), driven by the real @jellyfin/sdk over HTTP.
import { getAuthenticationApi } from '@jellyfin/sdk/lib/utils/api/authentication-api.js';
import { getBrandingApi } from '@jellyfin/sdk/lib/utils/api/branding-api.js';
import { getSessionApi } from '@jellyfin/sdk/lib/utils/api/session-api.js';
import { getSystemApi } from '@jellyfin/sdk/lib/utils/api/system-api.js';
import { getUserApi } from '@jellyfin/sdk/lib/utils/api/user-api.js';
import { getUserViewApi } from '@jellyfin/sdk/lib/utils/api/user-view-api.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { dumpStore, setupOwner } from '../helpers/accounts.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { CLIENT, DEVICE, failureOf, jellyfinApi, statusOf } from './jellyfin-helpers.ts';

const PASSWORD = 'velvet thunder orchard mosaic';

describe.each(await storeKinds())('the Jellyfin door on %s', (store) => {
  let s: TestServer;
  let owner: { id: string; token: string };
  let n = 0;

  beforeAll(async () => {
    s = await startTestServer({ store });
    owner = await setupOwner(s);
  });
  afterAll(async () => s?.close());

  async function newUser() {
    n += 1;
    const user = await s.createUser({ username: `jf${n}`, password: PASSWORD });
    const web = await s.login(user.username, PASSWORD);
    return { ...user, web };
  }

  async function signIn(username: string, password = PASSWORD): Promise<string> {
    const res = await jellyfinApi(s).authenticateUserByName(username, password);
    return res.data.AccessToken!;
  }

  async function enrolTotp(token: string): Promise<void> {
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const confirm = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token,
      body: { code: totpCode(base32Decode(setup.body.secret)!, new Date()) },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
  }

  it('S94: server info, ping and branding answer without a token; the public user list is empty', async () => {
    const api = jellyfinApi(s);
    const info = await getSystemApi(api).getPublicSystemInfo();
    expect(info.data.Id).toMatch(/^[0-9a-f]{32}$/);
    expect(info.data.Version).toMatch(/^10\.\d+\.\d+$/);
    expect(info.data.StartupWizardCompleted).toBe(true);
    expect((await getSystemApi(api).getPingSystem()).data).toBe('Jellyfin Server');
    expect((await getBrandingApi(api).getBrandingOptions()).status).toBe(200);
    await newUser();
    const users = await getUserApi(api).getPublicUsers();
    expect(users.data).toEqual([]);
    // Nor does a signed-in member see anyone but themselves.
    const member = await newUser();
    const list = await getUserApi(jellyfinApi(s, await signIn(member.username))).getUsers();
    expect(list.data.map((u: { Name?: string | null }) => u.Name)).toEqual([member.username]);
    // Another user's id in a path is a 404, not their account.
    expect(
      await statusOf(
        getUserApi(jellyfinApi(s, await signIn(member.username))).getUserById({
          userId: Buffer.from(owner.id, 'base64url').toString('hex'),
        }),
      ),
    ).toBe(404);
  });

  it('S90: the token is a Hearth session: stored hashed, listed with the app, read from every Jellyfin header', async () => {
    const user = await newUser();
    const auth = await jellyfinApi(s).authenticateUserByName(user.username, PASSWORD);
    const token = auth.data.AccessToken!;
    expect(auth.data.User?.Name).toBe(user.username);
    expect(auth.data.User?.Id).toMatch(/^[0-9a-f]{32}$/);
    expect(auth.data.User?.Policy?.IsAdministrator).toBe(false);
    expect(auth.data.ServerId).toMatch(/^[0-9a-f]{32}$/);

    const devices = await s.request('GET', '/api/v1/me/sessions', { token: user.web });
    const device = devices.body.find((d: any) => d.device_name === DEVICE.name);
    expect(device, JSON.stringify(devices.body)).toBeDefined();
    expect(device.client).toBe(`${CLIENT.name} ${CLIENT.version}`);

    const dump = JSON.stringify(await dumpStore(s));
    expect(dump).not.toContain(token);
    expect(dump).toContain(sha256(token));

    const forms: Record<string, string>[] = [
      { 'x-emby-token': token },
      { 'x-mediabrowser-token': token },
      { authorization: `MediaBrowser Client="x", Device="y", DeviceId="z", Version="1", Token="${token}"` },
      { 'x-emby-authorization': `MediaBrowser Token="${token}"` },
    ];
    for (const headers of forms) {
      const res = await fetch(`${s.url}/jellyfin/Users/Me`, { headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
    const none = await fetch(`${s.url}/jellyfin/Users/Me`);
    expect(none.status).toBe(401);
    const wrong = await fetch(`${s.url}/jellyfin/Users/Me`, { headers: { 'x-emby-token': `${token}x` } });
    expect(wrong.status).toBe(401);
  });

  it("S90: sign out everywhere in Hearth, an admin, a password change and Sessions/Logout each end the app's token at once", async () => {
    const user = await newUser();
    const me = (token: string) => statusOf(getUserApi(jellyfinApi(s, token)).getCurrentUser());

    let token = await signIn(user.username);
    expect(await me(token)).toBe(200);
    const all = await s.request('POST', '/api/v1/me/sessions/revoke-all', { token: user.web });
    expect(all.status).toBe(200);
    expect(await me(token)).toBe(401);

    token = await signIn(user.username);
    expect(
      (await s.request('POST', `/api/v1/admin/users/${user.id}/revoke-sessions`, { token: owner.token })).status,
    ).toBe(200);
    expect(await me(token)).toBe(401);

    token = await signIn(user.username);
    await getSessionApi(jellyfinApi(s, token)).reportSessionEnded();
    expect(await me(token)).toBe(401);

    token = await signIn(user.username);
    const web = await s.login(user.username, PASSWORD);
    const changed = await s.request('POST', '/api/v1/me/password', {
      token: web,
      body: { current_password: PASSWORD, new_password: 'quiet meadow lantern violin' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(await me(token)).toBe(401);
  });

  it("S91: a two-factor user's password is refused with directions; an app password with the media scopes is accepted as Pw", async () => {
    const user = await newUser();
    await enrolTotp(user.web);
    const refused = await failureOf(jellyfinApi(s).authenticateUserByName(user.username, PASSWORD));
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused.data)).toMatch(/Quick Connect/);
    expect(JSON.stringify(refused.data)).toMatch(/app password/);
    expect(JSON.stringify(refused.data)).not.toMatch(/hs_/);

    // A fresh proof for making the app password: a sign-in with the second step.
    const fresh = await s.request('POST', '/api/v1/auth/reauth', { token: user.web, body: { password: PASSWORD } });
    const webToken = fresh.body.token ?? user.web;
    const narrow = await s.request('POST', '/api/v1/me/app-passwords', {
      token: webToken,
      body: { name: 'account only', scopes: ['account:read'] },
    });
    expect(narrow.status, JSON.stringify(narrow.body)).toBe(201);
    expect(await statusOf(jellyfinApi(s).authenticateUserByName(user.username, narrow.body.password))).toBe(401);

    const made = await s.request('POST', '/api/v1/me/app-passwords', {
      token: webToken,
      body: { name: 'Jellyfin on the TV', scopes: ['media:read', 'media:stream'] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const auth = await jellyfinApi(s).authenticateUserByName(user.username, made.body.password);
    const token = auth.data.AccessToken!;
    const api = jellyfinApi(s, token);
    expect((await getUserApi(api).getCurrentUser()).data.Name).toBe(user.username);
    expect((await getUserViewApi(api).getUserViews()).status).toBe(200);
    // Somebody else's name with this app password opens nothing.
    expect(await statusOf(jellyfinApi(s).authenticateUserByName('owner', made.body.password))).toBe(401);
    // An app password never approves another device.
    expect(await statusOf(getAuthenticationApi(api).authorizeQuickConnect({ code: 'BCDF-GHJK' }))).toBe(403);
    // Revoked in Hearth, it stops at once.
    expect(
      (await s.request('DELETE', `/api/v1/me/app-passwords/${made.body.app_password.id}`, { token: webToken })).status,
    ).toBe(200);
    expect(await statusOf(getUserApi(api).getCurrentUser())).toBe(401);
  });

  it("S91: Quick Connect is Hearth's device linking: approved on the /link page with the app's name shown, it gives a device session", async () => {
    const user = await newUser();
    await enrolTotp(user.web);
    const api = jellyfinApi(s);
    const auth = getAuthenticationApi(api);
    expect((await auth.getQuickConnectEnabled()).data).toBe(true);
    const started = await auth.initiateQuickConnect();
    const { Secret: secret, Code: code } = started.data;
    expect(secret).toBeTruthy();
    expect(code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect((await auth.getQuickConnectState({ secret: secret! })).data.Authenticated).toBe(false);
    // Not approved yet: no token.
    expect(
      await statusOf(getAuthenticationApi(api).authenticateWithQuickConnect({ quickConnectDto: { Secret: secret! } })),
    ).toBe(401);

    // What the /link page shows, then the approval, both with the web session (which passed the second step).
    const lookup = await s.request('POST', '/api/v1/link/lookup', { token: user.web, body: { user_code: code } });
    expect(lookup.status, JSON.stringify(lookup.body)).toBe(200);
    expect(lookup.body.device_name).toBe(DEVICE.name);
    expect(lookup.body.client).toBe(`${CLIENT.name} ${CLIENT.version}`);
    expect(
      (await s.request('POST', '/api/v1/link/approve', { token: user.web, body: { user_code: code, approve: true } }))
        .status,
    ).toBe(200);

    expect((await auth.getQuickConnectState({ secret: secret! })).data.Authenticated).toBe(true);
    const signedIn = await getAuthenticationApi(api).authenticateWithQuickConnect({
      quickConnectDto: { Secret: secret! },
    });
    const token = signedIn.data.AccessToken!;
    expect(signedIn.data.User?.Name).toBe(user.username);
    expect((await getUserApi(jellyfinApi(s, token)).getCurrentUser()).status).toBe(200);
    // The secret opens once.
    expect(
      await statusOf(getAuthenticationApi(api).authenticateWithQuickConnect({ quickConnectDto: { Secret: secret! } })),
    ).not.toBe(200);
    const devices = await s.request('GET', '/api/v1/me/sessions', { token: user.web });
    expect(devices.body.some((d: any) => d.device_name === DEVICE.name && d.kind === 'device')).toBe(true);
  });

  it('S91: an app signed in with a password approves a Quick Connect code from the app itself', async () => {
    const user = await newUser();
    const signedIn = jellyfinApi(s, await signIn(user.username));
    const tv = jellyfinApi(s, undefined, { name: 'Living room TV', id: 'tv-1' });
    const started = await getAuthenticationApi(tv).initiateQuickConnect();
    expect((await getAuthenticationApi(signedIn).authorizeQuickConnect({ code: started.data.Code! })).data).toBe(true);
    const auth = await getAuthenticationApi(tv).authenticateWithQuickConnect({
      quickConnectDto: { Secret: started.data.Secret! },
    });
    expect(auth.data.User?.Name).toBe(user.username);
  });

  it("S92: an unknown name and a wrong password get the same answer, both logged; the SDK's sign-in is throttled like the web's", async () => {
    const user = await newUser();
    const unknown = await failureOf(jellyfinApi(s).authenticateUserByName('nobody-here', PASSWORD));
    const wrong = await failureOf(jellyfinApi(s).authenticateUserByName(user.username, 'not the password at all'));
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.data).toEqual(wrong.data);
    const events = await s.request('GET', '/api/v1/me/security-events', { token: user.web });
    expect(events.body.some((e: any) => e.type === 'sign_in_failed')).toBe(true);

    let throttled: { status: number; headers: Record<string, string> } | null = null;
    for (let i = 0; i < 30 && !throttled; i++) {
      const answer = await failureOf(jellyfinApi(s).authenticateUserByName(user.username, `wrong guess ${i}`));
      if (answer.status === 429) throttled = answer;
      else expect(answer.status).toBe(401);
    }
    expect(throttled, 'never throttled').not.toBeNull();
    expect(Number(throttled!.headers['retry-after'])).toBeGreaterThan(0);
    // The web sign-in of the same account is held by the same count.
    const web = await s.request('POST', '/api/v1/auth/login', { body: { login: user.username, password: PASSWORD } });
    expect(web.status).toBe(429);
  });

  it('S14: a flagged account gets no token through this door, with its correct old password', async () => {
    const user = await newUser();
    await s.deps.db.updateTable('users').set({ reset_required: 1 }).where('id', '=', user.id).execute();
    const refused = await failureOf(jellyfinApi(s).authenticateUserByName(user.username, PASSWORD));
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.data)).not.toMatch(/AccessToken/);
  });
});
