// The breach response's jobs on SQLite and PostgreSQL: scopes, the dry run, resuming on another instance
// after the first stopped mid-way, one running response per scope, revocation events after commit, and
// the password key rotation reaching an instance that did not make it.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { breachResponseView, startBreachResponse, type StartInput } from '../../src/breach/breach-response.ts';
import { findBreachResponse } from '../../src/store/breach.repository.ts';
import type { RevocationEvent } from '../../src/events.ts';
import { storeSnapshot } from '../helpers/accounts.ts';
import { startTestServer, testClock, type TestServer, type TestServerOptions } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { until } from '../mail/smtp.ts';
import { seedUsers } from './seed.ts';

const PASSWORD = 'velvet thunder orchard mosaic';
const SECRET_KEY = 'ab'.repeat(32);
const actor = { userId: null, username: 'test' };
const ctx = { ip: null };

describe.each(await storeKinds())('breach response jobs on %s', (store) => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    // In the order made: an instance kept for another to reopen the store closes before that one drops it.
    for (const s of servers) await s.close();
    servers = [];
  });

  async function server(options: TestServerOptions = {}): Promise<TestServer> {
    const s = await startTestServer({
      store,
      jobs: { pollMs: 20, leaseMs: 400 },
      ...options,
      env: { HEARTH_SECRET_KEY: SECRET_KEY, ...options.env },
    });
    servers.push(s);
    return s;
  }

  async function start(s: TestServer, input: Partial<StartInput>) {
    const result = await startBreachResponse(
      s.deps,
      actor,
      { scope: { all: true }, reason: 'test', message: 'A notice.', ...input },
      ctx,
      s.deps.clock(),
    );
    if (result.dryRun) throw new Error('expected a real start');
    return result;
  }

  const viewOf = async (s: TestServer, id: string) =>
    breachResponseView(s.deps, (await findBreachResponse(s.deps.db, id))!);
  const count = async (s: TestServer, query: string) =>
    Number((await sql<{ n: number }>`${sql.raw(query)}`.execute(s.deps.db)).rows[0]!.n);

  it('a dry run changes nothing, and says exactly what the real run then does', async () => {
    const s = await server({ background: false });
    const hash = await s.deps.passwords.hash(PASSWORD);
    await seedUsers(s.deps.db, { users: 30, sessionsPerUser: 3, passwordHash: hash, now: s.deps.clock() });
    const before = await storeSnapshot(s);
    const plan = await startBreachResponse(
      s.deps,
      actor,
      { scope: { all: true }, reason: 'r', message: 'm', dryRun: true, rotatePasswordKey: true },
      ctx,
      s.deps.clock(),
    );
    expect(await storeSnapshot(s)).toBe(before);
    if (!plan.dryRun) throw new Error('expected a plan');
    expect(plan.plan).toMatchObject({
      users: 30,
      sessions: 60,
      app_passwords: 30,
      mails: 30,
      password_key_version: { from: 1, to: 2 },
    });

    const { response } = await start(s, {});
    await s.deps.jobs.runOne(s.deps, response.job_id!);
    await s.deps.jobs.runOne(s.deps, (await findBreachResponse(s.deps.db, response.id))!.notices_job_id!);
    const view = await viewOf(s, response.id);
    expect(view.state).toBe('done');
    expect(view.report).toMatchObject({
      users_flagged: 30,
      sessions_revoked: 60,
      app_passwords_revoked: 30,
      mails_queued: 30,
    });
  });

  it('flags only the users in scope: named ones, or those active in a window', async () => {
    const s = await server({ background: false });
    const hash = await s.deps.passwords.hash(PASSWORD);
    const ids = await seedUsers(s.deps.db, {
      users: 6,
      sessionsPerUser: 1,
      passwordHash: hash,
      now: new Date('2026-01-01T00:00:00Z'),
    });
    // Two users were active in March; the others only in January.
    await s.deps.db
      .updateTable('sessions')
      .set({ last_seen_at: Date.parse('2026-03-10T00:00:00Z') })
      .where('user_id', 'in', ids.slice(4))
      .execute();

    const named = await start(s, { scope: { users: ['user0000000', 'USER0000001@example.org', ids[2]!] } });
    await s.deps.jobs.runOne(s.deps, named.response.job_id!);
    const flagged = await s.deps.db.selectFrom('users').select('id').where('reset_required', '=', 1).execute();
    expect(flagged.map((r) => r.id).sort()).toEqual(ids.slice(0, 3).sort());

    const window = await start(s, {
      scope: { active_since: '2026-03-01T00:00:00Z', active_until: '2026-03-31T00:00:00Z' },
    });
    expect(window.response.users_total).toBe(2);
    await s.deps.jobs.runOne(s.deps, window.response.job_id!);
    const now = await s.deps.db.selectFrom('users').select('id').where('reset_required', '=', 1).execute();
    expect(now.map((r) => r.id).sort()).toEqual([...ids.slice(0, 3), ...ids.slice(4)].sort());
    expect(await count(s, 'select count(*) as n from sessions where revoked_at is null')).toBe(1);
  });

  it('resumes on another instance after the first stops mid-way: every user exactly once', async () => {
    const first = await server({ keep: true });
    const hash = await first.deps.passwords.hash(PASSWORD);
    await seedUsers(first.deps.db, { users: 400, sessionsPerUser: 2, passwordHash: hash, now: first.deps.clock() });
    const { response } = await start(first, { batchSize: 5 });
    await until(
      async () => {
        const n = await count(first, 'select count(*) as n from breach_response_users');
        return n > 0 && n < 400;
      },
      20_000,
      'a part of the users',
    );
    // Stopping aborts the job where it is; its lease lapses and another instance takes it over.
    await first.deps.jobs.stop();
    const done = await count(first, 'select count(*) as n from breach_response_users');
    expect(done).toBeLessThan(400);

    const second = await server({ dataDir: first.dataDir, schema: first.schema ?? undefined });
    await until(async () => (await viewOf(second, response.id)).state === 'done', 60_000, 'the response to finish');
    expect(await count(second, 'select count(*) as n from breach_response_users')).toBe(400);
    expect(
      await count(second, "select count(*) as n from security_events where type = 'breach_response_flagged'"),
    ).toBe(400);
    expect(
      await count(second, "select count(distinct user_id) as n from mail_messages where template = 'breach_notice'"),
    ).toBe(400);
    expect(await count(second, "select count(*) as n from mail_messages where template = 'breach_notice'")).toBe(400);
    expect(await count(second, 'select count(*) as n from sessions where revoked_at is null')).toBe(0);
    const view = await viewOf(second, response.id);
    expect(view.report).toMatchObject({
      users_flagged: 400,
      sessions_revoked: 800,
      app_passwords_revoked: 0,
      mails_queued: 400,
    });
  }, 120_000);

  it('one running response per scope: a second start returns the first; once done, a new one may start', async () => {
    const s = await server({ background: false });
    await s.createUser({ username: 'solo', password: PASSWORD });
    const [a, b] = await Promise.all([start(s, {}), start(s, {})]);
    expect(a.response.id).toBe(b.response.id);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    const other = await start(s, { scope: { users: ['solo'] } });
    expect(other.created).toBe(true);
    expect(other.response.id).not.toBe(a.response.id);

    await s.deps.jobs.runOne(s.deps, a.response.job_id!);
    await s.deps.jobs.runOne(s.deps, (await findBreachResponse(s.deps.db, a.response.id))!.notices_job_id!);
    const again = await start(s, {});
    expect(again.created).toBe(true);
    expect(await count(s, 'select count(*) as n from breach_responses')).toBe(3);
  });

  it('S23: publishes one revocation event per user, after the revocation is committed', async () => {
    const s = await server({ background: false });
    const hash = await s.deps.passwords.hash(PASSWORD);
    const ids = await seedUsers(s.deps.db, { users: 12, sessionsPerUser: 2, passwordHash: hash, now: s.deps.clock() });
    const seen: { event: RevocationEvent; stillLive: number }[] = [];
    s.deps.events.subscribe('revoked', (event) => {
      // What another instance would see when the event reaches it: the sessions are already revoked.
      void count(s, `select count(*) as n from sessions where revoked_at is null and user_id = '${event.userId}'`).then(
        (stillLive) => seen.push({ event, stillLive }),
      );
    });
    const { response } = await start(s, { batchSize: 5 });
    await s.deps.jobs.runOne(s.deps, response.job_id!);
    await until(() => seen.length === 12, 5000, 'twelve events');
    expect(seen.map((e) => e.event.userId).sort()).toEqual([...ids].sort());
    for (const { event, stillLive } of seen) {
      expect(event.reason).toBe('breach_response');
      expect(event.sessionIds).toHaveLength(2);
      expect(stillLive).toBe(0);
    }
  });

  it('rotating the password key reaches an instance that did not make it: old hashes stop verifying there too', async () => {
    const a = await server({ keep: true, background: false });
    const user = await a.createUser({ username: 'keeper', password: PASSWORD });
    const b = await server({ dataDir: a.dataDir, schema: a.schema ?? undefined, background: false });
    expect(
      (await b.request('POST', '/api/v1/auth/login', { body: { login: 'keeper', password: PASSWORD } })).status,
    ).toBe(200);

    const { response } = await start(a, { rotatePasswordKey: true });
    expect(response.password_key_version).toBe(2);
    // Flagged or not, the old hash no longer verifies anywhere: the answer is the wrong-password one.
    for (const s of [a, b]) {
      const res = await s.request('POST', '/api/v1/auth/login', { body: { login: 'keeper', password: PASSWORD } });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_credentials');
    }
    // A hash made on the other instance afterwards uses the new key, and verifies on both.
    const fresh = await b.deps.passwords.hash('amber falcon quietly drifts');
    expect(fresh.startsWith('k2$')).toBe(true);
    expect((await a.deps.passwords.verify(fresh, 'amber falcon quietly drifts')).ok).toBe(true);
    const old = (
      await a.deps.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow()
    ).password_hash!;
    expect(old.startsWith('k1$')).toBe(true);
    expect((await b.deps.passwords.verify(old, PASSWORD)).ok).toBe(false);
  });

  // The window is read batch by batch (docs/breach-response.md, "Known limit"): what must hold, however it is
  // read, is that a user in the window at the start stays in the response when they use the app again.
  it('an active-window response flags a user who was in the window at the start and uses the app before the walk reaches them', async () => {
    const clock = testClock();
    const s = await server({ background: false, clock: clock.clock });
    const day = 24 * 3600_000;
    const now = clock.clock().getTime();
    const active = await s.createUser({ username: 'active', password: PASSWORD });
    await s.createUser({ username: 'idle', password: PASSWORD });
    const token = await s.login('active', PASSWORD);
    await s.login('idle', PASSWORD);
    await s.deps.db
      .updateTable('sessions')
      .set({ created_at: now - 20 * day, auth_at: now - 20 * day, last_seen_at: now - 12 * day })
      .execute();
    await s.deps.db
      .updateTable('sessions')
      .set({ last_seen_at: now - 7 * day })
      .where('user_id', '=', active.id)
      .execute();

    const { response } = await start(s, {
      scope: {
        active_since: new Date(now - 10 * day).toISOString(),
        active_until: new Date(now - 5 * day).toISOString(),
      },
    });
    expect(response.users_total).toBe(1);
    expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(200);
    const seen = await s.deps.db
      .selectFrom('sessions')
      .select('last_seen_at')
      .where('user_id', '=', active.id)
      .executeTakeFirstOrThrow();
    expect(Number(seen.last_seen_at)).toBeGreaterThan(now - 5 * day);
    await s.deps.jobs.runOne(s.deps, response.job_id!);
    const flagged = await s.deps.db.selectFrom('users').select('username').where('reset_required', '=', 1).execute();
    expect(flagged.map((r) => r.username)).toEqual(['active']);
  });
  it('the scope is taken at the start: an active-since response does not flag a user who becomes active during the walk', async () => {
    const clock = testClock();
    const s = await server({ background: false, clock: clock.clock });
    const day = 24 * 3600_000;
    const now = clock.clock().getTime();
    await s.createUser({ username: 'active', password: PASSWORD });
    await s.createUser({ username: 'idle', password: PASSWORD });
    await s.login('active', PASSWORD);
    const idle = await s.login('idle', PASSWORD);
    await s.deps.db
      .updateTable('sessions')
      .set({ created_at: now - 20 * day, auth_at: now - 20 * day, last_seen_at: now - 12 * day })
      .execute();
    const activeId = (
      await s.deps.db.selectFrom('users').select('id').where('username', '=', 'active').executeTakeFirstOrThrow()
    ).id;
    await s.deps.db
      .updateTable('sessions')
      .set({ last_seen_at: now - 2 * day })
      .where('user_id', '=', activeId)
      .execute();

    // Open-ended: the window runs up to the start.
    const { response } = await start(s, { scope: { active_since: new Date(now - 10 * day).toISOString() } });
    expect(response.users_total).toBe(1);
    // The idle user comes back after the start and before the walk: their session is in the window now.
    clock.advance(60_000);
    expect((await s.request('GET', '/api/v1/me', { token: idle })).status).toBe(200);
    const idleId = (
      await s.deps.db.selectFrom('users').select('id').where('username', '=', 'idle').executeTakeFirstOrThrow()
    ).id;
    const seen = await s.deps.db
      .selectFrom('sessions')
      .select('last_seen_at')
      .where('user_id', '=', idleId)
      .executeTakeFirstOrThrow();
    expect(Number(seen.last_seen_at)).toBeGreaterThan(now - 10 * day);
    // And an account made after the start signs in: it was not active when the response was decided on.
    await s.createUser({ username: 'newcomer', password: PASSWORD });
    await s.login('newcomer', PASSWORD);
    await s.deps.jobs.runOne(s.deps, response.job_id!);
    const flagged = await s.deps.db.selectFrom('users').select('username').where('reset_required', '=', 1).execute();
    expect(flagged.map((r) => r.username)).toEqual(['active']);
    expect((await viewOf(s, response.id)).report.users_flagged).toBe(1);
    expect((await s.request('GET', '/api/v1/me', { token: idle })).status).toBe(200);
  });

  it('the scope is taken at the start: a response for all users does not flag an account made after it started', async () => {
    const clock = testClock();
    const s = await server({ background: false, clock: clock.clock });
    await s.createUser({ username: 'first', password: PASSWORD });
    await s.createUser({ username: 'second', password: PASSWORD });
    const { response } = await start(s, {});
    expect(response.users_total).toBe(2);
    // Made after the start, and so after the breach.
    clock.advance(1000);
    await s.createUser({ username: 'later', password: PASSWORD });
    await s.deps.jobs.runOne(s.deps, response.job_id!);
    const flagged = await s.deps.db
      .selectFrom('users')
      .select('username')
      .where('reset_required', '=', 1)
      .orderBy('username')
      .execute();
    expect(flagged.map((r) => r.username)).toEqual(['first', 'second']);
    const view = await viewOf(s, response.id);
    expect(view.report.users_in_scope).toBe(2);
    expect(view.report.users_flagged).toBe(2);
  });
});
