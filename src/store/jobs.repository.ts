import type { Db } from './db.ts';
import type { JobsTable } from './schema.ts';

export type JobRow = JobsTable;

export async function insertJob(db: Db, row: JobsTable): Promise<boolean> {
  const result = await db
    .insertInto('jobs')
    .values(row)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findJob(db: Db, id: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findJobByDedupeKey(db: Db, key: string): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('dedupe_key', '=', key).executeTakeFirst();
}

export async function listJobs(db: Db, type: string, limit: number): Promise<JobRow[]> {
  return db
    .selectFrom('jobs')
    .selectAll()
    .where('type', '=', type)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}

/**
 * Fails the running jobs of these types whose lease lapsed on their last allowed attempt: every start
 * counts as an attempt, so a job that kills its worker each time (out of memory, a native crash) ends
 * instead of being taken again for ever by every instance. Returns the jobs it failed.
 */
export async function failAbandonedJobs(
  db: Db,
  types: string[],
  now: number,
  onlyId?: string,
  excludeIds: string[] = [],
): Promise<{ id: string; type: string; attempts: number }[]> {
  let query = db
    .updateTable('jobs')
    .set({
      state: 'failed',
      error: 'its worker stopped without finishing it (the lease lapsed) on its last allowed attempt',
      lease_owner: null,
      lease_expires_at: null,
      finished_at: now,
      updated_at: now,
    })
    .where('type', 'in', types)
    .where('state', '=', 'running')
    .where('lease_expires_at', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')));
  if (onlyId) query = query.where('id', '=', onlyId);
  if (excludeIds.length > 0) query = query.where('id', 'not in', excludeIds);
  return query.returning(['id', 'type', 'attempts']).execute();
}

/**
 * Takes the next ready job of these types with a lease: queued and due, or running with a lease that
 * lapsed (its worker died) and attempts left. The state is checked again in the UPDATE, so two workers
 * never both win.
 */
/** The workers holding leases on running jobs of these types whose owner names start with `prefix` (a host). */
export async function listLeaseOwners(db: Db, types: string[], prefix: string): Promise<string[]> {
  const rows = await db
    .selectFrom('jobs')
    .select('lease_owner')
    .distinct()
    .where('type', 'in', types)
    .where('state', '=', 'running')
    .execute();
  // Running jobs are few; a prefix test here spares LIKE's escaping rules, which differ by dialect.
  return rows.map((r) => r.lease_owner).filter((owner): owner is string => owner?.startsWith(prefix) === true);
}

/** Lets the leases of these (dead) workers lapse now, so the next claim takes their jobs. */
export async function lapseLeasesOf(db: Db, owners: string[], now: number): Promise<number> {
  if (owners.length === 0) return 0;
  const result = await db
    .updateTable('jobs')
    .set({ lease_expires_at: now - 1, updated_at: now })
    .where('state', '=', 'running')
    .where('lease_owner', 'in', owners)
    .where('lease_expires_at', '>=', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function claimNextJob(
  db: Db,
  types: string[],
  owner: string,
  now: number,
  leaseMs: number,
  onlyId?: string,
  excludeIds: string[] = [],
): Promise<JobRow | undefined> {
  const ready = (eb: any) =>
    eb.or([
      eb.and([eb('state', '=', 'queued'), eb('run_at', '<=', now)]),
      eb.and([
        eb('state', '=', 'running'),
        eb('lease_expires_at', '<', now),
        eb('attempts', '<', eb.ref('max_attempts')),
      ]),
    ]);
  let candidate = db.selectFrom('jobs').select('id').where('type', 'in', types).where(ready);
  if (onlyId) candidate = candidate.where('id', '=', onlyId);
  if (excludeIds.length > 0) candidate = candidate.where('id', 'not in', excludeIds);
  const rows = await db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running',
      lease_owner: owner,
      lease_expires_at: now + leaseMs,
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', eb.val(now)),
      updated_at: now,
    }))
    .where('id', '=', (eb) =>
      eb.selectFrom(candidate.orderBy('run_at').orderBy('created_at').limit(1).as('c')).select('c.id'),
    )
    .where(ready)
    .returningAll()
    .execute();
  return rows[0];
}

/** Extends the lease; false when this worker no longer holds it. Returns whether cancel was asked. */
export async function renewLease(
  db: Db,
  id: string,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const row = await db
    .updateTable('jobs')
    .set({ lease_expires_at: now + leaseMs, updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .returning(['cancel_requested'])
    .executeTakeFirst();
  return { held: row !== undefined, cancelRequested: row?.cancel_requested === 1 };
}

export async function updateJobProgress(
  db: Db,
  id: string,
  owner: string,
  fields: { progress?: string; checkpoint?: string },
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ ...fields, updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function finishJob(
  db: Db,
  id: string,
  owner: string,
  fields: Partial<Pick<JobsTable, 'state' | 'result' | 'error' | 'run_at' | 'progress' | 'finished_at'>>,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ ...fields, lease_owner: null, lease_expires_at: null, updated_at: now })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * A job its worker stopped before its end (the process is stopping): queued again at once, without its lease, and
 * with the attempt it was given back, so the next worker resumes it from its checkpoint and a restart costs no try.
 */
export async function handBackJob(db: Db, id: string, owner: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'queued',
      run_at: now,
      attempts: eb('attempts', '-', 1),
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
    }))
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function requestJobCancel(db: Db, id: string, now: number): Promise<'cancelled' | 'requested' | null> {
  const queued = await db
    .updateTable('jobs')
    .set({ state: 'cancelled', finished_at: now, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'queued')
    .executeTakeFirst();
  if (Number(queued.numUpdatedRows) === 1) return 'cancelled';
  const running = await db
    .updateTable('jobs')
    .set({ cancel_requested: 1, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(running.numUpdatedRows) === 1 ? 'requested' : null;
}

export async function countJobsByState(db: Db, type: string, dedupePrefix?: string) {
  let q = db
    .selectFrom('jobs')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('type', '=', type)
    .groupBy('state');
  if (dedupePrefix) q = q.where('dedupe_key', 'like', `${dedupePrefix}%`);
  const rows = await q.execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) as Partial<Record<JobsTable['state'], number>>;
}
