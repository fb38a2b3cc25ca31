// The one job runner: scans, breach responses and mail are jobs in the store, each taken with a lease
// so exactly one worker runs it; a worker that dies lets its lease lapse and another resumes the job
// from its last checkpoint. Progress is written to the job row, where the API and the CLI read it.
import { newId } from '../crypto.ts';
import type { Logger } from 'pino';
import type { Clock, Random } from '../crypto.ts';
import type { Db } from '../store/db.ts';
import {
  claimNextJob,
  failAbandonedJobs,
  findJob,
  lapseLeasesOf,
  listLeaseOwners,
  finishJob,
  handBackJob,
  insertJob,
  findJobByDedupeKey,
  renewLease,
  requestJobCancel,
  updateJobProgress,
  type JobRow,
} from '../store/jobs.repository.ts';

export interface JobContext<P = unknown, C = unknown> {
  job: JobRow;
  payload: P;
  /** Where a previous run of this job stopped, or null on the first run. */
  checkpoint: C | null;
  /** Aborted when the lease is lost, cancel is asked, or the runner stops. */
  signal: AbortSignal;
  progress(progress: Record<string, unknown>): Promise<void>;
  /**
   * Renews the lease now and says whether this worker still holds it. Call it right before a step that
   * must not happen twice (sending a mail): a fresh lease keeps every other worker off for its length.
   */
  holdsLease(): Promise<boolean>;
  /** Saves where the job got to (and its progress) in one write; returns false if the lease is lost. */
  checkpointed(checkpoint: C, progress?: Record<string, unknown>): Promise<boolean>;
}

/** What the runner reads of deps itself; a job gets the whole deps the runner was started with (D). */
export interface RunnerDeps {
  db: Db;
  clock: Clock;
  log: Logger;
}

export interface JobType<P = any, C = any, D = RunnerDeps> {
  type: string;
  run(deps: D, ctx: JobContext<P, C>): Promise<Record<string, unknown> | void>;
  /** Jobs of this type one process runs at once (default 1). */
  concurrency?: number;
  maxAttempts?: number;
  /** Delay before the next attempt after a failure. */
  backoffMs?(attempt: number): number;
  /** At most this many jobs of the type start per minute in one process (the mail rate). */
  ratePerMinute?: number;
}

export class JobCancelledError extends Error {
  constructor() {
    super('the job was cancelled');
    this.name = 'JobCancelledError';
  }
}

/** The reason a job's signal gives when its runner stops (a restart, an upgrade). */
export class RunnerStoppingError extends Error {
  constructor() {
    super('the runner is stopping');
    this.name = 'RunnerStoppingError';
  }
}

/** A failure that no retry can fix (bad payload, missing rows): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface EnqueueInput {
  type: string;
  payload: unknown;
  dedupeKey?: string;
  runAt?: Date;
  maxAttempts?: number;
  createdBy?: string | null;
}

/** Adds a job; with a dedupe key, an existing job with that key is returned instead (idempotent). */
export async function enqueueJob(
  deps: { random: Random; jobs: JobRunner<any> },
  db: Db,
  input: EnqueueInput,
  now: Date,
): Promise<{ id: string; created: boolean }> {
  const row = newJobRow(deps, input, now);
  const created = await insertJob(db, row);
  if (created) {
    deps.jobs.kick();
    return { id: row.id, created };
  }
  const existing = await findJobByDedupeKey(db, input.dedupeKey!);
  return { id: existing!.id, created: false };
}

/**
 * The row enqueueJob writes, for a caller that writes many at once (the breach notices: one multi-row INSERT per
 * batch); it then kicks the runner itself.
 */
export function newJobRow(deps: { random: Random; jobs: JobRunner<any> }, input: EnqueueInput, now: Date): JobRow {
  const type = deps.jobs.types.get(input.type);
  return {
    id: newId(deps.random),
    type: input.type,
    payload: JSON.stringify(input.payload ?? null),
    state: 'queued',
    progress: null,
    checkpoint: null,
    result: null,
    error: null,
    attempts: 0,
    max_attempts: input.maxAttempts ?? type?.maxAttempts ?? 5,
    run_at: (input.runAt ?? now).getTime(),
    lease_owner: null,
    lease_expires_at: null,
    cancel_requested: 0,
    dedupe_key: input.dedupeKey ?? null,
    created_by: input.createdBy ?? null,
    created_at: now.getTime(),
    updated_at: now.getTime(),
    started_at: null,
    finished_at: null,
  };
}

