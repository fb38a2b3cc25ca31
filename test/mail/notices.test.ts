// Notices (S34), sign-in alerts and "this wasn't me" (S62), verification at registration and on a change
// of address, invitations; and the rules every one of those mails follows (S60, S61). Against a real
// SMTP server; every flow is finished by following the link in the mail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { startSmtp, tokenFrom, until, urlsIn, type Received, type TestSmtp } from './smtp.ts';

const PUBLIC_URL = 'https://hearth.example.test';
const PHRASE = 'amber lantern seven';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';
const NEW_PASSWORD = 'velvet thunder orchard mosaic';

describe('notices, alerts and verification by mail', () => {
  let smtp: TestSmtp;
  let s: TestServer;
  const clock = testClock(new Date());
  let ownerToken: string;
  const accountAddresses = new Set<string>();

  beforeAll(async () => {
    smtp = await startSmtp();
    s = await startTestServer({
      // Behind a proxy, so a test can sign in "from" another address with X-Forwarded-For.
      env: { HEARTH_SMTP_URL: smtp.url, HEARTH_PUBLIC_URL: PUBLIC_URL, HEARTH_TRUST_PROXY: 'true' },
      clock: clock.clock,
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    const owner = await s.createUser({ username: 'boss', role: 'owner' });
    ownerToken = await s.login('boss', owner.password);
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  const idle = async () => {
    await until(async () => {
      const busy = await s.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['running', 'queued'])
        .execute();
      return busy.length === 0;
    });
  };
  const mailsTo = (address: string, subject?: string) =>
    smtp.received.filter((m) => m.to.includes(address) && (subject === undefined || m.subject.startsWith(subject)));
  const mailTo = (address: string, subject: string) =>
    smtp.waitFor((m) => m.to.includes(address) && m.subject.startsWith(subject));

  /** A member who has set the anti-phishing phrase, signed in once (its first device). */
  async function member(username: string) {
    const user = await s.createUser({ username });
    accountAddresses.add(user.email);
    const login = await s.request('POST', '/api/v1/auth/login', {
      body: { login: username, password: user.password },
      headers: { 'user-agent': FIREFOX },
    });
    expect(login.status).toBe(200);
    const token = login.body.token as string;
    expect((await s.request('PATCH', '/api/v1/me', { token, body: { anti_phishing_phrase: PHRASE } })).status).toBe(
      200,
    );
    return { ...user, token, marker: login.body.device_marker as string };
  }

  it('S62: a sign-in from a new device mails an alert with device, address and time; a known device does not', async () => {
    const ivan = await member('ivan');
    await idle();
    expect(mailsTo(ivan.email)).toHaveLength(0);
    // Known devices are told apart by their first-seen time: let the clock move past it.
    clock.advance(60_000);

    const known = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'ivan', password: ivan.password },
      headers: { 'user-agent': FIREFOX, 'x-hearth-device': ivan.marker },
    });
    expect(known.status).toBe(200);
    await idle();
    expect(mailsTo(ivan.email)).toHaveLength(0);

    const stranger = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'ivan', password: ivan.password, device: { name: 'Living-room TV' } },
      headers: { 'user-agent': 'curl/8.5.0' },
    });
    expect(stranger.status).toBe(200);
    const alert = await mailTo(ivan.email, 'New sign-in to your account');
    expect(alert.text).toContain('Living-room TV');
    expect(alert.text).toContain('127.0.0.1');
    expect(alert.text).toMatch(/When:\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(alert.text).toContain(`${PUBLIC_URL}/not-me#token=`);
  });

  it('S62: a device name chosen by whoever signs in cannot add lines of its own to the alert', async () => {
    const mia = await member('mia');
    await idle();
    clock.advance(60_000);
    // The intruder has the password and signs in from a new device whose declared name holds paragraphs.
    const injected = 'Firefox\n\nThis sign-in was our routine security check. Do not use the link below.\n\nX';
    const crafted = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'mia', password: mia.password, device: { name: injected } },
      headers: { 'user-agent': 'curl/8.5.0' },
    });
    const tablet = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'mia', password: mia.password, device: { name: 'Kitchen tablet' } },
      headers: { 'user-agent': 'curl/8.5.0' },
    });
    expect(tablet.status).toBe(200);
    await mailTo(mia.email, 'New sign-in to your account');
    await idle();
    for (const alert of mailsTo(mia.email, 'New sign-in')) {
      const lines = alert.text.split(/\r?\n/);
      expect(lines.filter((l) => l.startsWith('This sign-in was our routine security check'))).toEqual([]);
    }
    expect(crafted.status).toBe(400);
    expect(crafted.body.error.code).toBe('invalid_body');
  });

  it("S62: a device name, a passkey name, a display name, a TV's name or an anti-phishing phrase with a control character, a line separator or a bidirectional override is refused (400)", async () => {
    const noah = await member('noah');
    // The last two would draw the name in another order than it was typed.
    for (const bad of [
      'Firefox\nX',
      'Firefox\rX',
      'Fire\tfox',
      'Firefox\u2028X',
      'Firefox\u0085X',
      'Firefox\u0000',
      'Firefox\u202eX',
      '\u2067xoferiF\u2069',
    ]) {
      const login = await s.request('POST', '/api/v1/auth/login', {
        body: { login: 'noah', password: noah.password, device: { name: bad } },
      });
      expect(login.status, JSON.stringify(bad)).toBe(400);
      const phrase = await s.request('PATCH', '/api/v1/me', { token: noah.token, body: { anti_phishing_phrase: bad } });
      expect(phrase.status, JSON.stringify(bad)).toBe(400);
      const shown = await s.request('PATCH', '/api/v1/me', { token: noah.token, body: { display_name: bad } });
      expect(shown.status, JSON.stringify(bad)).toBe(400);
      const tv = await s.request('POST', '/api/v1/link/codes', {
        body: { client: 'Hearth TV', platform: 'Tizen', device_name: bad },
      });
      expect(tv.status, JSON.stringify(bad)).toBe(400);
      const passkey = await s.request('PATCH', '/api/v1/me/passkeys/pk_nope', {
        token: noah.token,
        body: { name: bad },
      });
      expect(passkey.status, JSON.stringify(bad)).toBe(400);
    }
    // Names in any script, with emoji, still pass.
    const fine = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'noah', password: noah.password, device: { name: 'Téléviseur 客厅 📺 👨‍👩‍👧' } },
    });
    expect(fine.status).toBe(200);
    expect(
      (await s.request('PATCH', '/api/v1/me', { token: noah.token, body: { display_name: 'Noah ben-Dov · נח' } }))
        .status,
    ).toBe(200);
    expect(
      (
        await s.request('PATCH', '/api/v1/me', {
          token: noah.token,
          body: { anti_phishing_phrase: 'ámbar farol siete' },
        })
      ).status,
    ).toBe(200);
    expect(
      (await s.request('PATCH', '/api/v1/me/passkeys/pk_nope', { token: noah.token, body: { name: 'Clé USB' } }))
        .status,
    ).toBe(404);
  });

  it('S62: "This wasn\'t me" signs every device out, requires a reset and mails the reset link; it works once', async () => {
    const ivan = { email: 'ivan@example.org', password: 'correct horse battery staple' };
    const alert = mailsTo(ivan.email, 'New sign-in')[0]!;
    const token = tokenFrom(alert, '/not-me');
    const session = await s.login('ivan', ivan.password, { headers: { 'user-agent': FIREFOX } });

    const res = await s.request('POST', '/api/v1/auth/not-me', { body: { token } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: session })).status).toBe(401);
    const blocked = await s.request('POST', '/api/v1/auth/login', { body: { login: 'ivan', password: ivan.password } });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('password_reset_required');
    expect((await s.request('POST', '/api/v1/auth/not-me', { body: { token } })).body.error?.code).toBe(
      'invalid_token',
    );

    const reset = await mailTo(ivan.email, 'Your account is locked');
    const confirm = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: tokenFrom(reset, '/reset'), new_password: NEW_PASSWORD },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    await s.login('ivan', NEW_PASSWORD);
    const events = await s.request('GET', '/api/v1/admin/security-events?type=not_me_reported', { token: ownerToken });
    expect(events.body.some((e: { username: string }) => e.username === 'ivan')).toBe(true);
  });

  it('S62: a known device signing in from an address never seen on the account mails an alert too', async () => {
    const pia = await member('pia');
    const again = (ip: string) =>
      s.request('POST', '/api/v1/auth/login', {
        body: { login: 'pia', password: pia.password },
        headers: { 'user-agent': FIREFOX, 'x-hearth-device': pia.marker, 'x-forwarded-for': ip },
      });
    // Known devices are told apart by their first-seen time: let the clock move past it.
    await idle();
    clock.advance(60_000);
    expect((await again('198.51.100.20')).status).toBe(200);
    const alert = await mailTo(pia.email, 'Sign-in from a new address');
    expect(alert.text).toContain('198.51.100.20');
    expect(alert.text).toContain('Firefox on Linux');
    expect((await again('198.51.100.20')).status).toBe(200);
    await idle();
    expect(mailsTo(pia.email, 'Sign-in from a new address')).toHaveLength(1);
  });

  it("S62: after an intruder signed in and changed the address, the alert's link brings the address back", async () => {
    const otto = await member('otto');
    const intruder = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'otto', password: otto.password },
      headers: { 'user-agent': 'curl/8.5.0' },
    });
    const alert = await mailTo(otto.email, 'New sign-in to your account');
    const moved = await s.request('PATCH', '/api/v1/me', {
      token: intruder.body.token,
      body: { email: 'intruder@example.net' },
    });
    expect(moved.status).toBe(200);

    expect(
      (await s.request('POST', '/api/v1/auth/not-me', { body: { token: tokenFrom(alert, '/not-me') } })).status,
    ).toBe(200);
    const users = await s.request('GET', '/api/v1/admin/users', { token: ownerToken });
    expect(users.body.find((u: { username: string }) => u.username === 'otto').email).toBe(otto.email);
    await mailTo(otto.email, 'Your account is locked');
    await idle();
    expect(mailsTo('intruder@example.net', 'Your account is locked')).toHaveLength(0);
    expect((await s.request('GET', '/api/v1/me', { token: intruder.body.token })).status).toBe(401);
  });

  it('S34: a password change mails a notice saying when, from which device and address, and what to do', async () => {
    const jana = await member('jana');
    const res = await s.request('POST', '/api/v1/me/password', {
      token: jana.token,
      headers: { 'user-agent': FIREFOX },
      body: { current_password: jana.password, new_password: NEW_PASSWORD },
    });
    expect(res.status).toBe(200);
    const notice = await mailTo(jana.email, 'Your password was changed');
    expect(notice.text).toContain('Firefox on Linux');
    expect(notice.text).toContain('127.0.0.1');
    expect(notice.text).toMatch(/When:\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(notice.text).toContain('If this was not you');
    expect(notice.text).toContain(`${PUBLIC_URL}/not-me#token=`);
  });

  it('S34: an address change needs a fresh sign-in, verifies the new address and tells the old one, whose link gives it back', async () => {
    const karl = await member('karl');
    await idle();
    clock.advance(11 * 60_000);
    const stale = await s.request('PATCH', '/api/v1/me', {
      token: karl.token,
      body: { email: 'karl.new@example.org' },
    });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('reauthentication_required');
    const reauth = await s.request('POST', '/api/v1/auth/reauth', {
      token: karl.token,
      body: { password: karl.password },
    });
    expect(reauth.status).toBe(200);
    karl.token = reauth.body.token;

    const changed = await s.request('PATCH', '/api/v1/me', {
      token: karl.token,
      body: { email: 'karl.new@example.org' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.email_verified).toBe(false);
    accountAddresses.add('karl.new@example.org');

    const verification = await mailTo('karl.new@example.org', 'Confirm your email address');
    const verifyToken = tokenFrom(verification, '/verify-email');
    expect((await s.request('POST', '/api/v1/auth/verify-email', { body: { token: verifyToken } })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: karl.token })).body.email_verified).toBe(true);
    expect(
      (await s.request('POST', '/api/v1/auth/verify-email', { body: { token: verifyToken } })).body.error?.code,
    ).toBe('invalid_token');

    const notice = await mailTo(karl.email, 'The email address of your account was changed');
    expect(notice.text).toContain('karl.new@example.org');
    const notMe = await s.request('POST', '/api/v1/auth/not-me', { body: { token: tokenFrom(notice, '/not-me') } });
    expect(notMe.status).toBe(200);
    const users = await s.request('GET', '/api/v1/admin/users', { token: ownerToken });
    const row = users.body.find((u: { username: string }) => u.username === 'karl');
    expect(row.email).toBe(karl.email);
    expect(row.password_reset_required).toBe(true);
    await mailTo(karl.email, 'Your account is locked');
    expect(mailsTo('karl.new@example.org', 'Your account is locked')).toHaveLength(0);
  });

  it('S62: "this wasn\'t me" still locks the account when the old address was taken by someone else meanwhile', async () => {
    const olga = await member('olga');
    const reauth = await s.request('POST', '/api/v1/auth/reauth', {
      token: olga.token,
      body: { password: olga.password },
    });
    olga.token = reauth.body.token;
    const changed = await s.request('PATCH', '/api/v1/me', {
      token: olga.token,
      body: { email: 'intruder@example.org' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const notice = await mailTo(olga.email, 'The email address of your account was changed');
    // Meanwhile another account takes the freed address.
    await s.createUser({ username: 'olgas-neighbour', email: olga.email });

    const notMe = await s.request('POST', '/api/v1/auth/not-me', { body: { token: tokenFrom(notice, '/not-me') } });
    expect(notMe.status, JSON.stringify(notMe.body)).toBe(200);
    expect(notMe.body.message).toContain('admin');
    expect((await s.request('GET', '/api/v1/me', { token: olga.token })).status).toBe(401);
    const users = await s.request('GET', '/api/v1/admin/users', { token: ownerToken });
    const row = users.body.find((u: { username: string }) => u.username === 'olga');
    expect(row.password_reset_required).toBe(true);
    expect(row.email).toBe('intruder@example.org');
    // The intruder's password opens nothing, and no reset link went to the intruder's address.
    const login = await s.request('POST', '/api/v1/auth/login', { body: { login: 'olga', password: olga.password } });
    expect(login.body.error?.code).toBe('password_reset_required');
    await idle();
    expect(mailsTo('intruder@example.org', 'Your account is locked')).toHaveLength(0);
    expect(mailsTo('intruder@example.org', 'Reset your password')).toHaveLength(0);
    const neighbour = users.body.find((u: { username: string }) => u.username === 'olgas-neighbour');
    expect(neighbour.password_reset_required).toBe(false);
  });

  it('S34: sessions ended by an admin: the user is told who did it and what to do', async () => {
    const lena = await member('lena');
    const res = await s.request('POST', `/api/v1/admin/users/${lena.id}/revoke-sessions`, { token: ownerToken });
    expect(res.status).toBe(200);
    const notice = await mailTo(lena.email, 'You were signed out of every device');
    expect(notice.text).toContain('boss');
    expect(notice.text).toContain('Sign in again');
  });

  it('S34: turning on an authenticator app mails a notice', async () => {
    const mara = await member('mara');
    const { base32Decode } = await import('../../src/factors/base32.ts');
    const { totpCode } = await import('../../src/factors/totp.ts');
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token: mara.token });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const code = totpCode(base32Decode(setup.body.secret)!, clock.clock());
    const confirm = await s.request('POST', '/api/v1/me/2fa/totp/confirm', { token: mara.token, body: { code } });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    const notice = await mailTo(mara.email, 'Your two-step sign-in was changed');
    expect(notice.text).toContain('An authenticator app was set up');
    expect(notice.text).toContain(`${PUBLIC_URL}/not-me#token=`);
  });

  it('registration: an invite by mail, a verification for a new address, a notice (and the same answer) for a taken one', async () => {
    const invite = await s.request('POST', '/api/v1/admin/invites', {
      token: ownerToken,
      body: { email: 'nora@example.org' },
    });
    expect(invite.status).toBe(201);
    const invitation = await mailTo('nora@example.org', 'You are invited to Hearth');
    const inviteToken = /#invite=([^\s]+)/.exec(invitation.text)![1]!;
    expect(invitation.text).toContain(`${PUBLIC_URL}/register#invite=`);
    const fresh = await s.request('POST', '/api/v1/auth/register', {
      body: {
        invite_token: decodeURIComponent(inviteToken),
        username: 'nora',
        email: 'nora@example.org',
        password: NEW_PASSWORD,
      },
    });
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(202);
    const verification = await mailTo('nora@example.org', 'Confirm your email address');
    expect(
      (
        await s.request('POST', '/api/v1/auth/verify-email', {
          body: { token: tokenFrom(verification, '/verify-email') },
        })
      ).status,
    ).toBe(200);

    const open = await s.request('POST', '/api/v1/admin/invites', { token: ownerToken, body: {} });
    const taken = await s.request('POST', '/api/v1/auth/register', {
      body: {
        invite_token: open.body.token,
        username: 'copycat',
        email: 'jana@example.org',
        password: 'amber falcon quietly drifts',
      },
    });
    expect(taken.status).toBe(fresh.status);
    expect(taken.body).toEqual(fresh.body);
    const warning = await mailTo('jana@example.org', 'Someone tried to register with your address');
    expect(warning.text).toContain('no new account was made');
  });

  it('S61, S60: every message to an account opens with its anti-phishing phrase, links only to the public URL, has no image', async () => {
    await idle();
    const toAccounts = smtp.received.filter((m) => m.to.some((to) => accountAddresses.has(to)));
    const kinds = new Set(toAccounts.map((m) => m.subject.replace(/ \[.*$/, '')));
    expect(kinds.size).toBeGreaterThanOrEqual(8);
    for (const mail of toAccounts) checkMail(mail, PHRASE);
    for (const mail of smtp.received) checkMail(mail, null);
  });

  function checkMail(mail: Received, phrase: string | null) {
    const where = `${mail.subject} to ${mail.to.join(',')}`;
    if (phrase) {
      expect(mail.text.split('\n')[0], where).toBe(`Your anti-phishing phrase: ${phrase}`);
      expect(mail.html, where).toContain(`<strong>Your anti-phishing phrase:</strong> ${phrase}`);
    }
    expect(mail.text, where).toContain('Hearth never asks for your password by email');
    expect(mail.text, where).toContain(`type the address of your server yourself: ${PUBLIC_URL}`);
    expect(mail.html, where).not.toMatch(/<img|\bsrc\s*=|url\(|<link|<script|<iframe/i);
    expect(mail.parsed.attachments, where).toHaveLength(0);
    for (const url of urlsIn(mail)) expect(new URL(url).origin, `${where}: ${url}`).toBe(PUBLIC_URL);
  }
});
