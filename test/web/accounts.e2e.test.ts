// The web app in a real browser against a real listening server: first run, sign-in, devices, and
// "Sign out of all devices" reaching another browser.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebApp, launchBrowser, screenshot, waitForText, watchPageProblems, type BuiltWebApp } from '../helpers/browser.ts';
import { SETUP_TOKEN, startTestServer, type TestServer } from '../helpers/server.ts';
import { updateUser } from '../../src/store/users.repository.ts';

const OWNER = { username: 'margaret', email: 'margaret@example.org', password: 'lantern orchard quietly drifts' };
const MEMBER = { username: 'tobias', email: 'tobias@example.org', password: 'copper meadow whistles softly' };

const desktop = { width: 1280, height: 800 };
const phone = { width: 390, height: 844 };

// Each test signs in several times with full-strength argon2: more than the default 30 s on a slow machine.
describe('web app: accounts', { timeout: 90_000 }, () => {
  let browser: Browser | null = null;
  let web: BuiltWebApp | null = null;
  let server: TestServer;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    if (browser === null) return;
    web = await buildWebApp();
    server = await startTestServer({ webDist: web.dir });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
    web?.remove();
  });

  async function openPage(viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser!.newContext({ viewport, baseURL: server.url });
    contexts.push(context);
    // Shorter than the test's own timeout, so a missing element is reported as such.
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    watchPageProblems(page, problems);
    return page;
  }

  async function signIn(page: Page, login: string, password: string): Promise<void> {
    await page.goto('/login');
    await page.getByLabel('Username or email').fill(login);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
  }

  it('S23, S25: the owner is created in the browser, sees each device, and "Sign out of all devices" signs the other browser out at its next navigation', async (ctx) => {
    if (browser === null) return ctx.skip();

    const first = await openPage(desktop);
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

    await first.waitForURL('**/login');
    await waitForText(first.getByRole('status'), 'The owner account is ready');
    await screenshot(first, 'sign-in');
    await signIn(first, OWNER.username, OWNER.password);
    await waitForText(first.getByRole('heading', { level: 1 }), `Welcome, ${OWNER.username}`);
    await screenshot(first, 'home');

    await first.getByRole('link', { name: 'Account', exact: true }).click();
    const firstDevices = first.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await expect.poll(() => firstDevices.count()).toBe(1);
    await waitForText(firstDevices.first(), 'This device');
    // The heading takes focus after an in-app navigation, for keyboard and screen-reader users.
    expect(await first.evaluate(() => document.activeElement?.textContent)).toBe('Account security');

    const second = await openPage(phone);
    await signIn(second, OWNER.email, OWNER.password);
    await second.goto('/account');
    const secondDevices = second.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await expect.poll(() => secondDevices.count()).toBe(2);
    await expect.poll(() => second.getByText('This device').count()).toBe(1);
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

    const admin = await openPage(desktop);
    await signIn(admin, OWNER.username, OWNER.password);
    await admin.getByRole('link', { name: 'Admin', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: 'Admin · Users' }).waitFor();
    await admin.getByLabel('Email (optional)').fill(MEMBER.email);
    await admin.getByRole('button', { name: 'Create invite link' }).click();
    const link = await admin.getByLabel('Invite link').inputValue();
    expect(link.startsWith(`${server.origin}/register#invite=`), link).toBe(true);
    await screenshot(admin, 'admin-users');

    const member = await openPage(desktop);
    await member.goto(link);
    await member.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    // The invitation is a secret: it leaves the address bar as soon as the page has read it.
    expect(new URL(member.url()).hash).toBe('');
    await member.getByLabel('Username').fill(MEMBER.username);
    await member.getByLabel('Email').fill(MEMBER.email);
    await member.getByLabel('Password', { exact: true }).fill(MEMBER.password);
    await member.getByRole('button', { name: 'Create the account' }).click();
    await member.waitForURL('**/login');
    await waitForText(member.getByRole('status'), 'Your account is ready');
    await signIn(member, MEMBER.username, MEMBER.password);
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
    expect(problems).toEqual([]);
  });

  it('a sign-in to an account flagged for a mandatory reset leads to the page that explains it and offers the reset', async (ctx) => {
    if (browser === null) return ctx.skip();
    const flagged = await server.createUser({ username: 'rosalind', password: 'amber lighthouse gently hums' });
    await updateUser(server.deps.db, flagged.id, { reset_required: 1, reset_required_reason: 'breach' }, new Date());

    const page = await openPage(desktop);
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
    const page = await openPage(desktop);
    await page.goto('/reset#token=hr_not_a_real_token_but_long_enough');
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByLabel('New password').waitFor();
    await screenshot(page, 'reset-password');

    await page.goto('/reset');
    await waitForText(page.getByRole('alert'), 'link is missing');
    expect(problems).toEqual([]);
  });
});