export interface JobView {
  id: string;
  type: string;
  state: JobRow['state'];
  progress: Record<string, unknown> | null;
  result: Record<string, unknown> | null;
  error: string | null;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export function toJobView(row: JobRow): JobView {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: row.id,
    type: row.type,
    state: row.state,
    progress: row.progress ? JSON.parse(row.progress) : null,
    result: row.result ? JSON.parse(row.result) : null,
    error: row.error,
    attempts: row.attempts,
    created_at: new Date(row.created_at).toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
  };
}

export async function getJob(deps: { db: Db }, id: string): Promise<JobRow | undefined> {
  return findJob(deps.db, id);
}

export async function cancelJob(deps: { db: Db; clock: Clock }, id: string) {
  return requestJobCancel(deps.db, id, deps.clock().getTime());
}

export interface RunnerOptions {
  pollMs?: number;
  leaseMs?: number;
  /** How long stop() waits for running jobs to give up (default 10 s). */
  stopGraceMs?: number;
}

/** The registry and worker of one process. Modules register types (src/modules.ts); the server starts it. */
export class JobRunner<D extends RunnerDeps = any> {
  readonly types = new Map<string, JobType<any, any, D>>();
  readonly owner: string;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly stopGraceMs: number;
  private running = new Map<string, { type: string; abort: AbortController; done: Promise<void> }>();
  private heartbeats = new Map<string, NodeJS.Timeout>();
  private startTimes = new Map<string, number[]>();
  private stopped = true;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private deps: D | null = null;
  private abandonedCheckedAt = 0;
  private deadOwnersCheckedAt = 0;

  constructor(owner: string, options: RunnerOptions = {}) {
    this.owner = owner;
    this.pollMs = options.pollMs ?? 500;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.stopGraceMs = options.stopGraceMs ?? 10_000;
  }

  register(type: JobType<any, any, D>): void {
    this.types.set(type.type, type);
  }

  /** Wakes the loop now (a job was just queued in this process). */
  kick(): void {
    this.wake?.();
  }

  start(deps: D, types?: string[]): void {
    if (!this.stopped) return;
    this.deps = deps;
    this.stopped = false;
    this.loop = this.run(types ?? [...this.types.keys()]);
  }

  /**
   * Stops taking jobs and aborts running ones, which are handed back queued with their attempt (the next worker
   * resumes each from its checkpoint at once). A job that ignores its signal is waited for at most the grace
   * period, then left to its lapsing lease.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    for (const r of this.running.values()) r.abort.abort(new RunnerStoppingError());
    await this.loop;
    const running = [...this.running.entries()];
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.stopGraceMs);
    });
    const outcome = await Promise.race([Promise.allSettled(running.map(([, r]) => r.done)), graceOver]);
    clearTimeout(timer);
    if (outcome === 'late') {
      const late = running.filter(([id]) => this.running.has(id)).map(([id]) => id);
      // Given up on: no more renewals, so the lease lapses and another worker can take the job.
      for (const id of late) clearInterval(this.heartbeats.get(id));
      this.deps?.log.warn(
        { jobs: late },
        'jobs did not stop in time; their leases lapse and another worker resumes them',
      );
    }
  }

  /** Runs one specific job to its end in this process (the CLI does this to show a progress bar). */
  async runOne(deps: D, id: string): Promise<boolean> {
    const row = await findJob(deps.db, id);
    if (!row) return false;
    const type = this.types.get(row.type);
    if (!type) return false;
    await this.lapseDeadLocalLeases(deps, [row.type]);
    await this.failAbandoned(deps, [row.type], id);
    const claimed = await claimNextJob(deps.db, [row.type], this.owner, deps.clock().getTime(), this.leaseMs, id);
    if (!claimed) return false;
    await this.execute(deps, type, claimed, new AbortController());
    return true;
  }

  private rateAllows(type: JobType<any, any, D>, now: number): boolean {
    if (!type.ratePerMinute) return true;
    const times = (this.startTimes.get(type.type) ?? []).filter((t) => now - t < 60_000);
    this.startTimes.set(type.type, times);
    return times.length < type.ratePerMinute;
  }

