// Passkeys through the web app in real Chromium with a CDP virtual authenticator: added and renamed on the
// account page, used to sign in without a username, used as the second step after the password, and, for an
// account flagged for a new password, used to reach the page that sets one. The server's public URL is
// http://localhost:<port>, a secure context, as WebAuthn requires.
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateUser } from '../../src/store/users.repository.ts';
import {
  openPage,
  screenshot,
  signInThroughPage,
  viewports,
  waitForText,
  startWebStack,
  type WebStack,
} from '../helpers/browser.ts';
import type { TestServer } from '../helpers/server.ts';
import { freePort } from '../helpers/net.ts';

const PASSWORD = 'juniper lighthouse folds maps';
const NEW_PASSWORD = 'granite otter paints the sky';

describe('web app: passkeys (virtual authenticator)', { timeout: 60_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let server: TestServer;
  let origin: string;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;
  let user: { id: string; username: string };
  const problems: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    stack = await startWebStack({ env: { HEARTH_PORT: String(port), HEARTH_PUBLIC_URL: origin } });
    if (stack === null) return;
    ({ browser, server } = stack);
    page = await openPage(browser, origin, viewports.desktop, problems);
    cdp = await page.context().newCDPSession(page);
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
    await stack?.close();
  });

  async function signOut(): Promise<void> {
    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
  }

  it('S41: a passkey is added and renamed on the account page, then signs in without a username or password', async (ctx) => {
    if (browser === null) return ctx.skip();
    user = await server.createUser({ username: 'philippa', password: PASSWORD });
    await signInThroughPage(page, user.username, PASSWORD);
    await page.goto('/account#passkeys');
    const section = page.getByRole('region', { name: 'Passkeys' });
    await waitForText(section, 'No passkey yet.');
    await section.getByLabel('Name (optional)').fill('Virtual key');
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await waitForText(section.getByRole('status').first(), 'The passkey “Virtual key” is added.');
    // The first factor of the account comes with recovery codes, shown this once.
    await section.getByRole('list', { name: 'Recovery codes' }).waitFor();
    expect(await section.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').count()).toBe(10);
    await section.getByRole('button', { name: 'I saved them' }).click();
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);

    const item = section.getByRole('list', { name: 'Your passkeys' }).getByRole('listitem');
    await waitForText(item.getByRole('definition').nth(1), 'never');
    await item.getByRole('button', { name: 'Rename Virtual key' }).click();
    await item.getByLabel('Passkey name').fill('Laptop key');
    await item.getByRole('button', { name: 'Save' }).click();
    await waitForText(section.getByRole('status').first(), 'The passkey is now called “Laptop key”.');
    await waitForText(page.getByRole('region', { name: 'Two-step sign-in' }).getByRole('definition').nth(1), '1');
    await screenshot(page, 'account-passkeys');

    await signOut();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await waitForText(page.getByRole('heading', { level: 1 }), `Welcome, ${user.username}`);
    await page.goto('/account#passkeys');
    await waitForText(
      page.getByRole('region', { name: 'Passkeys' }).getByRole('listitem').getByRole('definition').nth(1),
      'just now',
    );
    expect(problems).toEqual([]);
  });

  it('S41: after the password, the passkey answers the second step', async (ctx) => {
    if (browser === null || user === undefined) return ctx.skip();
    await signOut();
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Two-step sign-in' }).waitFor();
    // The account has a passkey and recovery codes but no app: the passkey is offered first.
    await page.getByRole('button', { name: 'Use a recovery code instead' }).waitFor();
    await screenshot(page, 'two-step-passkey');
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await waitForText(page.getByRole('heading', { level: 1 }), `Welcome, ${user.username}`);
    expect(problems).toEqual([]);
  });

  it('S14: an account flagged for a new password that signs in with its passkey can only set the new password', async (ctx) => {
    if (browser === null || user === undefined) return ctx.skip();
    await signOut();
    await updateUser(server.deps.db, user.id, { reset_required: 1 }, new Date());

    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL((url) => url.pathname === '/password-change');
    // The one-time token rides in history state, never in the address.
    expect(page.url()).toBe(`${origin}/password-change`);
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    // Nothing else is open to this browser yet.
    expect((await page.request.get('/api/v1/me')).status()).toBe(401);
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await waitForText(page.getByRole('alert'), 'differ from the old one');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await screenshot(page, 'password-change-required');
    await page.getByRole('button', { name: 'Set the new password' }).click();

    await page.waitForURL((url) => url.pathname === '/account');
    await waitForText(page.getByRole('status').first(), 'Your new password is set.');
    const me = await page.request.get('/api/v1/me');
    expect(me.status()).toBe(200);
    expect((await me.json()).password_reset_required).toBe(false);

    // The new password works, and the second step still follows it.
    await signOut();
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Two-step sign-in' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('S42: a removed passkey signs in nowhere, even though the authenticator still holds it', async (ctx) => {
    if (browser === null || user === undefined) return ctx.skip();
    await page.getByRole('button', { name: 'Use your passkey' }).click();
    await waitForText(page.getByRole('heading', { level: 1 }), `Welcome, ${user.username}`);
    await page.goto('/account#passkeys');
    const section = page.getByRole('region', { name: 'Passkeys' });
    await section.getByRole('button', { name: 'Remove Laptop key' }).click();
    await section
      .getByRole('group', { name: 'Remove Laptop key' })
      .getByRole('button', { name: 'Remove', exact: true })
      .click();
    await waitForText(section.getByRole('status').first(), 'The passkey “Laptop key” is removed.');
    await waitForText(section, 'No passkey yet.');
    expect((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials).toHaveLength(1);

    await signOut();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await waitForText(page.getByRole('alert'), 'The passkey could not be verified.');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(problems).toEqual([]);
  });
});
