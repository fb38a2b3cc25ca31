// The web app in a real browser against a real listening server: first run, sign-in, devices, and
// "Sign out of all devices" reaching another browser.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openPage,
  screenshot,
  signInThroughPage,
  viewports,
  waitForText,
  startWebStack,
  type WebStack,
} from '../helpers/browser.ts';
import { SETUP_TOKEN, type TestServer } from '../helpers/server.ts';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { updateUser } from '../../src/store/users.repository.ts';

const OWNER = { username: 'margaret', email: 'margaret@example.org', password: 'lantern orchard quietly drifts' };
const MEMBER = { username: 'tobias', email: 'tobias@example.org', password: 'copper meadow whistles softly' };

const { desktop, phone } = viewports;

// Each test signs in several times with full-strength argon2: more than the default 30 s on a slow machine.
describe('web app: accounts', { timeout: 90_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let server: TestServer;
  const problems: string[] = [];

  beforeAll(async () => {
    stack = await startWebStack();
    if (stack === null) return;
    ({ browser, server } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const open = (viewport: { width: number; height: number }) => openPage(browser!, server.url, viewport, problems);

  it('S23, S25: the owner is created in the browser, sees each device, and "Sign out of all devices" signs the other browser out at its next navigation', async (ctx) => {
    if (browser === null) return ctx.skip();

    const first = await open(desktop);
    await first.goto('/');
    // A server without an owner sends its first visitor to the setup page.
    await first.waitForURL('**/setup');
    await first.getByLabel('Setup token').fill(SETUP_TOKEN);
    await first.getByLabel('Username').fill(OWNER.username);
    await first.getByLabel('Email').fill(OWNER.email);
    await first.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await first.getByText('Strength:').waitFor();
    await screenshot(first, 'setup');
    await first.getByRole('button', { name: 'Create the owner account' }).click();

    // The owner just proved the setup token and chose the password: signed in, straight to the home page.
    await waitForText(first.getByRole('heading', { level: 1 }), `Welcome, ${OWNER.username}`);
    expect(new URL(first.url()).pathname).toBe('/');
    await screenshot(first, 'home');

    await first.getByRole('link', { name: 'Account', exact: true }).click();
    const firstDevices = first.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await expect.poll(() => firstDevices.count()).toBe(1);
    await waitForText(firstDevices.first(), 'This device');
    // The heading takes focus after an in-app navigation, for keyboard and screen-reader users.
    expect(await first.evaluate(() => document.activeElement?.textContent)).toBe('Account security');

    const second = await open(phone);
    await signInThroughPage(second, OWNER.email, OWNER.password);
    await second.goto('/account');
    const secondDevices = second.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await expect.poll(() => secondDevices.count()).toBe(2);
    await expect.poll(() => second.getByText('This device', { exact: true }).count()).toBe(1);
    await screenshot(second, 'account-security-phone');

    await second.getByRole('button', { name: 'Sign out of all devices' }).click();
    await second.getByRole('button', { name: 'Sign out everywhere' }).click();
    await waitForText(second.getByRole('status').filter({ hasText: 'signed out' }), 'One device was signed out');
    await expect.poll(() => secondDevices.count()).toBe(1);

    // The first browser still shows its page; its very next navigation finds the session gone.
    await first.getByRole('link', { name: 'Home', exact: true }).click();
    await first.waitForURL((url) => url.pathname === '/login');
    await first.getByText('This browser was signed out').waitFor();
    await screenshot(first, 'signed-out-elsewhere');
    await first.goto('/account');
    await first.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/account');

    // The browser that did it stays signed in.
    await second.goto('/');
    await waitForText(second.getByRole('heading', { level: 1 }), `Welcome, ${OWNER.username}`);

    expect(problems).toEqual([]);
  });

  it('S25: an invited member registers through the invite link, and the admin signs them out everywhere', async (ctx) => {
    if (browser === null) return ctx.skip();

    const admin = await open(desktop);
    await signInThroughPage(admin, OWNER.username, OWNER.password);
    await admin.getByRole('link', { name: 'Admin', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Admin · Users' }).waitFor();
    await admin.getByLabel('Email (optional)').fill(MEMBER.email);
    await admin.getByRole('button', { name: 'Create invite link' }).click();
    const link = await admin.getByLabel('Invite link').inputValue();
    expect(link.startsWith(`${server.origin}/register#invite=`), link).toBe(true);
    await screenshot(admin, 'admin-users');

    const member = await open(desktop);
    await member.goto(link);
    await member.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    // The invitation is a secret: it leaves the address bar as soon as the page has read it.
    expect(new URL(member.url()).hash).toBe('');
    await member.getByLabel('Username').fill(MEMBER.username);
    // The invitation names the address: filled in, and not to be changed.
    await expect.poll(() => member.getByLabel('Email').inputValue()).toBe(MEMBER.email);
    expect(await member.getByLabel('Email').evaluate((input: HTMLInputElement) => input.readOnly)).toBe(true);
    await member.getByLabel('Password', { exact: true }).fill(MEMBER.password);
    await member.getByRole('button', { name: 'Create the account' }).click();
    // Signed in at once: the invitee just proved the invitation and chose the password.
    await waitForText(member.getByRole('heading', { level: 1 }), `Welcome, ${MEMBER.username}`);
    // Members have no admin console, not even its link.
    await expect.poll(() => member.getByRole('link', { name: 'Admin', exact: true }).count()).toBe(0);
    await member.goto('/admin/users');
    await waitForText(member.getByRole('heading', { level: 1 }), 'Page not found');

    await admin.reload();
    const row = admin.getByRole('row').filter({ hasText: MEMBER.email });
    await row.getByRole('button', { name: /Sign out everywhere/ }).click();
    await waitForText(admin.getByRole('status').filter({ hasText: MEMBER.username }), 'signed out of every device');

    await member.getByRole('link', { name: 'Account', exact: true }).click();
    await member.waitForURL((url) => url.pathname === '/login');
    await member.getByText('This browser was signed out').waitFor();

    await admin
      .getByRole('navigation', { name: 'Admin sections' })
      .getByRole('link', { name: 'Security events' })
      .click();
    const log = admin.getByRole('list').filter({ hasText: 'Devices signed out' });
    await waitForText(log, `Devices signed out · ${MEMBER.username} · 1 device, by ${OWNER.username}`);
    await admin.getByLabel('Show').selectOption('sign_in_failed');
    await waitForText(admin.getByRole('region', { name: 'Security events' }), 'Nothing recorded yet.');
    await screenshot(admin, 'admin-security-events');
    expect(problems).toEqual([]);
  });

  it('an account with two-step sign-in asks for the authenticator code, refuses a wrong one, and takes a recovery code instead', async (ctx) => {
    if (browser === null) return ctx.skip();
    const user = await server.createUser({ username: 'hugo', password: 'pebble harbour slowly turns' });
    const token = await server.login(user.username, user.password);
    const setup = await server.request('POST', '/api/v1/me/2fa/totp/setup', { token });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const seed = base32Decode(setup.body.secret as string)!;
    const confirm = await server.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token,
      body: { code: totpCode(seed, new Date()) },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    const recoveryCodes = confirm.body.recovery_codes as string[];

    const page = await open(desktop);
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Two-step sign-in' }).waitFor();
    const code = page.getByLabel('Code from your authenticator app');
    // A code from ten minutes ahead is outside the accepted window.
    await code.fill(totpCode(seed, new Date(Date.now() + 600_000)));
    await page.getByRole('button', { name: 'Verify' }).click();
    await waitForText(page.getByRole('alert'), 'The code is not valid.');
    // The step survives a wrong code; the next time step's code was never used, so it is accepted once.
    await code.fill(totpCode(seed, new Date(Date.now() + 30_000)));
    await screenshot(page, 'two-step-sign-in');
    await page.getByRole('button', { name: 'Verify' }).click();
    await waitForText(page.getByRole('heading', { level: 1 }), `Welcome, ${user.username}`);

    const other = await open(phone);
    await other.goto('/login');
    await other.getByLabel('Username or email').fill(user.email);
    await other.getByLabel('Password', { exact: true }).fill(user.password);
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await other.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await other.getByLabel('Recovery code').fill(recoveryCodes[0]);
    await other.getByRole('button', { name: 'Verify' }).click();
    await waitForText(other.getByRole('heading', { level: 1 }), `Welcome, ${user.username}`);
    expect(problems).toEqual([]);
  });

  it('a sign-in to an account flagged for a mandatory reset leads to the page that explains it and offers the reset', async (ctx) => {
    if (browser === null) return ctx.skip();
    const flagged = await server.createUser({ username: 'rosalind', password: 'amber lighthouse gently hums' });
    await updateUser(server.deps.db, flagged.id, { reset_required: 1, reset_required_reason: 'breach' }, new Date());

    const page = await open(desktop);
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(flagged.email);
    await page.getByLabel('Password', { exact: true }).fill(flagged.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/reset-required');
    await waitForText(page.getByRole('main'), 'must set a new password before it can sign in');
    expect(await page.getByLabel('Email').inputValue()).toBe(flagged.email);
    await page.getByRole('button', { name: 'Email me a reset link' }).waitFor();
    await screenshot(page, 'reset-required');
    // Nothing was signed in on the way.
    await page.goto('/account');
    await page.waitForURL((url) => url.pathname === '/login');
    expect(problems).toEqual([]);
  });

  it('the reset page takes its token from the fragment and removes it from the address bar', async (ctx) => {
    if (browser === null) return ctx.skip();
    const page = await open(desktop);
    await page.goto('/reset#token=hr_not_a_real_token_but_long_enough');
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByLabel('New password').waitFor();
    await screenshot(page, 'reset-password');

    await page.goto('/reset');
    await waitForText(page.getByRole('alert'), 'link is missing');
    expect(problems).toEqual([]);
  });
  it('a sign-in link whose next address leads to another site lands on the home page, signed in', async (ctx) => {
    if (browser === null) return ctx.skip();
    const page = await open(desktop);
    // "/<tab>/evil.example": the browser reads it as //evil.example.
    await page.goto('/login?next=%2F%09%2Fevil.example');
    await page.getByLabel('Username or email').fill(OWNER.username);
    await page.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    expect(new URL(page.url()).origin).toBe(new URL(server.url).origin);
    expect(new URL(page.url()).pathname).toBe('/');
    expect(problems).toEqual([]);
  });
});