  /**
   * Fails the jobs whose worker died on their last allowed attempt. A lapsed lease counts as an attempt
   * (the claim that resumes it counts one), so a job that crashed once or twice is resumed, and one that
   * keeps killing its worker (out of memory, a native crash) is not taken again for ever by every instance.
   */
  private async failAbandoned(deps: D, types: string[], onlyId?: string): Promise<void> {
    const failed = await failAbandonedJobs(deps.db, types, deps.clock().getTime(), onlyId, [...this.running.keys()]);
    for (const job of failed) {
      deps.log.error(
        { job: job.id, type: job.type, attempts: job.attempts },
        'job failed: its worker stopped without finishing it on its last allowed attempt',
      );
    }
  }

  /**
   * Lets the leases of dead processes on this host lapse now: a server restarted after a crash (or a CLI run
   * after one) takes over its own jobs at once instead of waiting out the lease. Owners are
   * `host:pid:random`; a pid that no longer runs here is dead. A pid reused by another process only means
   * waiting for the lease as before.
   */
  private async lapseDeadLocalLeases(deps: D, types: string[]): Promise<void> {
    const parts = this.owner.split(':');
    if (parts.length < 3) return;
    const host = parts.slice(0, -2).join(':');
    const ownPid = Number(parts[parts.length - 2]);
    const owners = await listLeaseOwners(deps.db, types, `${host}:`);
    const dead = owners.filter((owner) => {
      const pid = Number(owner.split(':').at(-2));
      return (
        owner.split(':').slice(0, -2).join(':') === host &&
        Number.isInteger(pid) &&
        pid > 0 &&
        pid !== ownPid &&
        !processRuns(pid)
      );
    });
    if (dead.length === 0) return;
    const lapsed = await lapseLeasesOf(deps.db, dead, deps.clock().getTime());
    if (lapsed > 0)
      deps.log.info(
        { owners: dead, jobs: lapsed },
        'took over the jobs of a stopped process on this host without waiting for their leases',
      );
  }

