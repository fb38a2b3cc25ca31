// The real jobs across two instances: a breach response whose instance dies halfway is finished by the
// other (every user flagged once, one notice each), and the mail queue sends each message once however
// many instances take from it.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BREACH_RESPONSE_JOB, startBreachResponse } from '../../src/breach/breach-response.ts';
import { queueMail } from '../../src/mail/queue.ts';
import { outboxDir } from '../../src/mail/transports.ts';
import { findJob } from '../../src/store/jobs.repository.ts';
import { findBreachResponse } from '../../src/store/breach.repository.ts';
import type { JobContext } from '../../src/jobs/runner.ts';
import type { TestServer } from '../helpers/server.ts';
import { seedUsers } from '../breach/seed.ts';
import { cluster, haveClusterServices, type Cluster } from './cluster-helpers.ts';

const ready = await haveClusterServices();
// Short enough for a takeover within the test, long enough that a stall of this busy process (both
// instances share its event loop) does not let a live lease lapse.
const jobs = { pollMs: 20, leaseMs: 1000 };
const PASSWORD = 'velvet thunder orchard mosaic';

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function outboxFiles(server: TestServer): string[] {
  try {
    return readdirSync(outboxDir(server.dataDir)).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
}

// Several instances start in one busy test process: more time than the default, not less rigour.
describe.skipIf(!ready)('breach response and mail queue on two instances', { timeout: 60_000 }, () => {
  let c: Cluster;
  afterEach(async () => c?.close());

  it('S23: the instance running a breach response dies halfway; the other finishes it, every user flagged and mailed once', async () => {
    c = cluster();
    const a = await c.start({ background: false, jobs });
    const b = await c.start({ background: false, jobs });
    const hash = await a.deps.passwords.hash(PASSWORD);
    await seedUsers(a.deps.db, { users: 20, sessionsPerUser: 1, passwordHash: hash, now: new Date() });
    const token = await b.login('user0000003', PASSWORD);
    expect((await a.request('GET', '/api/v1/me', { token })).status).toBe(200);

    // A stops dead after its second batch: no further progress and no finish, until it is killed.
    const original = a.deps.jobs.types.get(BREACH_RESPONSE_JOB)!;
    let batchesOnA = 0;
    let hanging = false;
    a.deps.jobs.register({
      ...original,
      run: (deps, ctx: JobContext) =>
        original.run(deps, {
          ...ctx,
          checkpointed: async (checkpoint, progress) => {
            const held = await ctx.checkpointed(checkpoint, progress);
            batchesOnA += 1;
            if (batchesOnA === 2) {
              hanging = true;
              await new Promise<void>((resolve) =>
                ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
              );
            }
            return held;
          },
        }),
    });
    a.deps.jobs.start(a.deps);
    const started = await startBreachResponse(
      a.deps,
      { userId: null, username: 'operator' },
      {
        scope: { all: true },
        reason: 'test',
        message: 'Our user database was copied. Choose a new password.',
        batchSize: 5,
      },
      { ip: null },
      new Date(),
    );
    if (started.dryRun) throw new Error('not a dry run');
    const response = started.response;
    await waitFor(async () => hanging);
    b.deps.jobs.start(b.deps);
    // While A lives, its lease holds: B does not take the response however long it waits.
    await new Promise((r) => setTimeout(r, jobs.leaseMs * 2));
    const held = await findJob(a.deps.db, response.job_id!);
    expect(held?.lease_owner).toBe(a.deps.jobs.owner);
    const flaggedOnA = await a.deps.db.selectFrom('breach_response_users').select('user_id').execute();
    expect(flaggedOnA).toHaveLength(10);

    await a.close();
    const done = await waitFor(async () => {
      const row = await findBreachResponse(b.deps.db, response.id);
      return row?.finished_at ? row : null;
    });
    const job = (await findJob(b.deps.db, response.job_id!))!;
    expect(job.state).toBe('done');
    // A's close handed the job back with its attempt (a stop is no failed try): B's run is its first.
    expect(job.attempts).toBe(1);

    const records = await b.deps.db.selectFrom('breach_response_users').select(['user_id', 'mail_id']).execute();
    expect(records).toHaveLength(20);
    expect(new Set(records.map((r) => r.user_id)).size).toBe(20);
    const users = await b.deps.db.selectFrom('users').select('reset_required').execute();
    expect(users.every((u) => u.reset_required === 1)).toBe(true);
    expect((await b.request('GET', '/api/v1/me', { token })).status).toBe(401);

    // One notice per user, each sent once (A was gone before any was sent: all are in B's outbox).
    const mails = await waitFor(async () => {
      const rows = await b.deps.db
        .selectFrom('mail_messages')
        .select(['id', 'state', 'recipient'])
        .where('template', '=', 'breach_notice')
        .execute();
      return rows.length === 20 && rows.every((r) => r.state === 'sent') ? rows : null;
    });
    expect(new Set(mails.map((m) => m.recipient)).size).toBe(20);
    expect(outboxFiles(b)).toHaveLength(20);
    expect(outboxFiles(a)).toHaveLength(0);
    expect((await findJob(b.deps.db, done.notices_job_id!))?.state).toBe('done');
  });

  it('each queued mail is sent exactly once while two instances take from the queue', async () => {
    c = cluster();
    // A lease far longer than any stall of this busy test process: this test is about claiming, not takeover.
    const a = await c.start({ jobs: { pollMs: 20, leaseMs: 10_000 } });
    const b = await c.start({ jobs: { pollMs: 20, leaseMs: 10_000 } });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const { id } = await queueMail(
        a.deps,
        a.deps.db,
        { to: `reader${i}@example.org`, template: 'test', data: { at: new Date().toISOString() } },
        new Date(),
      );
      ids.push(id);
    }
    await waitFor(async () => {
      const rows = await a.deps.db.selectFrom('mail_messages').select('state').execute();
      return rows.length === 30 && rows.every((r) => r.state === 'sent');
    });
    const files = [...outboxFiles(a), ...outboxFiles(b)];
    expect(files).toHaveLength(30);
    const sentIds = files.map((f) => /-([A-Za-z0-9_-]+)\.eml$/.exec(f)![1]).sort();
    expect(sentIds).toEqual([...ids].sort());
    const attempts = await a.deps.db.selectFrom('mail_messages').select('attempts').execute();
    expect(attempts.every((r) => r.attempts === 1)).toBe(true);
  });
});
