// The breach response end to end: users signed in on several devices, with an app password, a linked TV,
// an authenticator app and a passkey; the response started over the API; every old token refused (S23),
// every old password refused with nothing to show for it (S14); one notice each at a real SMTP server;
// everyone back in (by mail and code, or by passkey); the report's counts matching what was there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode } from '../../src/factors/base32.ts';
import { totpCode } from '../../src/factors/totp.ts';
import { breachResponseView } from '../../src/breach/breach-response.ts';
import { findBreachResponse } from '../../src/store/breach.repository.ts';
import { createCredential, getAssertion, type SoftCredential } from '../factors/soft-authenticator.ts';
import { OWNER, setupOwner } from '../helpers/accounts.ts';
import { startTestServer, testClock, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { approve, poll, requestCode } from '../linking/link-helpers.ts';
import { startSmtp, tokenFrom, until, urlsIn, type Received, type TestSmtp } from '../mail/smtp.ts';

const PUBLIC_URL = 'https://hearth.example.test';
const PASSWORD = 'velvet thunder orchard mosaic';
const STEP_MS = 30_000;
const MESSAGE = [
  "On 26 November we found a copy of this server's database on a machine that should not have had it.",
  'It holds usernames, email addresses and password hashes. Your media files were not in it.',
].join('\n\n');

interface Person {
  id: string;
  username: string;
  email: string;
  /** Every token the person holds before the response: sessions, devices, app passwords. */
  tokens: string[];
}

describe('breach response end to end', () => {
  const tc = testClock(new Date());
  let smtp: TestSmtp;
  let s: TestServer;
  let ownerToken: string;
  const people: Record<string, Person> = {};
  let carolSeed: Buffer;
  let carolRecovery: string[];
  let carolMfaToken: string;
  let alicePendingReset: string;
  let inviteToken: string;
  let daveKey: SoftCredential;
  let responseId: string;
  let plan: Record<string, any>;
  let notices: Received[];

  const isNotice = (m: Received) => m.subject.startsWith('Security notice: choose a new password');
  const idle = () =>
    until(
      async () =>
        (await s.deps.db.selectFrom('jobs').select('id').where('state', 'in', ['running']).execute()).length === 0,
      20_000,
      'idle jobs',
    );
  const login = (username: string, password: string, options: { browser?: boolean } = {}) =>
    s.request('POST', '/api/v1/auth/login', { body: { login: username, password }, ...options });

  async function person(username: string): Promise<Person> {
    const user = await s.createUser({ username, password: PASSWORD });
    const p = { id: user.id, username, email: user.email, tokens: [] as string[] };
    people[username] = p;
    return p;
  }

  async function deviceLogin(p: Person, name: string): Promise<string> {
    const token = await s.login(p.username, PASSWORD, { device: { name, platform: 'test', client: 'test' } });
    p.tokens.push(token);
    return token;
  }

  async function passkeySignIn(credential: SoftCredential): Promise<ApiResponse> {
    const options = await s.request('POST', '/api/v1/auth/passkey/options');
    return s.request('POST', '/api/v1/auth/passkey/verify', {
      body: { response: getAssertion(credential, options.body, PUBLIC_URL) },
    });
  }

  async function resetByMail(email: string, newPassword: string, code?: string): Promise<ApiResponse> {
    const before = smtp.received.length;
    const requested = await s.request('POST', '/api/v1/auth/password-reset/request', { body: { email } });
    expect(requested.status).toBe(202);
    const mail = await smtp.waitFor(
      (m) => m.to.includes(email) && m.subject.startsWith('Reset your password') && smtp.received.indexOf(m) >= before,
    );
    return s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: tokenFrom(mail, '/reset'), new_password: newPassword, ...(code ? { code } : {}) },
    });
  }

  beforeAll(async () => {
    smtp = await startSmtp();
    s = await startTestServer({
      clock: tc.clock,
      env: { HEARTH_SMTP_URL: smtp.url, HEARTH_PUBLIC_URL: PUBLIC_URL },
      jobs: { pollMs: 20, leaseMs: 5000 },
    });
    const owner = await setupOwner(s);
    ownerToken = owner.token;
    people.owner = { id: owner.id, username: OWNER.username, email: OWNER.email, tokens: [owner.token] };

    // alice: a browser and two devices, an anti-phishing phrase, and a reset link she has not used.
    const alice = await person('alice');
    const aliceWeb = await login('alice', PASSWORD, { browser: true });
    alice.tokens.push(aliceWeb.body.token);
    const aliceDevice = await deviceLogin(alice, 'Phone');
    await deviceLogin(alice, 'Laptop');
    expect(
      (await s.request('PATCH', '/api/v1/me', { token: aliceDevice, body: { anti_phishing_phrase: 'purple otters' } }))
        .status,
    ).toBe(200);
    await s.request('POST', '/api/v1/auth/password-reset/request', { body: { email: alice.email } });
    alicePendingReset = tokenFrom(
      await smtp.waitFor((m) => m.to.includes(alice.email) && m.subject.startsWith('Reset your password')),
      '/reset',
    );

    // bob: two devices, an app password and a linked TV.
    const bob = await person('bob');
    const bobToken = await deviceLogin(bob, 'Phone');
    await deviceLogin(bob, 'Tablet');
    const app = await s.request('POST', '/api/v1/me/app-passwords', {
      token: bobToken,
      body: { name: 'Music player', scopes: ['media:read'] },
    });
    expect(app.status, JSON.stringify(app.body)).toBe(201);
    bob.tokens.push(app.body.password);
    const code = await requestCode(s);
    expect((await approve(s, { id: bob.id, token: bobToken, address: '198.51.100.7' }, code.user_code)).status).toBe(
      200,
    );
    const tv = await poll(s, code.device_code);
    expect(tv.status, JSON.stringify(tv.body)).toBe(200);
    bob.tokens.push(tv.body.access_token ?? tv.body.token);

    // carol: an authenticator app, and a sign-in left at the second-factor step.
    const carol = await person('carol');
    const carolToken = await deviceLogin(carol, 'Phone');
    const setup = await s.request('POST', '/api/v1/me/2fa/totp/setup', { token: carolToken });
    carolSeed = base32Decode(setup.body.secret)!;
    const confirm = await s.request('POST', '/api/v1/me/2fa/totp/confirm', {
      token: carolToken,
      body: { code: totpCode(carolSeed, tc.clock()) },
    });
    expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
    carolRecovery = confirm.body.recovery_codes;
    const step = await login('carol', PASSWORD);
    expect(step.body.mfa_required).toBe(true);
    carolMfaToken = step.body.mfa_token;

    // dave: a passkey.
    const dave = await person('dave');
    const daveToken = await deviceLogin(dave, 'Laptop');
    const options = await s.request('POST', '/api/v1/me/passkeys/registration/options', { token: daveToken });
    const made = createCredential(options.body, PUBLIC_URL);
    daveKey = made.credential;
    expect(
      (
        await s.request('POST', '/api/v1/me/passkeys/registration/verify', {
          token: daveToken,
          body: { response: made.response },
        })
      ).status,
    ).toBe(200);

    const invite = await s.request('POST', '/api/v1/admin/invites', {
      token: ownerToken,
      body: { email: 'newcomer@example.org' },
    });
    expect(invite.status).toBe(201);
    inviteToken = invite.body.token;
    await idle();
  });

  afterAll(async () => {
    await s?.close();
    await smtp?.close();
  });

  it('the dry run over the API tells what would be done', async () => {
    const res = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: ownerToken,
      body: { scope: { all: true }, reason: 'database copy found', message: MESSAGE, dry_run: true },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    plan = res.body;
    expect(plan).toMatchObject({
      dry_run: true,
      users: 5,
      mails: 5,
      app_passwords: 1,
      invites: 1,
      password_key_version: null,
    });
    // alice: web + 2 devices; bob: 2 devices + the TV; carol: 1; dave: 1; the owner: 1.
    expect(plan.sessions).toBe(9);
    expect(plan.pending_sign_ins).toBe(1);
    expect(plan.reset_and_alert_links).toBeGreaterThanOrEqual(1);
    expect(plan.users_sample).toEqual(['alice', 'bob', 'carol', 'dave', 'owner']);
  });

  it('is for owners and admins, and refuses a notice that links elsewhere or a rotation for some users only', async () => {
    const member = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: people.alice!.tokens[1],
      body: { scope: { all: true }, reason: 'x', message: 'x', dry_run: true },
    });
    expect(member.status).toBe(403);
    const link = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: ownerToken,
      body: {
        scope: { all: true },
        reason: 'x',
        message: 'Details at https://status.example.com/incident',
        dry_run: true,
      },
    });
    expect(link.status).toBe(400);
    expect(link.body.error).toMatchObject({ code: 'invalid_body', details: { field: 'message' } });
    const narrow = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: ownerToken,
      body: { scope: { users: ['alice'] }, reason: 'x', message: 'x', rotate_password_key: true },
    });
    expect(narrow.status).toBe(400);
    const unknown = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: ownerToken,
      body: { scope: { users: ['alice', 'nobody-here'] }, reason: 'x', message: 'x', dry_run: true },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('nobody-here');
  });

  it('runs for everyone from the API: flags, signs out, voids, mails', async () => {
    const res = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: ownerToken,
      body: { scope: { all: true }, reason: 'database copy found', message: MESSAGE },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.created).toBe(true);
    expect(res.body.response).toMatchObject({
      scope: { all: true },
      reason: 'database copy found',
      created_by: { id: people.owner!.id, name: 'owner' },
    });
    responseId = res.body.response.id;
    await until(
      async () =>
        (await breachResponseView(s.deps, (await findBreachResponse(s.deps.db, responseId))!)).state === 'done',
      20_000,
      'the response',
    );
    notices = await until(
      () => {
        const found = smtp.received.filter(isNotice);
        return found.length >= 5 ? found : null;
      },
      20_000,
      'five notices',
    );
  });

  it('S23: every token held before the response is refused on the very next request', async () => {
    for (const p of Object.values(people)) {
      expect(p.tokens.length).toBeGreaterThan(0);
      for (const token of p.tokens) {
        const res = await s.request('GET', '/api/v1/me', { token });
        expect(res.status, `${p.username}: ${JSON.stringify(res.body)}`).toBe(401);
      }
    }
    const rows = await s.deps.db.selectFrom('sessions').select(['revoked_at', 'revoke_reason']).execute();
    expect(rows.every((r) => r.revoked_at !== null)).toBe(true);
  });

  it('S14: the old password yields 403 password_reset_required and nothing else: no session, no MFA step, no token', async () => {
    const eventsBefore = await s.deps.db
      .selectFrom('security_events')
      .select('id')
      .where('type', '=', 'sign_in')
      .execute();
    for (const p of Object.values(people)) {
      for (const browser of [false, true]) {
        const password = p.username === 'owner' ? OWNER.password : PASSWORD;
        const res = await login(p.username, password, { browser });
        expect(res.status, `${p.username}: ${JSON.stringify(res.body)}`).toBe(403);
        expect(res.body).toEqual({ error: { code: 'password_reset_required', message: expect.any(String) } });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    }
    // carol has two-step sign-in: still no mfa step; and the step she had reached before is void.
    const mfa = await s.request('POST', '/api/v1/auth/login/mfa', {
      body: { mfa_token: carolMfaToken, code: totpCode(carolSeed, tc.clock()) },
    });
    expect(mfa.status).toBe(400);
    expect(mfa.body.error.code).toBe('invalid_token');
    // alice's reset link from before the response is dead; so is the invite.
    const oldReset = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
      body: { token: alicePendingReset, new_password: 'amber falcon quietly drifts' },
    });
    expect(oldReset.body.error.code).toBe('invalid_token');
    const register = await s.request('POST', '/api/v1/auth/register', {
      body: {
        invite_token: inviteToken,
        username: 'newcomer',
        email: 'newcomer@example.org',
        password: 'amber falcon quietly drifts',
      },
    });
    expect(register.status).toBeGreaterThanOrEqual(400);
    expect(register.status).toBeLessThan(500);
    expect((await s.deps.db.selectFrom('sessions').select('id').where('revoked_at', 'is', null).execute()).length).toBe(
      0,
    );
    const eventsAfter = await s.deps.db
      .selectFrom('security_events')
      .select('id')
      .where('type', '=', 'sign_in')
      .execute();
    expect(eventsAfter.length).toBe(eventsBefore.length);
  });

  it("mails each user one notice: the operator's words, then the steps, with the phrase and no foreign link", async () => {
    for (const p of Object.values(people)) {
      const mine = notices.filter((m) => m.to.includes(p.email));
      expect(mine, p.username).toHaveLength(1);
      const text = mine[0]!.text;
      expect(text.indexOf('found a copy of this server')).toBeGreaterThan(-1);
      expect(text.indexOf('found a copy of this server')).toBeLessThan(text.indexOf('What to do now'));
      expect(text).toContain(`${PUBLIC_URL}/forgot`);
      expect(text).toMatch(/type the address of your server yourself/i);
      expect(text).toMatch(/two-step sign-in/);
      expect(text).toMatch(/passkey/);
      expect(text).toMatch(/devices/);
      for (const url of urlsIn(mine[0]!)) expect(url.startsWith(PUBLIC_URL)).toBe(true);
      expect(text).not.toMatch(/#token=/);
    }
    expect(notices.find((m) => m.to.includes(people.alice!.email))!.text).toContain('purple otters');
    expect(notices).toHaveLength(5);
  });

  it('everyone gets back in: by mail (with a code where enrolled) or by passkey, never with the old password', async () => {
    const fresh = 'amber falcon quietly drifts';
    expect((await resetByMail(people.alice!.email, PASSWORD)).body.error.code).toBe('password_unchanged');
    for (const name of ['owner', 'alice', 'bob']) {
      const res = await resetByMail(people[name]!.email, fresh);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      const token = await s.login(people[name]!.username, fresh);
      expect((await s.request('GET', '/api/v1/me', { token })).body.password_reset_required).toBe(false);
      if (name === 'owner') ownerToken = token;
    }

    // carol: the mail is not enough, her second factor is asked for.
    const noCode = await resetByMail(people.carol!.email, fresh);
    expect(noCode.body.error.code).toBe('mfa_required');
    const withCode = await resetByMail(people.carol!.email, fresh, carolRecovery[0]);
    expect(withCode.status, JSON.stringify(withCode.body)).toBe(200);
    await idle();
    tc.advance(STEP_MS);
    const step = await login('carol', fresh);
    expect(step.body.mfa_required).toBe(true);
    const signedIn = await s.request('POST', '/api/v1/auth/login/mfa', {
      body: { mfa_token: step.body.mfa_token, code: totpCode(carolSeed, tc.clock()) },
    });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);

    // dave: the passkey still opens the door, but only as far as choosing a new password.
    const passkey = await passkeySignIn(daveKey);
    expect(passkey.status, JSON.stringify(passkey.body)).toBe(200);
    expect(passkey.body).toEqual({ password_change_required: true, change_token: expect.any(String) });
    const changed = await s.request('POST', '/api/v1/auth/password-change-required', {
      body: { change_token: passkey.body.change_token, new_password: fresh },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect((await s.request('GET', '/api/v1/me', { token: changed.body.token })).status).toBe(200);
  });

  it('reports counts that match what was there, and who has come back', async () => {
    await idle();
    const view = await until(
      async () => {
        const res = await s.request('GET', `/api/v1/admin/breach-responses/${responseId}`, { token: ownerToken });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return res.body.report.mails_sent === 5 ? res.body : null;
      },
      20_000,
      'the notices to be sent',
    );
    expect(view.state).toBe('done');
    expect(view.report).toEqual({
      users_in_scope: 5,
      users_flagged: 5,
      sessions_revoked: plan.sessions,
      app_passwords_revoked: plan.app_passwords,
      tokens_voided: plan.reset_and_alert_links + plan.pending_sign_ins + plan.link_codes,
      invites_voided: plan.invites,
      mails_queued: 5,
      mails_pending: 0,
      mails_sent: 5,
      mails_failed: 0,
      users_reset_since: 5,
      users_with_two_factor: 1,
      users_with_passkey: 1,
      users_with_second_factor: 2,
    });
    const list = await s.request('GET', '/api/v1/admin/breach-responses', { token: ownerToken });
    expect(list.body.map((r: { id: string }) => r.id)).toEqual([responseId]);
    const events = await s.request('GET', '/api/v1/me/security-events', { token: ownerToken });
    expect(events.body.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['breach_response_started', 'breach_response_flagged']),
    );
  });

  it('needs a fresh proof to start', async () => {
    await idle();
    tc.advance(11 * 60_000);
    const stale = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: ownerToken,
      body: { scope: { all: true }, reason: 'x', message: 'x', dry_run: true },
    });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('reauthentication_required');
  });
});
