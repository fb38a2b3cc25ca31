// A breach response of 10,000 users, killed (SIGKILL) in the middle of flagging and again in the middle of
// queueing the notices, then started again: it resumes the same response and ends with every user flagged
// exactly once and exactly one notice (one mail job) each.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { seedUsers } from './seed.ts';

const USERS = 10_000;
const ROOT = resolve(import.meta.dirname, '../..');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

describe('breach response across crashes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-breach-crash-'));
  const env = {
    HEARTH_DATA_DIR: dataDir,
    HEARTH_SECRET_KEY: randomBytes(32).toString('hex'),
    HEARTH_LOG_LEVEL: 'silent',
  };
  let s: TestServer;

  beforeAll(async () => {
    // The store, migrated, without a job runner: only the CLI processes below run the response.
    s = await startTestServer({ dataDir, keep: true, background: false, env });
    const hash = await s.deps.passwords.hash('velvet thunder orchard mosaic');
    await seedUsers(s.deps.db, { users: USERS, sessionsPerUser: 1, passwordHash: hash, now: new Date() });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function cli(args: string[]): Run {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hearth.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    return { child, stdout: () => out, stderr: () => err, exited };
  }

  const count = async (query: string) =>
    Number((await sql<{ n: number }>`${sql.raw(query)}`.execute(s.deps.db)).rows[0]!.n);
  const flagged = () => count('select count(*) as n from breach_response_users');
  const noticed = () => count('select count(*) as n from breach_response_users where mail_id is not null');

  /** Kills the run once `measure` is strictly between 0 and USERS; returns where it stood. */
  async function killMidway(run: Run, measure: () => Promise<number>): Promise<number> {
    for (;;) {
      const n = await measure();
      if (n > 0 && n < USERS) {
        run.child.kill('SIGKILL');
        await run.exited;
        return measure();
      }
      if (n >= USERS) throw new Error('the run finished before it could be killed');
      if (run.child.exitCode !== null) throw new Error(`the run ended early: ${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('resumes after SIGKILL with every user flagged exactly once and exactly one mail each', async () => {
    const start = ['breach-response', 'start', '--all', '--reason', 'x', '--batch-size', '50'];
    const first = cli(start);
    const atFirstKill = await killMidway(first, flagged);
    expect(atFirstKill).toBeGreaterThan(0);
    expect(atFirstKill).toBeLessThan(USERS);
    // Flags and records commit together: what the record says is exactly what was done.
    expect(await count('select count(*) as n from users where reset_required = 1')).toBe(atFirstKill);

    const second = cli(start);
    const atSecondKill = await killMidway(second, noticed);
    expect(second.stdout()).toContain('resuming it');
    expect(await flagged()).toBe(USERS);
    expect(await count("select count(*) as n from mail_messages where template = 'breach_notice'")).toBe(atSecondKill);

    const third = cli(start);
    expect(await third.exited, third.stderr()).toBe(0);
    expect(third.stdout()).toContain('resuming it');
    expect(third.stdout()).toMatch(/Users flagged:\s+10000 of 10000/);

    expect(await count('select count(*) as n from breach_responses')).toBe(1);
    expect(await count("select count(*) as n from jobs where type = 'breach.response'")).toBe(1);
    expect(await count("select count(*) as n from jobs where type = 'breach.notices'")).toBe(1);
    expect(await count('select count(*) as n from users where reset_required = 1')).toBe(USERS);
    expect(await count('select count(*) as n from sessions where revoked_at is null')).toBe(0);
    // Exactly once per user: one record, one line in the security log, one notice, one mail job.
    expect(await flagged()).toBe(USERS);
    expect(await count("select count(*) as n from security_events where type = 'breach_response_flagged'")).toBe(USERS);
    expect(
      await count("select count(distinct user_id) as n from security_events where type = 'breach_response_flagged'"),
    ).toBe(USERS);
    expect(await count("select count(*) as n from mail_messages where template = 'breach_notice'")).toBe(USERS);
    expect(await count("select count(distinct user_id) as n from mail_messages where template = 'breach_notice'")).toBe(
      USERS,
    );
    expect(await count("select count(*) as n from jobs where type = 'mail.send'")).toBe(USERS);
    expect(await noticed()).toBe(USERS);

    const status = cli(['breach-response', 'status', '--json']);
    expect(await status.exited, status.stderr()).toBe(0);
    const view = JSON.parse(status.stdout());
    expect(view.state).toBe('done');
    expect(view.report).toMatchObject({
      users_in_scope: USERS,
      users_flagged: USERS,
      sessions_revoked: USERS,
      mails_queued: USERS,
      mails_pending: USERS,
    });
  }, 400_000);
});
