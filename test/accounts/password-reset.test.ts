// The password reset by mail, end to end against a real SMTP server: request, receive, follow the link,
// confirm (S10, S30, S31, S60, S61).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueMailToken } from '../../src/accounts/mail-tokens.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { startSmtp, tokenFrom, until, urlsIn, type Received, type TestSmtp } from '../mail/smtp.ts';

const PUBLIC_URL = 'https://hearth.example.test';
const NEW_PASSWORD = 'velvet thunder orchard mosaic';

describe('password reset by mail', () => {
  let smtp: TestSmtp;
  let s: TestServer;
  const clock = testClock(new Date());

  beforeAll(async () => {
    smtp = await startSmtp();
    s = await startTestServer({
      env: {
        HEARTH_SMTP_URL: smtp.url,
        HEARTH_PUBLIC_URL: PUBLIC_URL,
        HEARTH_MAIL_FROM: 'Hearth <hearth@hearth.example.test>',
      },
      clock: clock.clock,
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
  });
  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  // Before moving the clock: a job running across a jump would see its lease lapse.
  const idle = () =>
    until(
      async () =>
        (await s.deps.db.selectFrom('jobs').select('id').where('state', '=', 'running').execute()).length === 0,
    );

  const requestReset = (email: string, headers: Record<string, string> = {}) =>
    s.request('POST', '/api/v1/auth/password-reset/request', { body: { email }, headers });

  async function resetMailFor(email: string, after = 0): Promise<Received> {
    const res = await requestReset(email);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return smtp.waitFor(
      (m) => m.to.includes(email) && m.subject.startsWith('Reset your password') && smtp.received.indexOf(m) >= after,
    );
  }

  it('S30: the link from the mail sets a new password once, signs every device out and does not sign in', async () => {
    const user = await s.createUser({ username: 'rosa', email: 'rosa@example.org' });
    const token = await s.login('rosa', user.password);
    const mail = await resetMailFor('rosa@example.org');
    const resetToken = tokenFrom(mail, '/reset');
    // At least 128 random bits: 32 bytes in base64url after the prefix.
    expect(Buffer.from(resetToken.slice(3), 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(mail.text).toContain(`${PUBLIC_URL}/reset#token=`);

    const confirm = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: resetToken, new_password: NEW_PASSWORD },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    // The sign-in page can fill in the username; still no session from the link (no cookie below).
    expect(confirm.body).toEqual({ ok: true, username: 'rosa' });
    expect(confirm.headers['set-cookie']).toBeUndefined();
    expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(401);
    expect(
      (await s.request('POST', '/api/v1/auth/login', { body: { login: 'rosa', password: user.password } })).status,
    ).toBe(401);
    await s.login('rosa', NEW_PASSWORD);

    const again = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: resetToken, new_password: 'amber falcon quietly drifts' },
    });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('invalid_token');

    const notice = await smtp.waitFor(
      (m) => m.to.includes('rosa@example.org') && m.subject.startsWith('Your password was changed'),
    );
    expect(notice.text).toContain('reset');
    expect(notice.text).toContain(`${PUBLIC_URL}/not-me#token=`);
  });

  it('S30: an expired link, a link of another purpose and a made-up token are refused', async () => {
    await s.createUser({ username: 'teodor', email: 'teodor@example.org' });
    const mail = await resetMailFor('teodor@example.org');
    const resetToken = tokenFrom(mail, '/reset');
    await idle();
    clock.advance(31 * 60_000);
    const expired = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: resetToken, new_password: NEW_PASSWORD },
    });
    expect(expired.body.error?.code).toBe('invalid_token');

    const notMe = tokenFrom(
      await smtp.waitFor((m) => m.to.includes('rosa@example.org') && m.text.includes('/not-me#token=')),
      '/not-me',
    );
    for (const token of [notMe, resetToken.slice(0, -2) + 'AA', 'hr_' + 'A'.repeat(43)]) {
      const res = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
        body: { token, new_password: NEW_PASSWORD },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_token');
    }
  });

  it("S30: a token opens only its own user's account", async () => {
    const a = await s.createUser({ username: 'ada', email: 'ada@example.org' });
    const b = await s.createUser({ username: 'bruno', email: 'bruno@example.org' });
    const mail = await resetMailFor('ada@example.org');
    const res = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: tokenFrom(mail, '/reset'), new_password: NEW_PASSWORD },
    });
    expect(res.status).toBe(200);
    await s.login('ada', NEW_PASSWORD);
    await s.login('bruno', b.password);
    expect(
      (await s.request('POST', '/api/v1/auth/login', { body: { login: 'bruno', password: NEW_PASSWORD } })).status,
    ).toBe(401);
    expect(a.id).not.toBe(b.id);
  });

  it('S30: a new password is screened and must differ from the old one; a refused try keeps the link', async () => {
    const user = await s.createUser({ username: 'carmen', email: 'carmen@example.org' });
    const token = tokenFrom(await resetMailFor('carmen@example.org'), '/reset');
    const same = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, new_password: user.password },
    });
    expect(same.body.error?.code).toBe('password_unchanged');
    const weak = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, new_password: 'password123' },
    });
    expect(weak.body.error?.code).toBe('password_too_common');
    const ok = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token, new_password: NEW_PASSWORD },
    });
    expect(ok.status).toBe(200);
  });

  it('S30: completing a reset voids every other outstanding link of that user', async () => {
    await s.createUser({ username: 'dmitri', email: 'dmitri@example.org' });
    const first = tokenFrom(await resetMailFor('dmitri@example.org'), '/reset');
    const count = smtp.received.length;
    const second = tokenFrom(await resetMailFor('dmitri@example.org', count), '/reset');
    expect(second).not.toBe(first);
    expect(
      (
        await s.request('POST', '/api/v1/auth/password-reset/confirm', {
          body: { token: second, new_password: NEW_PASSWORD },
        })
      ).status,
    ).toBe(200);
    const old = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: first, new_password: 'amber falcon quietly drifts' },
    });
    expect(old.body.error?.code).toBe('invalid_token');
  });

  it('S30: changing the password while signed in kills every reset link mailed before', async () => {
    const user = await s.createUser({ username: 'ingrid', email: 'ingrid@example.org' });
    const stale = tokenFrom(await resetMailFor('ingrid@example.org'), '/reset');
    const token = await s.login('ingrid', user.password);
    const change = await s.request('POST', '/api/v1/me/password', {
      token,
      body: { current_password: user.password, new_password: NEW_PASSWORD, sign_out_others: true },
    });
    expect(change.status, JSON.stringify(change.body)).toBe(200);
    // Whoever holds that mail can no longer set the password.
    const late = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: stale, new_password: 'amber falcon quietly drifts' },
    });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe('invalid_token');
    await s.login('ingrid', NEW_PASSWORD);
  });

  it('S30: a reset link older than the current password is dead even where nothing voided it', async () => {
    const user = await s.createUser({ username: 'jonas', email: 'jonas@example.org' });
    const issuedAt = new Date(clock.clock().getTime() - 60_000);
    const link = await issueMailToken(
      s.deps,
      s.deps.db,
      { userId: user.id, purpose: 'password_reset', email: 'jonas@example.org' },
      issuedAt,
    );
    // A password change written without voiding links (a path added later that forgets to).
    await s.deps.db
      .updateTable('users')
      .set({ password_changed_at: clock.clock().getTime() - 1000 })
      .where('id', '=', user.id)
      .execute();
    const res = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: link, new_password: NEW_PASSWORD },
    });
    expect(res.body.error?.code).toBe('invalid_token');
    const fresh = await issueMailToken(
      s.deps,
      s.deps.db,
      { userId: user.id, purpose: 'password_reset', email: 'jonas@example.org' },
      clock.clock(),
    );
    expect(
      (
        await s.request('POST', '/api/v1/auth/password-reset/confirm', {
          body: { token: fresh, new_password: NEW_PASSWORD },
        })
      ).status,
    ).toBe(200);
  });

  it('S10: an unknown address gets the same status and body, and no mail', async () => {
    await s.createUser({ username: 'elena', email: 'elena@example.org' });
    const known = await requestReset('elena@example.org');
    const unknown = await requestReset('nobody-here@example.org');
    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual(known.body);
    await smtp.waitFor((m) => m.to.includes('elena@example.org'));
    await until(async () => {
      const jobs = await s.deps.db
        .selectFrom('jobs')
        .select('state')
        .where('type', '=', 'mail.password-reset')
        .execute();
      return jobs.every((j) => j.state === 'done');
    });
    expect(smtp.received.some((m) => m.to.includes('nobody-here@example.org'))).toBe(false);
  });

  it('S10: known and unknown addresses take about the same time to answer', async () => {
    const known: string[] = [];
    for (let i = 0; i < 5; i += 1)
      known.push((await s.createUser({ username: `timing${i}`, email: `timing${i}@example.org` })).email);
    const time = async (email: string) => {
      const start = process.hrtime.bigint();
      const res = await requestReset(email);
      expect(res.status).toBe(202);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    // Interleaved, each address asked once (the throttle allows a few per address), medians compared.
    const a: number[] = [];
    const b: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < known.length; i += 1) {
        a.push(await time(known[i]!));
        b.push(await time(`ghost${round}-${i}@example.org`));
      }
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(a) / median(b);
    expect(ratio).toBeGreaterThan(1 / 3);
    expect(ratio).toBeLessThan(3);
  });

  it('S10: requests for one address are rate-limited whether or not it has an account', async () => {
    await s.createUser({ username: 'fiona', email: 'fiona@example.org' });
    for (const email of ['fiona@example.org', 'nonexistent-fiona@example.org']) {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push((await requestReset(email)).status);
      expect(statuses.slice(0, 4)).toEqual([202, 202, 202, 202]);
      expect(statuses.slice(4)).toEqual([429, 429]);
    }
    await idle();
    clock.advance(2 * 3600_000);
  });

  it('S60: a forged Host header changes nothing: every link points at the public URL', async () => {
    await s.createUser({ username: 'gustav', email: 'gustav@example.org' });
    const res = await requestReset('gustav@example.org', { host: 'evil.example', 'x-forwarded-host': 'evil.example' });
    expect(res.status).toBe(202);
    const mail = await smtp.waitFor((m) => m.to.includes('gustav@example.org'));
    expect(mail.raw).not.toContain('evil.example');
    const urls = urlsIn(mail);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(new URL(url).origin).toBe(PUBLIC_URL);
  });

  it('S31: an account with two-step sign-in must also give a code; a wrong one is refused and keeps the link', async () => {
    const { base32Decode } = await import('../../src/factors/base32.ts');
    const { totpCode } = await import('../../src/factors/totp.ts');
    const user = await s.createUser({ username: 'ines', email: 'ines@example.org' });
    const token = await s.login('ines', user.password);
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    const seed = base32Decode(setup.body.secret)!;
    // Enrolled with the previous step's code, so the current step's code is still unused for the reset.
    const enrolled = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token,
      body: { code: totpCode(seed, new Date(clock.clock().getTime() - 30_000)) },
    });
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);

    const resetToken = tokenFrom(await resetMailFor('ines@example.org'), '/reset');
    const confirm = (code?: string) =>
      s.request('POST', '/api/v1/auth/password-reset/confirm', {
        body: { token: resetToken, new_password: NEW_PASSWORD, ...(code !== undefined ? { code } : {}) },
      });
    const missing = await confirm();
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('mfa_required');
    const wrong = await confirm('000000' === totpCode(seed, clock.clock()) ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('invalid_code');
    // The old password still works until the reset is done (it leads to the second step, not a session).
    expect(
      (await s.request('POST', '/api/v1/auth/login', { body: { login: 'ines', password: user.password } })).body
        .mfa_required,
    ).toBe(true);

    const ok = await confirm(totpCode(seed, clock.clock()));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(401);
    // The second factor is still there: the new password alone does not sign in.
    const login = await s.request('POST', '/api/v1/auth/login', { body: { login: 'ines', password: NEW_PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.mfa_required).toBe(true);
  });

  it('S61: the anti-phishing phrase heads the message; no remote image, no tracking, the never-asks line', async () => {
    const user = await s.createUser({ username: 'hanna', email: 'hanna@example.org' });
    const token = await s.login('hanna', user.password);
    expect(
      (await s.request('PATCH', '/api/v1/me', { token, body: { anti_phishing_phrase: 'purple otter sings' } })).status,
    ).toBe(200);
    const mail = await resetMailFor('hanna@example.org');
    expect(mail.text.split('\n')[0]).toContain('purple otter sings');
    expect(mail.html).toContain('purple otter sings');
    expect(mail.html.indexOf('purple otter sings')).toBeLessThan(mail.html.indexOf('Choose a new password'));
    expect(mail.text).toContain('never asks for your password');
    expect(mail.text).toContain(`type the address of your server yourself: ${PUBLIC_URL}`);
    expect(mail.html).not.toMatch(/<img|src=|url\(|@import|<link|<script/i);
    expect(mail.parsed.attachments).toHaveLength(0);
    for (const url of urlsIn(mail)) expect(new URL(url).origin).toBe(PUBLIC_URL);
    // Nothing that identifies the reader beyond the one token: the only query or fragment is #token=.
    for (const url of urlsIn(mail)) {
      const parsed = new URL(url);
      expect(parsed.search).toBe('');
      expect(parsed.hash === '' || /^#token=[A-Za-z0-9_%-]+$/.test(parsed.hash), url).toBe(true);
    }
    expect(mail.messageId).toMatch(/^<[A-Za-z0-9_-]+@hearth\.example\.test>$/);
  });
});