  private async run(typeNames: string[]): Promise<void> {
    const deps = this.deps!;
    while (!this.stopped) {
      let claimedAny = false;
      if (Date.now() - this.deadOwnersCheckedAt >= Math.min(this.leaseMs, 1000)) {
        this.deadOwnersCheckedAt = Date.now();
        await this.lapseDeadLocalLeases(deps, typeNames).catch((err) =>
          deps.log.warn({ err }, 'could not look for jobs of stopped processes'),
        );
      }
      // A lease takes its whole length to lapse: looking once per lease length is soon enough.
      if (Date.now() - this.abandonedCheckedAt >= this.leaseMs) {
        this.abandonedCheckedAt = Date.now();
        await this.failAbandoned(deps, typeNames).catch((err) =>
          deps.log.warn({ err }, 'could not fail abandoned jobs'),
        );
      }
      for (const name of typeNames) {
        const type = this.types.get(name);
        if (!type || this.stopped) continue;
        const busy = [...this.running.values()].filter((r) => r.type === name).length;
        if (busy >= (type.concurrency ?? 1)) continue;
        const now = Date.now();
        if (!this.rateAllows(type, now)) continue;
        let job: JobRow | undefined;
        try {
          // A job this process still runs is never taken twice, even if a late heartbeat let its lease lapse.
          job = await claimNextJob(deps.db, [name], this.owner, deps.clock().getTime(), this.leaseMs, undefined, [
            ...this.running.keys(),
          ]);
        } catch (err) {
          deps.log.warn({ err }, 'could not claim a job');
          break;
        }
        if (!job) continue;
        // stop() began while this claim was in flight: leave the job; its lease lapses and another
        // worker (or the next start) resumes it.
        if (this.stopped) break;
        claimedAny = true;
        if (type.ratePerMinute) this.startTimes.get(name)!.push(now);
        const abort = new AbortController();
        const done = this.execute(deps, type, job, abort).finally(() => {
          this.running.delete(job!.id);
          this.wake?.();
        });
        this.running.set(job.id, { type: name, abort, done });
      }
      if (!claimedAny && !this.stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /**
   * Runs one claimed job and records how it ended. Never rejects: whatever the job or the store throws
   * ends here, because one escaping rejection would end the whole process (Node's default).
   */
  private async execute(deps: D, type: JobType<any, any, D>, job: JobRow, abort: AbortController): Promise<void> {
    const owner = this.owner;
    const leaseMs = this.leaseMs;
    const heartbeat = setInterval(
      () => {
        renewLease(deps.db, job.id, owner, deps.clock().getTime(), leaseMs)
          .then(({ held, cancelRequested }) => {
            if (!held) abort.abort(new Error('the lease on this job was lost'));
            else if (cancelRequested) abort.abort(new JobCancelledError());
          })
          .catch((err) => deps.log.warn({ err, job: job.id }, 'could not renew a job lease'));
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    heartbeat.unref();
    this.heartbeats.set(job.id, heartbeat);
    try {
      const outcome = await this.runToOutcome(deps, type, job, abort);
      if (outcome === 'hand back') await handBackJob(deps.db, job.id, owner, deps.clock().getTime());
      else if (outcome) await finishJob(deps.db, job.id, owner, outcome, deps.clock().getTime());
    } catch (err) {
      // The store refused to record the end (busy past its timeout, connection gone). The job keeps its
      // lease, which lapses now that the heartbeat stops: the job is then taken again and resumed from its
      // last checkpoint, as after a crash.
      deps.log.error(
        { err, job: job.id, type: job.type },
        'could not record the end of a job; it is resumed once its lease lapses',
      );
    } finally {
      clearInterval(heartbeat);
      if (this.heartbeats.get(job.id) === heartbeat) this.heartbeats.delete(job.id);
    }
  }

  /**
   * Runs the job; returns what to record, 'hand back' when this runner stopped it, or null to leave the job to
   * whoever holds its lease next.
   */
  private async runToOutcome(
    deps: D,
    type: JobType<any, any, D>,
    job: JobRow,
    abort: AbortController,
  ): Promise<JobOutcome | 'hand back' | null> {
    const owner = this.owner;
    const leaseMs = this.leaseMs;
    try {
      const ctx: JobContext = {
        job,
        payload: parseStored(job.payload, 'payload'),
        checkpoint: job.checkpoint ? parseStored(job.checkpoint, 'checkpoint') : null,
        signal: abort.signal,
        progress: async (progress) => {
          await updateJobProgress(
            deps.db,
            job.id,
            owner,
            { progress: JSON.stringify(progress) },
            deps.clock().getTime(),
          );
        },
        holdsLease: async () => {
          const { held, cancelRequested } = await renewLease(deps.db, job.id, owner, deps.clock().getTime(), leaseMs);
          if (!held) abort.abort(new Error('the lease on this job was lost'));
          else if (cancelRequested) abort.abort(new JobCancelledError());
          return held && !cancelRequested;
        },
        checkpointed: async (checkpoint, progress) => {
          const held = await updateJobProgress(
            deps.db,
            job.id,
            owner,
            { checkpoint: JSON.stringify(checkpoint), ...(progress ? { progress: JSON.stringify(progress) } : {}) },
            deps.clock().getTime(),
          );
          if (!held) abort.abort(new Error('the lease on this job was lost'));
          return held;
        },
      };
      const result = await type.run(deps, ctx);
      return {
        state: 'done',
        result: result ? JSON.stringify(result) : null,
        error: null,
        finished_at: deps.clock().getTime(),
      };
    } catch (err) {
      const now = deps.clock().getTime();
      const message = (err as Error)?.message ?? String(err);
      if (err instanceof JobCancelledError || abort.signal.reason instanceof JobCancelledError) {
        return { state: 'cancelled', error: null, finished_at: now };
      }
      if (abort.signal.aborted) {
        deps.log.info({ job: job.id, reason: message }, 'job interrupted');
        // Stopped here (a restart, an upgrade): handed back at once with its attempt, so the next worker resumes it
        // from its checkpoint without waiting for the lease, and restarts never use up its attempts. Lease lost:
        // it is someone else's now.
        return this.stopped && abort.signal.reason instanceof RunnerStoppingError ? 'hand back' : null;
      }
      if (err instanceof PermanentJobError || job.attempts >= job.max_attempts) {
        deps.log.error({ err, job: job.id, type: job.type }, 'job failed');
        return { state: 'failed', error: message, finished_at: now };
      }
      const delay = type.backoffMs?.(job.attempts) ?? Math.min(3600_000, 1000 * 2 ** job.attempts);
      deps.log.warn({ job: job.id, type: job.type, attempt: job.attempts, err: message }, 'job will be retried');
      return { state: 'queued', error: message, run_at: now + delay };
    }
  }
}

type JobOutcome = Parameters<typeof finishJob>[3];

/** A stored payload or checkpoint that is not JSON never will be: the job fails rather than retries. */
function parseStored(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PermanentJobError(`the job's ${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Whether a process with this pid runs on this machine (EPERM: it runs, as another user). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
