// The pages that mail links open, in a real browser, with the mail caught by a local SMTP server:
// forgotten password with two-step sign-in, confirming a new address, and "this wasn't me".
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
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
import { urlsIn, type TestSmtp } from '../mail/smtp.ts';

const PASSWORD = 'thistle ferry wanders north';
const NEW_PASSWORD = 'cobalt meadow sings at noon';

describe('web app: pages opened from mail', { timeout: 90_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let smtp: TestSmtp;
  let server: TestServer;
  const problems: string[] = [];

  beforeAll(async () => {
    stack = await startWebStack({ smtp: true, jobs: { pollMs: 20, leaseMs: 2000 } });
    if (stack === null) return;
    ({ browser, server } = stack);
    smtp = stack.smtp!;
  });

  afterAll(async () => {
    await stack?.close();
  });

  /** The one link of a mail that leads to `path` on this server, with its token. */
  async function linkInMail(to: string, subject: string, path: string): Promise<string> {
    const mail = await smtp.waitFor((m) => m.to.includes(to) && m.subject.startsWith(subject));
    const link = urlsIn(mail).find((url) => url.startsWith(`${server.origin}${path}#token=`));
    if (link === undefined) throw new Error(`no ${path} link in:\n${mail.text}`);
    return link;
  }

  it('S31: a forgotten password is reset from the mailed link, with the authenticator code the account requires, and nobody is signed in by it', async (ctx) => {
    if (browser === null) return ctx.skip();
    const user = await server.createUser({ username: 'ingrid', password: PASSWORD });
    const token = await server.login(user.username, PASSWORD);
    const setup = await server.request('POST', '/api/v1/me/2fa/totp/setup', { token });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const seed = base32Decode(setup.body.secret as string)!;
    const confirm = await server.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token,
      body: { code: totpCode(seed, new Date()) },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    const recoveryCodes = confirm.body.recovery_codes as string[];

    const page = await openPage(browser, server.url, viewports.desktop, problems);
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { level: 1, name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Send the reset link' }).click();
    await waitForText(page.getByRole('status'), 'a message with a reset link is on its way');

    await page.goto(await linkInMail(user.email, 'Reset your password', '/reset'));
    await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    // The server asks for the second factor; the page adds the field without losing the password.
    await waitForText(page.getByRole('alert'), 'two-step sign-in');
    await page.getByLabel('Two-step code').fill(totpCode(seed, new Date(Date.now() + 30_000)));
    await screenshot(page, 'reset-with-code');
    await page.getByRole('button', { name: 'Set the new password' }).click();

    await page.waitForURL((url) => url.pathname === '/login');
    await waitForText(page.getByRole('status'), 'Your password is changed and every device was signed out.');
    expect((await server.request('GET', '/api/v1/me', { token })).status).toBe(401);
    await page.goto('/account');
    await page.waitForURL((url) => url.pathname === '/login');

    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    // Back where the signed-out visit wanted to go.
    await waitForText(page.getByRole('heading', { level: 1 }), 'Account security');
    expect(new URL(page.url()).pathname).toBe('/account');
    expect(problems).toEqual([]);
  });

  it('a new address is confirmed from its mail, and "This wasn\'t me" from the old address signs every device out', async (ctx) => {
    if (browser === null) return ctx.skip();
    const user = await server.createUser({ username: 'lorcan', password: PASSWORD });
    const page = await openPage(browser, server.url, viewports.phone, problems);
    await signInThroughPage(page, user.username, PASSWORD);
    await page.goto('/account');
    const profile = page.getByRole('region', { name: 'Profile' });
    await profile.getByLabel('Email').fill('lorcan.new@example.org');
    await profile.getByRole('button', { name: 'Change email' }).click();
    await waitForText(profile.getByRole('status'), 'Your address is now lorcan.new@example.org.');

    const other = await openPage(browser, server.url, viewports.desktop, problems);
    await other.goto(await linkInMail('lorcan.new@example.org', 'Confirm your email address', '/verify-email'));
    await other.getByRole('heading', { level: 1, name: 'Confirm your email address' }).waitFor();
    expect(new URL(other.url()).hash).toBe('');
    await other.getByRole('button', { name: 'Confirm my address' }).click();
    await waitForText(other.getByRole('status'), 'Your email address is confirmed.');
    await page.reload();
    await waitForText(page.getByRole('region', { name: 'Profile' }), 'Confirmed.');

    await other.goto(await linkInMail(user.email, 'The email address of your account was changed', '/not-me'));
    await other.getByRole('heading', { level: 1, name: 'Secure your account' }).waitFor();
    await screenshot(other, 'not-me');
    await other.getByRole('button', { name: 'Sign out everywhere and block my password' }).click();
    await waitForText(other.getByRole('status'), 'Every device was signed out');

    await page.getByRole('link', { name: 'Home', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/reset-required');
    expect(problems).toEqual([]);
  });
});
