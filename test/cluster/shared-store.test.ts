// Any number of instances on one PostgreSQL store: they migrate it together at start, and each job
// runs on exactly one of them; when that one dies, another finishes the job from its checkpoint.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueueJob, type JobType } from '../../src/jobs/runner.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { findJob } from '../../src/store/jobs.repository.ts';
import type { TestServer } from '../helpers/server.ts';
import { cluster, haveClusterServices, type Cluster } from './cluster-helpers.ts';

const ready = await haveClusterServices();
// Short enough for a takeover within the test, long enough that a stall of this busy process (both
// instances share its event loop) does not let a live lease lapse.
const jobs = { pollMs: 20, leaseMs: 1000 };

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Several instances start in one busy test process: more time than the default, not less rigour.
describe.skipIf(!ready)('instances sharing one PostgreSQL store', { timeout: 60_000 }, () => {
  let c: Cluster;
  afterEach(async () => c?.close());

  it('two instances starting at once on a fresh schema migrate it once, together', async () => {
    c = cluster();
    const [a, b, d] = await Promise.all([c.start(), c.start(), c.start()]);
    const applied = await sql<{ name: string }>`select name from hearth_migrations order by name`.execute(a.deps.db);
    expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
    // All three serve the same store.
    const user = await b.createUser({ username: 'erin' });
    expect(
      (await d.deps.db.selectFrom('users').select('id').where('username', '=', 'erin').executeTakeFirst())?.id,
    ).toBe(user.id);
  });

  it('each of many jobs runs exactly once across two instances', async () => {
    c = cluster();
    const runs: { id: string; on: string }[] = [];
    const counted = (name: string): JobType => ({
      type: 'cluster-test.count',
      concurrency: 3,
      async run(_deps, ctx) {
        runs.push({ id: ctx.job.id, on: name });
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    // A lease far longer than any stall: this test is about claiming, not takeover.
    const a = await c.start({ background: false, jobs: { pollMs: 20, leaseMs: 10_000 } });
    const b = await c.start({ background: false, jobs: { pollMs: 20, leaseMs: 10_000 } });
    a.deps.jobs.register(counted('a'));
    b.deps.jobs.register(counted('b'));
    const ids: string[] = [];
    for (let i = 0; i < 60; i++)
      ids.push((await enqueueJob(a.deps, a.deps.db, { type: 'cluster-test.count', payload: i }, a.deps.clock())).id);
    a.deps.jobs.start(a.deps);
    b.deps.jobs.start(b.deps);
    await waitFor(async () => {
      const done = await a.deps.db.selectFrom('jobs').select('id').where('state', '=', 'done').execute();
      return done.length === ids.length;
    });
    expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
    // Both took part: the work is spread, not merely done by one.
    expect(new Set(runs.map((r) => r.on))).toEqual(new Set(['a', 'b']));
  });

  it('when the instance running a long job dies, the other finishes it from its checkpoint', async () => {
    c = cluster();
    const steps: { on: string; step: number }[] = [];
    let releaseA: (() => void) | null = null;
    const long = (name: string): JobType<{ total: number }, { next: number }> => ({
      type: 'cluster-test.long',
      async run(_deps, ctx) {
        for (let step = ctx.checkpoint?.next ?? 0; step < ctx.payload.total; step++) {
          if (name === 'a' && step === 2) {
            // A hangs here until it is killed: no progress, no finish.
            await new Promise<void>((resolve) => {
              releaseA = resolve;
              ctx.signal.addEventListener('abort', () => resolve(), { once: true });
            });
            throw ctx.signal.reason ?? new Error('killed');
          }
          steps.push({ on: name, step });
          await ctx.checkpointed({ next: step + 1 }, { done: step + 1, total: ctx.payload.total });
        }
        return { finishedOn: name };
      },
    });
    const a: TestServer = await c.start({ background: false, jobs });
    const b: TestServer = await c.start({ background: false, jobs });
    a.deps.jobs.register(long('a'));
    b.deps.jobs.register(long('b'));
    a.deps.jobs.start(a.deps);
    const { id } = await enqueueJob(
      a.deps,
      a.deps.db,
      { type: 'cluster-test.long', payload: { total: 5 } },
      a.deps.clock(),
    );
    await waitFor(async () => releaseA !== null);
    b.deps.jobs.start(b.deps);
    // While A lives, its lease holds: B does not take the job however long it waits.
    await new Promise((r) => setTimeout(r, jobs.leaseMs * 2));
    expect(steps.every((s) => s.on === 'a')).toBe(true);
    expect((await findJob(a.deps.db, id))?.lease_owner).toBe(a.deps.jobs.owner);

    await a.close();
    const row = await waitFor(async () => {
      const r = await findJob(b.deps.db, id);
      return r?.state === 'done' ? r : null;
    });
    expect(steps).toEqual([
      { on: 'a', step: 0 },
      { on: 'a', step: 1 },
      { on: 'b', step: 2 },
      { on: 'b', step: 3 },
      { on: 'b', step: 4 },
    ]);
    expect(JSON.parse(row.result!)).toEqual({ finishedOn: 'b' });
    expect(JSON.parse(row.progress!)).toEqual({ done: 5, total: 5 });
    // A's close handed the job back with its attempt (a stop is no failed try): B's run is its first.
    expect(row.attempts).toBe(1);
  });
});
