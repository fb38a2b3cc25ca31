// The account security page in a real browser: profile, the password prompt for a stale session, and a
// password change that signs the other devices out.
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
import { testClock, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'saffron kettle under moonlight';
const NEW_PASSWORD = 'granite willow hums at dusk';

describe('web app: account security page', { timeout: 90_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let server: TestServer;
  const clock = testClock(new Date());
  const problems: string[] = [];

  beforeAll(async () => {
    stack = await startWebStack({ clock: clock.clock });
    if (stack === null) return;
    ({ browser, server } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('S27: saves the profile, and asks for the password again before changing the email of a session signed in long ago', async (ctx) => {
    if (browser === null) return ctx.skip();
    const user = await server.createUser({ username: 'beatrix', password: PASSWORD });
    const page = await openPage(browser, server.url, viewports.desktop, problems);
    await signInThroughPage(page, user.username, PASSWORD);
    await page.goto('/account');

    const profile = page.getByRole('region', { name: 'Profile' });
    await profile.getByLabel('Display name').fill('Bea');
    await profile.getByLabel('Anti-phishing phrase').fill('purple otter');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await waitForText(profile.getByRole('status'), 'Your profile is saved.');
    await waitForText(page.getByRole('banner'), 'Bea');
    // A recent sign-in is proof enough: no password prompt for a profile edit.
    const me = await server.request('GET', '/api/v1/me', { token: await server.login(user.username, PASSWORD) });
    expect(me.body).toMatchObject({ display_name: 'Bea', anti_phishing_phrase: 'purple otter' });

    // Past the ten minutes in which a sign-in counts as a fresh proof.
    clock.advance(11 * 60_000);
    await profile.getByLabel('Email').fill('beatrix.new@example.org');
    await profile.getByRole('button', { name: 'Change email' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await dialog.getByLabel('Password', { exact: true }).fill('not my password at all');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await waitForText(dialog.getByRole('alert'), 'not correct');
    await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await screenshot(page, 'confirm-password');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await waitForText(profile.getByRole('status'), 'Your address is now beatrix.new@example.org.');
    expect(await profile.getByLabel('Email').inputValue()).toBe('beatrix.new@example.org');
    await waitForText(profile, 'Not confirmed yet.');

    // The renewed session keeps working.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Account security' }).waitFor();
    expect(problems).toEqual([]);
  });

  it('S26: changing the password shows why a password is refused and by default signs every other device out', async (ctx) => {
    if (browser === null) return ctx.skip();
    const user = await server.createUser({ username: 'cornelius', password: PASSWORD });
    const otherDevice = await server.login(user.username, PASSWORD);
    const page = await openPage(browser, server.url, viewports.tv, problems);
    await signInThroughPage(page, user.username, PASSWORD);
    await page.goto('/account');

    const section = page.getByRole('region', { name: 'Password' });
    expect(await section.getByLabel('Sign out of all other devices').isChecked()).toBe(true);
    await section.getByLabel('Current password').fill(PASSWORD);
    await section.getByLabel('New password').fill('password123');
    await waitForText(section, 'Strength:');
    await section.getByRole('button', { name: 'Change password' }).click();
    await waitForText(section.getByRole('alert'), 'most common or breached passwords');

    await section.getByLabel('New password').fill(NEW_PASSWORD);
    await waitForText(section, 'Strength: Very strong');
    await screenshot(page, 'account-security-tv');
    await section.getByRole('button', { name: 'Change password' }).click();
    await waitForText(section.getByRole('status'), 'One other device was signed out.');

    expect((await server.request('GET', '/api/v1/me', { token: otherDevice })).status).toBe(401);
    // The change gave this browser's session a new token in the cookie (S20): the page stays signed in.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Account security' }).waitFor();
    await page.getByRole('link', { name: 'Home', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await server.login(user.username, NEW_PASSWORD);
    expect(problems).toEqual([]);
  });
});
