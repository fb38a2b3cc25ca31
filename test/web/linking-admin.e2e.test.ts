// The web app's pages for linking devices, app passwords and the security side of the admin console, in a
// real browser: /link shows which device asks and approves or denies it; app passwords are shown once and
// revoked; the alerts and the mail outbox (no SMTP server here) are readable; the two-step policy sends a
// member without a second factor to set one up.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCredentialStuffing, defaultThresholds } from '../../src/breach/stuffing.ts';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { listOutbox } from '../../src/mail/transports.ts';
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
import { callFrom, poll, TV, type CodePair } from '../linking/link-helpers.ts';

const PASSWORD = 'marble heron drifts upstream';
const TV_ADDRESS = '203.0.113.7';

describe('web app: linking, app passwords and the security admin pages', { timeout: 60_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let server: TestServer;
  const clock = testClock(new Date());
  const problems: string[] = [];
  let owner: { id: string; username: string; email: string };
  let member: { id: string; username: string; email: string };
  let memberPage: Page;

  beforeAll(async () => {
    stack = await startWebStack({ clock: clock.clock, jobs: { pollMs: 20, leaseMs: 2000 } });
    if (stack === null) return;
    ({ browser, server } = stack);
    owner = await server.createUser({ username: 'octavia', password: PASSWORD, role: 'owner' });
    member = await server.createUser({ username: 'lysander', password: PASSWORD });
  });

  afterAll(async () => {
    await stack?.close();
  });

  const requestCode = async (): Promise<CodePair> => {
    const res = await callFrom(server, TV_ADDRESS, 'POST', '/api/v1/link/codes', { body: TV });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as CodePair;
  };

  it("S50: /link opened from the TV's address signs in first, shows which device asks, and approves it; a wrong code, a denial and too many tries are told plainly", async (ctx) => {
    if (browser === null) return ctx.skip();
    const first = await requestCode();
    const complete = new URL(first.verification_uri_complete);
    expect(complete.pathname).toBe('/link');

    memberPage = await openPage(browser, server.url, viewports.phone, problems);
    await memberPage.goto(`${complete.pathname}${complete.search}`);
    await memberPage.waitForURL((url) => url.pathname === '/login');
    await memberPage.getByLabel('Username or email').fill(member.username);
    await memberPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await memberPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await memberPage.getByRole('heading', { level: 1, name: 'Link a device' }).waitFor();
    // The code from the address is filled in; the person compares it with the TV and goes on.
    expect(await memberPage.getByLabel('Code shown on the device').inputValue()).toBe(first.user_code);
    await memberPage.getByRole('button', { name: 'Continue' }).click();

    const asking = memberPage.getByRole('definition');
    await waitForText(memberPage.getByText('Living room TV'), 'Living room TV');
    expect(await asking.allTextContents()).toEqual(['Tizen', 'Hearth TV', TV_ADDRESS, 'just now', first.user_code]);
    await screenshot(memberPage, 'link-device');
    expect((await poll(server, first.device_code)).body.error.code).toBe('authorization_pending');
    await memberPage.getByRole('button', { name: 'Allow Living room TV' }).click();
    await waitForText(memberPage.getByRole('status'), 'Living room TV is now signed in to your account.');
    const linked = await poll(server, first.device_code);
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    expect((await server.request('GET', '/api/v1/me', { token: linked.body.token })).body.username).toBe(
      member.username,
    );
    await screenshot(memberPage, 'link-approved');

    await memberPage.getByRole('button', { name: 'Link another device' }).click();
    await memberPage.getByLabel('Code shown on the device').fill(first.user_code);
    await memberPage.getByRole('button', { name: 'Continue' }).click();
    await waitForText(memberPage.getByRole('alert'), 'This code is not valid, was already used, or has expired.');

    const second = await requestCode();
    // Typed by hand: lower case and without the dash is the same code.
    await memberPage.getByLabel('Code shown on the device').fill(second.user_code.replace('-', '').toLowerCase());
    await memberPage.getByRole('button', { name: 'Continue' }).click();
    await memberPage.getByRole('button', { name: 'Deny Living room TV' }).click();
    await waitForText(memberPage.getByRole('status'), 'Living room TV was refused');
    expect((await poll(server, second.device_code)).body.error.code).toBe('access_denied');

    // Guesses are limited per account: after the free tries, the page says how long to wait.
    const token = await server.login(member.username, PASSWORD);
    for (let i = 0; i < 10; i += 1) {
      await server.request('POST', '/api/v1/link/lookup', { token, body: { user_code: 'BBBB-BBBB' } });
    }
    await memberPage.getByRole('button', { name: 'Link another device' }).click();
    await memberPage.getByLabel('Code shown on the device').fill('CCCC-CCCC');
    await memberPage.getByRole('button', { name: 'Continue' }).click();
    await waitForText(memberPage.getByRole('alert'), 'Too many codes were tried. Try again in');
    expect(problems).toEqual([]);
  });

  it('S51: an app password is made with its permissions, shown once, listed with its last use, and revoked alone', async (ctx) => {
    if (browser === null || memberPage === undefined) return ctx.skip();
    await memberPage.goto('/account#app-passwords');
    const section = memberPage.getByRole('region', { name: 'App passwords' });
    await waitForText(section, 'No app password.');
    await section.getByLabel('App name').fill('Music player');
    await section.getByLabel('Play media').uncheck();
    await section.getByLabel('Browse libraries').uncheck();
    await section.getByRole('button', { name: 'Create app password' }).click();
    await waitForText(section.getByRole('alert'), 'Choose at least one thing the app may do.');
    await section.getByLabel('Browse libraries').check();
    await section.getByLabel('Read account details').check();
    await section.getByRole('button', { name: 'Create app password' }).click();
    const secret = await section.getByRole('textbox', { name: 'App password', exact: true }).inputValue();
    expect(secret).toMatch(/^hap_/);

    const used = await callFrom(server, '198.51.100.4', 'GET', '/api/v1/me', { token: secret });
    expect(used.status).toBe(200);
    await section.getByRole('button', { name: 'Done' }).click();
    await memberPage.reload();
    const item = memberPage.getByRole('list', { name: 'Your app passwords' }).getByRole('listitem');
    await waitForText(item, 'Browse libraries, Read account details');
    await waitForText(item, 'from 198.51.100.4');
    // Shown once: after a reload the password is nowhere on the page.
    expect(await memberPage.content()).not.toContain(secret);
    await screenshot(memberPage, 'account-app-passwords');

    await item.getByRole('button', { name: 'Revoke Music player' }).click();
    await waitForText(section.getByRole('status').first(), '“Music player” is revoked.');
    await waitForText(section, 'No app password.');
    expect((await server.request('GET', '/api/v1/me', { token: secret })).status).toBe(401);
    expect(problems).toEqual([]);
  });

  it('the admin reads the credential stuffing alerts and an outbox message as text', async (ctx) => {
    if (browser === null) return ctx.skip();
    // Failed sign-ins on several accounts from one address, then the periodic check with low thresholds.
    for (const name of ['target-one', 'target-two', 'target-three']) {
      await callFrom(server, '192.0.2.66', 'POST', '/api/v1/auth/login', {
        body: { login: name, password: 'not the password at all' },
      });
    }
    const raised = await checkCredentialStuffing(server.deps, clock.clock(), {
      ...defaultThresholds,
      addressFailures: 2,
      addressAccounts: 2,
    });
    expect(raised).toHaveLength(1);

    const admin = await openPage(browser, server.url, viewports.desktop, problems);
    await signInThroughPage(admin, owner.username, PASSWORD);
    await admin.goto('/admin/alerts');
    const alerts = admin.getByRole('list', { name: 'Alerts' }).getByRole('listitem');
    await waitForText(alerts, 'Many failed sign-ins from 192.0.2.66');
    await waitForText(alerts, '3 failed sign-ins on 3 accounts in 10 minutes.');
    await screenshot(admin, 'admin-alerts');

    // The alert was mailed to the owner; with no SMTP server, into the outbox. Its job runs in the
    // background: wait for the file first, so the page below is opened once and shows it from the start
    // (a page reloaded in a loop and counted at once counts before its lists have loaded).
    await expect
      .poll(
        () =>
          listOutbox(server.deps.config.dataDir).filter((m) =>
            m.subject.includes('Many failed sign-ins from 192.0.2.66'),
          ).length,
      )
      .toBe(1);
    await admin.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Mail' }).click();
    const outbox = admin.getByRole('region', { name: 'Outbox' });
    await waitForText(outbox.getByRole('row'), 'Many failed sign-ins from 192.0.2.66');
    expect(await outbox.getByRole('row').filter({ hasText: 'Many failed sign-ins from 192.0.2.66' }).count()).toBe(1);
    await outbox
      .getByRole('row')
      .filter({ hasText: 'Many failed sign-ins' })
      .getByRole('button', { name: /^Read/ })
      .click();
    const message = admin.getByRole('article', { name: /Many failed sign-ins from 192\.0\.2\.66/ });
    await waitForText(
      message.getByLabel('Message text'),
      'one network address tried to sign in to 3 different accounts',
    );
    await waitForText(message, owner.email);
    await screenshot(admin, 'admin-mail-outbox');
    await message.getByRole('button', { name: 'Show the source' }).click();
    await waitForText(message.getByLabel('Message text'), 'Content-Type: multipart/alternative');
    expect(problems).toEqual([]);
  });

  it('S42: the two-step policy set on the admin page sends a member without a second factor to set one up, and nothing else opens until then', async (ctx) => {
    if (browser === null || memberPage === undefined) return ctx.skip();
    // The owner has an authenticator app, so the policy does not lock the owner out.
    const ownerToken = await server.login(owner.username, PASSWORD);
    const setup = await server.request('POST', '/api/v1/me/2fa/totp/setup', { token: ownerToken });
    const ownerSeed = base32Decode(setup.body.secret as string)!;
    const confirmed = await server.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token: ownerToken,
      body: { code: totpCode(ownerSeed, clock.clock()) },
    });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);

    const admin = await openPage(browser, server.url, viewports.desktop, problems);
    await admin.goto('/login');
    await admin.getByLabel('Username or email').fill(owner.username);
    await admin.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
    clock.advance(30_000);
    await admin.getByLabel('Code from your authenticator app').fill(totpCode(ownerSeed, clock.clock()));
    await admin.getByRole('button', { name: 'Verify' }).click();
    await admin.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await admin.goto('/admin/two-factor');
    await admin.getByLabel('Required for everyone').check();
    await screenshot(admin, 'admin-two-step-policy');
    await admin.getByRole('button', { name: 'Save the policy' }).click();
    await waitForText(admin.getByRole('status'), 'Saved.');

    // Signing in lands on the enrolment, with the reason.
    await memberPage.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await memberPage.waitForURL((url) => url.pathname === '/login');
    await memberPage.getByLabel('Username or email').fill(member.username);
    await memberPage.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await memberPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await memberPage.getByRole('heading', { level: 1, name: 'Set up two-step sign-in' }).waitFor();
    expect(new URL(memberPage.url()).pathname).toBe('/account');
    await waitForText(
      memberPage.getByRole('status').first(),
      'This server requires two-step sign-in for your account.',
    );
    expect(await memberPage.getByRole('region', { name: 'Devices' }).count()).toBe(0);
    await screenshot(memberPage, 'account-enrolment-required');

    // Any other page the server refuses leads back here.
    await memberPage.getByRole('link', { name: 'Home', exact: true }).click();
    await memberPage.waitForURL((url) => url.pathname === '/account');
    await memberPage.getByRole('heading', { level: 1, name: 'Set up two-step sign-in' }).waitFor();

    const twoStep = memberPage.getByRole('region', { name: 'Two-step sign-in' });
    await twoStep.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const seed = base32Decode((await twoStep.getByLabel('Setup key').textContent())!.replace(/\s+/g, ''))!;
    await twoStep.getByLabel('Code from your authenticator app').fill(totpCode(seed, clock.clock()));
    await twoStep.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    // The whole page opens, and the new recovery codes stay on screen meanwhile.
    await memberPage.getByRole('heading', { level: 1, name: 'Account security' }).waitFor();
    await memberPage.getByRole('region', { name: 'Devices' }).waitFor();
    const firstCodes = await twoStep
      .getByRole('list', { name: 'Recovery codes' })
      .getByRole('listitem')
      .allTextContents();
    expect(firstCodes).toHaveLength(10);
    await twoStep.getByRole('button', { name: 'I saved them' }).click();

    // Long after the sign-in, new codes need the password again: the shared prompt asks, then the change runs.
    clock.advance(11 * 60_000);
    await twoStep.getByRole('button', { name: 'Get new recovery codes' }).click();
    await twoStep.getByRole('button', { name: 'Replace my codes' }).click();
    const dialog = memberPage.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await twoStep.getByRole('list', { name: 'Recovery codes' }).waitFor();
    const newCodes = await twoStep
      .getByRole('list', { name: 'Recovery codes' })
      .getByRole('listitem')
      .allTextContents();
    expect(newCodes).toHaveLength(10);
    expect(newCodes.some((code) => firstCodes.includes(code))).toBe(false);
    await twoStep.getByRole('button', { name: 'I saved them' }).click();

    // Removing the only factor takes effect at once, and the policy closes the rest of the page again.
    await twoStep.getByRole('button', { name: 'Remove the authenticator app' }).click();
    await waitForText(
      twoStep.getByRole('group', { name: 'Remove the authenticator app' }),
      'you will have to set up another method',
    );
    await twoStep.getByRole('button', { name: 'Remove the app' }).click();
    await memberPage.getByRole('heading', { level: 1, name: 'Set up two-step sign-in' }).waitFor();
    expect(await memberPage.getByRole('region', { name: 'Devices' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
