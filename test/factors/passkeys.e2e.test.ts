// Passkeys end to end in real Chromium with a CDP virtual authenticator (S41): register, sign in without a
// password, use one as the second factor, and see a replayed assertion refused. The page is one of the
// server's own origin (http://localhost is a secure context), driving navigator.credentials through
// @simplewebauthn/browser as the web app would.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { freePort } from '../helpers/net.ts';

const PASSWORD = 'velvet thunder orchard mosaic';
// The package's exports name only its modules; its browser bundle sits beside them.
const browserBundle = join(
  dirname(createRequire(import.meta.url).resolve('@simplewebauthn/browser')),
  '../dist/bundle/index.umd.min.js',
);

interface Answer {
  status: number;
  body: any;
}

describe('passkeys in Chromium (virtual authenticator)', () => {
  let s: TestServer;
  let browser: Browser | null = null;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let origin: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    if (!browser) return;
    const port = await freePort();
    origin = `http://localhost:${port}`;
    s = await startTestServer({ env: { HEARTH_PORT: String(port), HEARTH_PUBLIC_URL: origin } });
    // The API's CSP allows only same-origin scripts; the test injects the WebAuthn helper into an API page.
    context = await browser.newContext({ bypassCSP: true });
    page = await context.newPage();
    await page.goto(`${origin}/api/v1/health`);
    await page.addScriptTag({ path: browserBundle });
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const added = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    authenticatorId = added.authenticatorId;
  });

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /** A same-origin fetch from the page: the browser adds Origin and the session cookie, as for the web app. */
  const api = (method: string, path: string, body?: unknown): Promise<Answer> =>
    page.evaluate(
      async ({ method, path, body }) => {
        const res = await fetch(path, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() };
      },
      { method, path, body },
    );

  const startRegistration = (optionsJSON: unknown) =>
    page.evaluate((o) => (window as any).SimpleWebAuthnBrowser.startRegistration({ optionsJSON: o }), optionsJSON);
  const startAuthentication = (optionsJSON: unknown) =>
    page.evaluate((o) => (window as any).SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: o }), optionsJSON);

  let user: { id: string; username: string };
  let passkeyId: string;

  it('S41: registers a discoverable passkey made by the authenticator', async (ctx) => {
    if (!browser) return ctx.skip();
    user = await s.createUser({ username: 'chromium', password: PASSWORD });
    const login = await api('POST', '/api/v1/auth/login', { login: user.username, password: PASSWORD });
    expect(login.status, JSON.stringify(login.body)).toBe(200);

    const options = await api('POST', '/api/v1/me/passkeys/registration/options');
    expect(options.status).toBe(200);
    expect(options.body.rp.id).toBe('localhost');
    const response = await startRegistration(options.body);
    const verify = await api('POST', '/api/v1/me/passkeys/registration/verify', {
      response,
      name: 'Virtual authenticator',
    });
    expect(verify.status, JSON.stringify(verify.body)).toBe(200);
    expect(verify.body.passkey.name).toBe('Virtual authenticator');
    expect(verify.body.recovery_codes).toHaveLength(10);
    passkeyId = verify.body.passkey.id;

    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    expect(credentials[0]!.rpId).toBe('localhost');
    expect(Buffer.from(credentials[0]!.userHandle!, 'base64').toString('utf8')).toBe(user.id);

    // The authenticator refuses to make a second credential for the account (excludeCredentials), and the
    // server would refuse the same credential ID anyway.
    const again = await api('POST', '/api/v1/me/passkeys/registration/options');
    await expect(startRegistration(again.body)).rejects.toThrow(/registered|InvalidStateError/i);
    expect((await api('GET', '/api/v1/me/passkeys')).body).toHaveLength(1);
  });

  let assertion: unknown;

  it('S41: signs in without a password or username, and a replayed assertion is refused', async (ctx) => {
    if (!browser) return ctx.skip();
    expect((await api('POST', '/api/v1/auth/logout')).status).toBe(200);
    expect((await api('GET', '/api/v1/me')).status).toBe(401);

    const options = await api('POST', '/api/v1/auth/passkey/options');
    expect(options.status).toBe(200);
    expect(options.body.allowCredentials ?? []).toEqual([]);
    assertion = await startAuthentication(options.body);
    const signIn = await api('POST', '/api/v1/auth/passkey/verify', { response: assertion });
    expect(signIn.status, JSON.stringify(signIn.body)).toBe(200);
    expect(signIn.body.user.id).toBe(user.id);
    // The session rides in the cookie, like a password sign-in from the web app.
    const me = await api('GET', '/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.username).toBe(user.username);

    const replay = await api('POST', '/api/v1/auth/passkey/verify', { response: assertion });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('passkey_invalid');

    const list = await api('GET', '/api/v1/me/passkeys');
    expect(list.body[0].last_used_at).not.toBeNull();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const stored = await s.deps.db
      .selectFrom('passkeys')
      .select(['counter'])
      .where('id', '=', passkeyId)
      .executeTakeFirstOrThrow();
    expect(stored.counter).toBe(credentials[0]!.signCount);
  });

  it('S41: a passkey is the second factor after the password', async (ctx) => {
    if (!browser) return ctx.skip();
    expect((await api('POST', '/api/v1/auth/logout')).status).toBe(200);
    const login = await api('POST', '/api/v1/auth/login', { login: user.username, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ mfa_required: true, methods: ['recovery_code', 'passkey'] });
    expect((await api('GET', '/api/v1/me')).status).toBe(401);

    const options = await api('POST', '/api/v1/auth/login/mfa/passkey-options', { mfa_token: login.body.mfa_token });
    expect(options.status, JSON.stringify(options.body)).toBe(200);
    expect(options.body.allowCredentials).toHaveLength(1);
    const response = await startAuthentication(options.body);
    const done = await api('POST', '/api/v1/auth/login/mfa', { mfa_token: login.body.mfa_token, passkey: response });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect((await api('GET', '/api/v1/me')).body.id).toBe(user.id);

    // The first assertion, replayed at the second-factor step of a new sign-in, does not count.
    expect((await api('POST', '/api/v1/auth/logout')).status).toBe(200);
    const next = await api('POST', '/api/v1/auth/login', { login: user.username, password: PASSWORD });
    await api('POST', '/api/v1/auth/login/mfa/passkey-options', { mfa_token: next.body.mfa_token });
    const replay = await api('POST', '/api/v1/auth/login/mfa', { mfa_token: next.body.mfa_token, passkey: assertion });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('passkey_invalid');
    expect((await api('GET', '/api/v1/me')).status).toBe(401);
  });
});
