// The main flow in a real browser, with mail caught by a local SMTP server: the owner sets the server
// up and invites a member, who turns on two-step sign-in with codes computed here, signs in with a code on a
// second device and signs the first one out; then the owner runs a breach response from the admin page, the
// member's session ends, the notice arrives, and a reset with a code brings the member back in.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { openPage, screenshot, viewports, waitForText, startWebStack, type WebStack } from '../helpers/browser.ts';
import { SETUP_TOKEN, testClock, type TestServer } from '../helpers/server.ts';
import { urlsIn, type TestSmtp } from '../mail/smtp.ts';

const OWNER = { username: 'rosalind', email: 'rosalind@example.org', password: 'harbour lantern quietly hums' };
const MEMBER = { username: 'emeric', email: 'emeric@example.org', password: 'saffron kettle under moonlight' };
const NEW_PASSWORD = 'walnut ferry crosses at dawn';
const NOTICE =
  'A copy of our database was found on a public file share.\n\nPassword hashes were in it; media files were not.';

describe('web app: two-step sign-in, devices and a breach response', { timeout: 60_000 }, () => {
  let browser: Browser | null = null;
  let stack: WebStack | null = null;
  let smtp: TestSmtp;
  let server: TestServer;
  // The server's clock moves on by a TOTP step before each code, so every code is a fresh one.
  const clock = testClock(new Date());
  const problems: string[] = [];
  let owner: Page;
  let member: Page;
  let memberPhone: Page;
  let seed: Buffer;

  beforeAll(async () => {
    stack = await startWebStack({ smtp: true, clock: clock.clock, jobs: { pollMs: 20, leaseMs: 2000 } });
    if (stack === null) return;
    ({ browser, server } = stack);
    smtp = stack.smtp!;
  });

  afterAll(async () => {
    await stack?.close();
  });

  const nextCode = () => {
    clock.advance(30_000);
    return totpCode(seed, clock.clock());
  };

  async function linkInMail(to: string, subject: string, path: string): Promise<string> {
    const mail = await smtp.waitFor((m) => m.to.includes(to) && m.subject.startsWith(subject));
    const link = urlsIn(mail).find((url) => url.startsWith(`${server.origin}${path}`));
    if (link === undefined) throw new Error(`no ${path} link in:\n${mail.text}`);
    return link;
  }

  it('S40, S23, S25: setup, invite, the member enrols an authenticator app, signs in with a code on a phone, and signs the first browser out', async (ctx) => {
    if (browser === null) return ctx.skip();

    owner = await openPage(browser, server.url, viewports.desktop, problems);
    await owner.goto('/');
    await owner.waitForURL('**/setup');
    await owner.getByLabel('Setup token').fill(SETUP_TOKEN);
    await owner.getByLabel('Username').fill(OWNER.username);
    await owner.getByLabel('Email').fill(OWNER.email);
    await owner.getByLabel('Password', { exact: true }).fill(OWNER.password);
    await owner.getByRole('button', { name: 'Create the owner account' }).click();
    // Setup signs the new owner in: they just proved the setup token and chose the password.
    await waitForText(owner.getByRole('heading', { level: 1 }), `Welcome, ${OWNER.username}`);
    await owner.goto('/admin/users');
    await owner.getByLabel('Email (optional)').fill(MEMBER.email);
    await owner.getByRole('button', { name: 'Create invite link' }).click();
    const invite = await owner.getByLabel('Invite link').inputValue();

    member = await openPage(browser, server.url, viewports.desktop, problems);
    await member.goto(invite);
    await member.getByLabel('Username').fill(MEMBER.username);
    // The invitation names the address: filled in and fixed.
    await expect.poll(() => member.getByLabel('Email').inputValue()).toBe(MEMBER.email);
    await member.getByLabel('Password', { exact: true }).fill(MEMBER.password);
    await member.getByRole('button', { name: 'Create the account' }).click();
    await waitForText(member.getByRole('heading', { level: 1 }), `Welcome, ${MEMBER.username}`);

    await member.getByRole('link', { name: 'Account', exact: true }).click();
    const twoStep = member.getByRole('region', { name: 'Two-step sign-in' });
    await twoStep.getByRole('button', { name: 'Set up an authenticator app' }).click();
    // The QR code is the server's SVG shown as an image: never inserted into the page as markup.
    const qr = twoStep.getByRole('img', { name: 'QR code to scan with your authenticator app' });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/);
    expect(await qr.evaluate((image) => (image as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    const secret = (await twoStep.getByLabel('Setup key').textContent())!.replace(/\s+/g, '');
    seed = base32Decode(secret)!;
    expect(seed).toHaveLength(20);
    await screenshot(member, 'account-two-factor-setup');

    // A wrong code is refused and the setup stays open for the right one.
    await twoStep
      .getByLabel('Code from your authenticator app')
      .fill(totpCode(seed, new Date(clock.clock().getTime() + 600_000)));
    await twoStep.getByRole('button', { name: 'Turn on two-step sign-in' }).click();
    await waitForText(twoStep.getByRole('alert'), 'The code is not valid.');
    await twoStep.getByLabel('Code from your authenticator app').fill(totpCode(seed, clock.clock()));
    await twoStep.getByRole('button', { name: 'Turn on two-step sign-in' }).click();

    await twoStep.getByRole('list', { name: 'Recovery codes' }).waitFor();
    const codes = await twoStep.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents();
    expect(codes).toHaveLength(10);
    await screenshot(member, 'account-recovery-codes');
    const [download] = await Promise.all([
      member.waitForEvent('download'),
      twoStep.getByRole('button', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('hearth-recovery-codes.txt');
    const saved = readFileSync((await download.path())!, 'utf8');
    for (const code of codes) expect(saved).toContain(code);
    expect(saved).toContain(MEMBER.username);
    await twoStep.getByRole('button', { name: 'I saved them' }).click();
    await waitForText(twoStep.getByRole('status'), 'Two-step sign-in is on.');
    await waitForText(twoStep.getByRole('definition').first(), 'On');
    await waitForText(twoStep, '10 left');

    memberPhone = await openPage(browser, server.url, viewports.phone, problems);
    await memberPhone.goto('/login');
    await memberPhone.getByLabel('Username or email').fill(MEMBER.email);
    await memberPhone.getByLabel('Password', { exact: true }).fill(MEMBER.password);
    await memberPhone.getByRole('button', { name: 'Sign in', exact: true }).click();
    await memberPhone.getByRole('heading', { level: 1, name: 'Two-step sign-in' }).waitFor();
    await memberPhone.getByLabel('Code from your authenticator app').fill(nextCode());
    await memberPhone.getByRole('button', { name: 'Verify' }).click();
    await waitForText(memberPhone.getByRole('heading', { level: 1 }), `Welcome, ${MEMBER.username}`);

    await memberPhone.getByRole('link', { name: 'Account', exact: true }).click();
    const devices = memberPhone.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
    await expect.poll(() => devices.count()).toBe(2);
    await screenshot(memberPhone, 'account-security-phone-two-devices');
    await memberPhone.getByRole('button', { name: 'Sign out of all devices' }).click();
    await memberPhone.getByRole('button', { name: 'Sign out everywhere' }).click();
    await waitForText(memberPhone.getByRole('status').filter({ hasText: 'signed out' }), 'One device was signed out');
    await expect.poll(() => devices.count()).toBe(1);

    await member.getByRole('link', { name: 'Home', exact: true }).click();
    await member.waitForURL((url) => url.pathname === '/login');
    await member.getByText('This browser was signed out').waitFor();
    expect(problems).toEqual([]);
  });

  it('S14, S23, S31: the owner runs a breach response from the admin page; the member is signed out, gets the notice, and resets with a code', async (ctx) => {
    if (browser === null || memberPhone === undefined) return ctx.skip();

    await owner.goto('/admin/breach');
    await owner.getByRole('heading', { level: 1, name: 'Admin · Breach response' }).waitFor();
    await owner.getByLabel('Only these accounts').check();
    await owner.getByLabel('Usernames or email addresses').fill(MEMBER.username);
    await owner.getByLabel('Reason').fill('Database copy found on a file share');
    await owner.getByLabel('Notice to the people affected').fill(NOTICE);
    await owner.getByRole('button', { name: 'Preview (changes nothing)' }).click();
    const plan = owner.getByRole('group', { name: 'Preview of the breach response' });
    const facts = plan.getByRole('definition');
    await waitForText(plan, 'Including emeric');
    // One account; its phone is the one session left after "Sign out of all devices".
    const counts = await facts.allTextContents();
    expect([counts[0], counts[1], counts[5]]).toEqual(['1', '1', '1']);
    await screenshot(owner, 'admin-breach-preview');
    await owner.getByRole('button', { name: 'Start the breach response' }).click();

    const progress = owner.getByRole('region', { name: 'Breach response report' });
    await waitForText(progress.getByRole('status').filter({ hasText: 'Done' }), 'Done', 20_000);
    await waitForText(progress, 'Notices sent: 1 of 1', 20_000);
    await waitForText(progress, 'Accounts signed out and flagged: 1 of 1');
    await screenshot(owner, 'admin-breach-report');

    // The phone's session ended with the response: its next navigation finds it gone.
    await memberPhone.getByRole('link', { name: 'Home', exact: true }).click();
    await memberPhone.waitForURL((url) => url.pathname === '/login');
    await memberPhone.getByText('This browser was signed out').waitFor();

    const notice = await smtp.waitFor(
      (m) => m.to.includes(MEMBER.email) && m.subject.startsWith('Security notice: choose a new password'),
    );
    expect(notice.text).toContain('Password hashes were in it; media files were not.');

    // The old password opens nothing but the page that explains and starts the reset.
    await memberPhone.getByLabel('Username or email').fill(MEMBER.username);
    await memberPhone.getByLabel('Password', { exact: true }).fill(MEMBER.password);
    await memberPhone.getByRole('button', { name: 'Sign in', exact: true }).click();
    await memberPhone.waitForURL((url) => url.pathname === '/reset-required');
    await memberPhone.getByLabel('Email').fill(MEMBER.email);
    await memberPhone.getByRole('button', { name: 'Email me a reset link' }).click();
    await waitForText(memberPhone.getByRole('status'), 'a message with a reset link is on its way');

    await memberPhone.goto(await linkInMail(MEMBER.email, 'Reset your password', '/reset#token='));
    await memberPhone.getByLabel('New password').fill(NEW_PASSWORD);
    await memberPhone.getByRole('button', { name: 'Set the new password' }).click();
    await waitForText(memberPhone.getByRole('alert'), 'two-step sign-in');
    await memberPhone.getByLabel('Two-step code').fill(nextCode());
    await memberPhone.getByRole('button', { name: 'Set the new password' }).click();
    await memberPhone.waitForURL((url) => url.pathname === '/login');

    await memberPhone.getByLabel('Username or email').fill(MEMBER.username);
    await memberPhone.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await memberPhone.getByRole('button', { name: 'Sign in', exact: true }).click();
    await memberPhone.getByLabel('Code from your authenticator app').fill(nextCode());
    await memberPhone.getByRole('button', { name: 'Verify' }).click();
    await waitForText(memberPhone.getByRole('heading', { level: 1 }), `Welcome, ${MEMBER.username}`);

    // The report keeps counting after the end: the member has chosen a new password.
    await waitForText(progress, 'New passwords chosen: 1 of 1', 10_000);
    expect(problems).toEqual([]);
  });
});
