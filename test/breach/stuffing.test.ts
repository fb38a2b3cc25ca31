// Seeing it coming: many failed sign-ins over many accounts from one address, or far more failures than
// usual across the server, raise one alert per window: a security event, a mail to each admin, and an
// entry in GET /api/v1/admin/security-alerts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/crypto.ts';
import { checkCredentialStuffing, defaultThresholds } from '../../src/breach/stuffing.ts';
import { insertSecurityEvents } from '../../src/store/breach.repository.ts';
import { OWNER, setupOwner } from '../helpers/accounts.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

const PASSWORD = 'velvet thunder orchard mosaic';
const ATTACKER = '203.0.113.66';

describe.each(await storeKinds())('credential stuffing detection on %s', (store) => {
  const tc = testClock(new Date('2026-11-27T12:00:30Z'));
  let s: TestServer;
  let ownerToken: string;
  const names: string[] = [];

  beforeAll(async () => {
    s = await startTestServer({ store, clock: tc.clock, background: false });
    ownerToken = (await setupOwner(s)).token;
    await s.createUser({ username: 'admin1', email: 'admin1@example.org', password: PASSWORD, role: 'admin' });
    for (let i = 0; i < 12; i++) {
      const u = await s.createUser({ username: `target${i}`, password: PASSWORD });
      names.push(u.username);
    }
  });
  afterAll(async () => s?.close());

  const loginFrom = (address: string, login: string, password: string) =>
    s.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: address, payload: { login, password } });

  const alertMails = () =>
    s.deps.db
      .selectFrom('mail_messages')
      .select(['recipient', 'subject'])
      .where('template', '=', 'credential_stuffing_alert')
      .execute();

  it('an address failing on many accounts raises one alert per window, logged and mailed to the admins', async () => {
    // A handful of honest mistakes from elsewhere is no attack.
    for (const name of names.slice(0, 3)) await loginFrom('198.51.100.20', name, 'not the password at all');
    expect(await checkCredentialStuffing(s.deps, tc.clock())).toEqual([]);

    // 60 guesses over 12 accounts; past the address's free attempts they are refused unhashed, and counted.
    for (let i = 0; i < 60; i++) {
      const res = await loginFrom(ATTACKER, names[i % names.length]!, `leaked password ${i}`);
      expect([401, 429]).toContain(res.statusCode);
    }
    const raised = await checkCredentialStuffing(s.deps, tc.clock());
    expect(raised).toEqual([
      { address: ATTACKER, failures: 60, accounts: 12, addresses: 1, baseline: null, windowMinutes: 10 },
    ]);
    // Once per window: the next check (on this or another instance) stays quiet.
    expect(await checkCredentialStuffing(s.deps, tc.clock())).toEqual([]);

    const mails = await alertMails();
    expect(mails.map((m) => m.recipient).sort()).toEqual(['admin1@example.org', OWNER.email]);
    expect(mails[0]!.subject).toContain(`Many failed sign-ins from ${ATTACKER}`);
    const events = await s.deps.db
      .selectFrom('security_events')
      .select(['ip', 'detail'])
      .where('type', '=', 'credential_stuffing_suspected')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.ip).toBe(ATTACKER);
    expect(JSON.parse(events[0]!.detail!)).toMatchObject({ failures: 60, accounts: 12 });

    const list = await s.request('GET', '/api/v1/admin/security-alerts', { token: ownerToken });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      expect.objectContaining({
        kind: 'credential_stuffing',
        address: ATTACKER,
        failures: 60,
        accounts: 12,
        window_minutes: 10,
      }),
    ]);
    const member = await s.createUser({ username: 'plainmember', password: PASSWORD });
    const memberToken = await s.login(member.username, PASSWORD);
    expect((await s.request('GET', '/api/v1/admin/security-alerts', { token: memberToken })).status).toBe(403);
  });

  it('many failures on few accounts from one address is not stuffing (the throttle handles guessing)', async () => {
    tc.advance(defaultThresholds.windowMs + 60_000);
    for (let i = 0; i < 55; i++) await loginFrom('203.0.113.77', names[i % 2]!, `guess ${i}`);
    expect(await checkCredentialStuffing(s.deps, tc.clock())).toEqual([]);
  });

  it('failures far above the usual rate across many addresses raise a server-wide alert', async () => {
    tc.advance(defaultThresholds.windowMs + 60_000);
    const now = tc.clock().getTime();
    // A botnet: one failure per address, 250 addresses, 250 unknown logins, in the last five minutes.
    await insertSecurityEvents(
      s.deps.db,
      Array.from({ length: 250 }, (_, i) => ({
        id: newId(s.deps.random),
        user_id: null,
        type: 'sign_in_failed',
        ip: `10.1.${Math.floor(i / 200)}.${i % 200}`,
        device: null,
        detail: JSON.stringify({ login: `victim${i}@example.com` }),
        created_at: now - 5 * 60_000 + i,
      })),
    );
    const raised = await checkCredentialStuffing(s.deps, tc.clock());
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ address: null, failures: 250, accounts: 250, addresses: 250 });
    expect(raised[0]!.baseline).toBeLessThan(25);
    expect((await alertMails()).filter((m) => m.subject.includes('Unusually many failed sign-ins'))).toHaveLength(2);
  });

  it('the same number of failures is no alert where it is the usual rate', async () => {
    tc.advance(defaultThresholds.windowMs + 60_000);
    const now = tc.clock().getTime();
    // A busy server: about 250 failures every ten minutes, all day.
    const usual = Array.from({ length: 144 * 25 }, (_, i) => ({
      id: newId(s.deps.random),
      user_id: null,
      type: 'sign_in_failed',
      ip: `10.2.${i % 250}.1`,
      device: null,
      detail: JSON.stringify({ login: `busy${i}` }),
      created_at: now - 24 * 3600_000 + i * 24_000,
    }));
    await insertSecurityEvents(s.deps.db, usual);
    const recent = usual.filter((e) => e.created_at >= now - defaultThresholds.windowMs).length;
    expect(recent).toBeGreaterThan(0);
    const extra = Array.from({ length: 250 - recent }, (_, i) => ({
      ...usual[0]!,
      id: newId(s.deps.random),
      created_at: now - 1000 - i,
    }));
    await insertSecurityEvents(s.deps.db, extra);
    expect(await checkCredentialStuffing(s.deps, tc.clock())).toEqual([]);
  });
});
