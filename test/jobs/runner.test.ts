import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import SQLite from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { enqueueJob, JobRunner, toJobView, type JobType } from '../../src/jobs/runner.ts';
import { claimNextJob, findJob } from '../../src/store/jobs.repository.ts';
import { storeKinds } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Collects unhandled rejections until stop() (Vitest reports them too, as errors of the file). */
function watchUnhandledRejections(): { stop(): string[] } {
  const seen: string[] = [];
  const listener = (reason: unknown) => seen.push(String((reason as Error)?.message ?? reason));
  process.on('unhandledRejection', listener);
  return {
    stop() {
      process.off('unhandledRejection', listener);
      return seen;
    },
  };
}

/** Rejects with the abort reason once the signal is aborted, at once if it already is. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

describe.each(await storeKinds())('job runner on %s', (store) => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers) await s.close();
    servers = [];
  });

  async function server(): Promise<TestServer> {
    const s = await startTestServer({ store, background: false, jobs: { pollMs: 20, leaseMs: 300 } });
    servers.push(s);
    return s;
  }

  it('runs a job to the end and records its progress and result', async () => {
    const s = await server();
    const seen: number[] = [];
    s.deps.jobs.register({
      type: 'count',
      async run(_deps, ctx) {
        for (let i = 1; i <= 3; i++) {
          seen.push(i);
          await ctx.progress({ done: i, total: 3 });
        }
        return { total: 3 };
      },
    });
    s.deps.jobs.start(s.deps);
    const { id } = await enqueueJob(s.deps, s.deps.db, { type: 'count', payload: {} }, s.deps.clock());
    const row = await waitFor(async () => {
      const r = await findJob(s.deps.db, id);
      return r?.state === 'done' ? r : null;
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(toJobView(row)).toMatchObject({
      state: 'done',
      progress: { done: 3, total: 3 },
      result: { total: 3 },
      attempts: 1,
    });
  });

  it('retries a failing job with backoff, then fails it after max attempts', async () => {
    const s = await server();
    let calls = 0;
    s.deps.jobs.register({
      type: 'flaky',
      maxAttempts: 2,
      backoffMs: () => 10,
      async run() {
        calls += 1;
        throw new Error(`boom ${calls}`);
      },
    });
    s.deps.jobs.start(s.deps);
    const { id } = await enqueueJob(s.deps, s.deps.db, { type: 'flaky', payload: {} }, s.deps.clock());
    const row = await waitFor(async () => {
      const r = await findJob(s.deps.db, id);
      return r?.state === 'failed' ? r : null;
    });
    expect(calls).toBe(2);
    expect(row.error).toBe('boom 2');
  });

  it('a job whose stored payload is not JSON fails once, instead of throwing out of the runner and holding its lease for ever', async () => {
    const s = await server();
    const unhandled = watchUnhandledRejections();
    let calls = 0;
    s.deps.jobs.register({
      type: 'garbled',
      async run() {
        calls += 1;
      },
    });
    const { id } = await enqueueJob(s.deps, s.deps.db, { type: 'garbled', payload: {} }, s.deps.clock());
    await s.deps.db.updateTable('jobs').set({ payload: '{not json' }).where('id', '=', id).execute();
    s.deps.jobs.start(s.deps);
    const row = await waitFor(async () => {
      const r = await findJob(s.deps.db, id);
      return r?.state === 'failed' ? r : null;
    });
    expect(calls).toBe(0);
    expect(row).toMatchObject({ attempts: 1, lease_owner: null });
    expect(row.error).toMatch(/payload is not valid JSON/);
    expect(unhandled.stop()).toEqual([]);
  });

  it('a lapsed lease counts as an attempt: a job that crashed its worker twice is resumed, one that crashed it on every allowed attempt fails', async () => {
    const s = await server();
    const ran: string[] = [];
    s.deps.jobs.register({
      type: 'crashy',
      maxAttempts: 3,
      async run(_deps, ctx) {
        ran.push(ctx.payload.name);
        return { resumedAfter: ctx.job.attempts - 1 };
      },
    });
    const twice = await enqueueJob(s.deps, s.deps.db, { type: 'crashy', payload: { name: 'twice' } }, s.deps.clock());
    const always = await enqueueJob(s.deps, s.deps.db, { type: 'crashy', payload: { name: 'always' } }, s.deps.clock());
    // Workers that take the job and die (out of memory, a native crash): their 1 ms leases lapse.
    const crash = async (id: string, times: number) => {
      for (let i = 0; i < times; i++) {
        await new Promise((r) => setTimeout(r, 5));
        expect(await claimNextJob(s.deps.db, ['crashy'], `dead-${i}`, Date.now(), 1, id)).toBeDefined();
      }
    };
    await crash(twice.id, 2);
    await crash(always.id, 3);
    await new Promise((r) => setTimeout(r, 5));
    // No worker takes a job whose last allowed attempt ended with its worker.
    expect(await claimNextJob(s.deps.db, ['crashy'], 'another', Date.now(), 1, always.id)).toBeUndefined();
    s.deps.jobs.start(s.deps);
    const [resumed, failed] = await waitFor(async () => {
      const rows = [await findJob(s.deps.db, twice.id), await findJob(s.deps.db, always.id)];
      return rows.every((r) => r?.state === 'done' || r?.state === 'failed')
        ? (rows as NonNullable<(typeof rows)[0]>[])
        : null;
    });
    expect(toJobView(resumed!)).toMatchObject({ state: 'done', attempts: 3, result: { resumedAfter: 2 } });
    expect(toJobView(failed!)).toMatchObject({ state: 'failed', attempts: 3 });
    expect(failed!.error).toMatch(/lease lapsed/);
    expect(failed!.lease_owner).toBeNull();
    expect(ran).toEqual(['twice']);
  });

  it("a server restarted on the same host takes over its dead process's jobs at once; a live one's and another host's wait for the lease", async () => {
    const s = await server();
    const ran: string[] = [];
    s.deps.jobs.register({
      type: 'local',
      async run(_deps, ctx) {
        ran.push(ctx.payload.name);
        return {};
      },
    });
    // A process that ran here and is gone.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const host = hostname();
    const leases: [string, string][] = [
      ['dead', `${host}:${deadPid}:abc`],
      ['alive', `${host}:${process.ppid}:abc`],
      ['elsewhere', `another-host.example:${deadPid}:abc`],
    ];
    const ids: Record<string, string> = {};
    for (const [name, owner] of leases) {
      const { id } = await enqueueJob(s.deps, s.deps.db, { type: 'local', payload: { name } }, s.deps.clock());
      // Taken with a lease that would hold for an hour.
      expect(await claimNextJob(s.deps.db, ['local'], owner, Date.now(), 3600_000, id)).toBeDefined();
      ids[name] = id;
    }
    s.deps.jobs.start(s.deps);
    await waitFor(async () => (await findJob(s.deps.db, ids.dead!))?.state === 'done');
    expect(ran).toEqual(['dead']);
    expect((await findJob(s.deps.db, ids.alive!))?.state).toBe('running');
    expect((await findJob(s.deps.db, ids.elsewhere!))?.state).toBe('running');
  });

  it('a dedupe key makes enqueueing idempotent', async () => {
    const s = await server();
    const a = await enqueueJob(s.deps, s.deps.db, { type: 'x', payload: 1, dedupeKey: 'k1' }, s.deps.clock());
    const b = await enqueueJob(s.deps, s.deps.db, { type: 'x', payload: 2, dedupeKey: 'k1' }, s.deps.clock());
    expect(a.created).toBe(true);
    expect(b).toEqual({ id: a.id, created: false });
  });

  it('exactly one of two workers runs a job, and the other resumes it from its checkpoint when the first dies', async () => {
    const s = await server();
    const processed: string[] = [];
    let stallFirst = true;
    const type: JobType<{ items: number }, { next: number }> = {
      type: 'resumable',
      async run(_deps, ctx) {
        for (let i = ctx.checkpoint?.next ?? 0; i < ctx.payload.items; i++) {
          if (i === 5 && stallFirst) {
            stallFirst = false;
            // The first worker "dies" here: it stops renewing its lease and never finishes. The signal may
            // already be aborted (stop() can land while the previous checkpoint is being written).
            await untilAborted(ctx.signal);
          }
          processed.push(`item${i}`);
          await ctx.checkpointed({ next: i + 1 }, { done: i + 1 });
        }
        return { items: ctx.payload.items };
      },
    };
    const a = new JobRunner('worker-a', { pollMs: 20, leaseMs: 300 });
    const b = new JobRunner('worker-b', { pollMs: 20, leaseMs: 300 });
    a.register(type);
    b.register(type);
    const depsA = { ...s.deps, jobs: a };
    const { id } = await enqueueJob(depsA, s.deps.db, { type: 'resumable', payload: { items: 10 } }, s.deps.clock());
    a.start(depsA);
    await waitFor(async () => processed.length >= 5);
    // Kill A the hard way: its heartbeat stops, its lease lapses.
    await a.stop();
    b.start({ ...s.deps, jobs: b });
    const row = await waitFor(async () => {
      const r = await findJob(s.deps.db, id);
      return r?.state === 'done' ? r : null;
    });
    await b.stop();
    expect(processed).toEqual(Array.from({ length: 10 }, (_, i) => `item${i}`));
    // A's stop handed the job back with its attempt: B's run is its first.
    expect(row.attempts).toBe(1);
  });

  it("a job its runner stops is handed back at once with its attempt: restarts never use up a job's attempts", async () => {
    const s = await server();
    let runs = 0;
    const type: JobType<null, { next: number }> = {
      type: 'restarted',
      maxAttempts: 3,
      async run(_deps, ctx) {
        runs += 1;
        const from = ctx.checkpoint?.next ?? 0;
        // Five runs are stopped part-way; the sixth finishes.
        if (runs <= 5) {
          await ctx.checkpointed({ next: from + 1 });
          await untilAborted(ctx.signal);
          throw ctx.signal.reason;
        }
        return { resumedFrom: from };
      },
    };
    const { id } = await enqueueJob(s.deps, s.deps.db, { type: 'restarted', payload: null }, s.deps.clock());
    for (let restart = 0; restart < 5; restart += 1) {
      const runner = new JobRunner(`worker-${restart}`, { pollMs: 20, leaseMs: 60_000 });
      runner.register(type);
      runner.start({ ...s.deps, jobs: runner });
      await waitFor(async () =>
        (await findJob(s.deps.db, id))?.checkpoint === JSON.stringify({ next: restart + 1 }) ? true : null,
      );
      await runner.stop();
      // Queued again at once, lease and attempt given back: no waiting for a minute-long lease to lapse.
      const row = await findJob(s.deps.db, id);
      expect({ state: row?.state, attempts: row?.attempts, lease: row?.lease_owner }).toEqual({
        state: 'queued',
        attempts: 0,
        lease: null,
      });
    }
    const last = new JobRunner('worker-last', { pollMs: 20, leaseMs: 60_000 });
    last.register(type);
    last.start({ ...s.deps, jobs: last });
    const done = await waitFor(async () => {
      const r = await findJob(s.deps.db, id);
      return r?.state === 'done' ? r : null;
    });
    await last.stop();
    expect(JSON.parse(done.result!)).toEqual({ resumedFrom: 5 });
    expect(done.attempts).toBe(1);
  });
  it('stop() waits at most its grace period for a job that ignores its signal, and leaves it to its lease', async () => {
    const s = await server();
    const gate: { release: (() => void) | null } = { release: null };
    const runs: string[] = [];
    const stubborn: JobType = {
      type: 'stubborn',
      async run(_deps, ctx) {
        runs.push(ctx.checkpoint ? 'resumed' : 'first');
        if (!ctx.checkpoint) {
          await ctx.checkpointed({ started: true });
          await new Promise<void>((resolve) => (gate.release = resolve));
        }
        return {};
      },
    };
    const a = new JobRunner('worker-a', { pollMs: 20, leaseMs: 300, stopGraceMs: 200 });
    const b = new JobRunner('worker-b', { pollMs: 20, leaseMs: 300 });
    a.register(stubborn);
    b.register(stubborn);
    const { id } = await enqueueJob(
      { ...s.deps, jobs: a },
      s.deps.db,
      { type: 'stubborn', payload: {} },
      s.deps.clock(),
    );
    a.start({ ...s.deps, jobs: a });
    await waitFor(async () => gate.release !== null);
    const stopping = a.stop().then(() => 'stopped' as const);
    const outcome = await Promise.race([stopping, new Promise((r) => setTimeout(() => r('hung'), 5_000))]);
    expect(outcome).toBe('stopped');
    b.start({ ...s.deps, jobs: b });
    const row = await waitFor(async () => {
      const r = await findJob(s.deps.db, id);
      return r?.state === 'done' ? r : null;
    });
    await b.stop();
    expect(runs).toEqual(['first', 'resumed']);
    expect(row.lease_owner).toBeNull();
    // The stubborn run finishing late changes nothing: the job is done, by B.
    gate.release!();
    await new Promise((r) => setTimeout(r, 50));
    expect((await findJob(s.deps.db, id))?.state).toBe('done');
  });
});

describe('job runner when the store cannot record the end of a job', () => {
  let s: TestServer | null = null;
  let locker: SQLite.Database | null = null;
  afterEach(async () => {
    if (locker?.inTransaction) locker.exec('rollback');
    locker?.close();
    locker = null;
    await s?.close();
    s = null;
  });

  it('the error is logged, nothing escapes the runner, and the job is resumed once its lease lapses', async () => {
    const logged: { msg: string }[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line.trim()) logged.push(JSON.parse(line));
        done();
      },
    });
    s = await startTestServer({ background: false, log: pino({ level: 'info' }, stream) });
    const server = s;
    const unhandled = watchUnhandledRejections();
    let runs = 0;
    // Another process (the CLI, sqlite3, a long breach batch) holds the write lock for longer than the
    // busy timeout (5 s) just as the first run ends, so recording its end fails.
    const quick: JobType = {
      type: 'quick',
      async run() {
        runs += 1;
        if (runs === 1) {
          locker = new SQLite(join(server.dataDir, 'hearth.db'));
          locker.exec('begin immediate');
        }
        return { runs };
      },
    };
    const a = new JobRunner('worker-a', { pollMs: 20, leaseMs: 1000, stopGraceMs: 100 });
    const b = new JobRunner('worker-b', { pollMs: 20, leaseMs: 1000 });
    a.register(quick);
    b.register(quick);
    const { id } = await enqueueJob({ ...s.deps, jobs: a }, s.deps.db, { type: 'quick', payload: {} }, s.deps.clock());
    a.start({ ...s.deps, jobs: a });
    await waitFor(async () => logged.some((l) => /could not record the end of a job/.test(l.msg)), 20_000);
    await a.stop();
    locker!.exec('rollback');
    expect(unhandled.stop()).toEqual([]);
    // Left to its lease: still running, as if its worker had died.
    expect(await findJob(s.deps.db, id)).toMatchObject({ state: 'running', lease_owner: 'worker-a' });
    b.start({ ...s.deps, jobs: b });
    const row = await waitFor(async () => {
      const r = await findJob(s!.deps.db, id);
      return r?.state === 'done' ? r : null;
    });
    await b.stop();
    expect(runs).toBe(2);
    expect(toJobView(row)).toMatchObject({ state: 'done', result: { runs: 2 }, attempts: 2 });
  }, 40_000);
});
