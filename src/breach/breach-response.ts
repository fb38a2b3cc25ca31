// The breach response: one command that makes every user in scope choose a new password. The users are
// walked in batches, one transaction each: flag the account (from that commit on, its sessions, device
// tokens and app passwords are refused by the one token check), void every outstanding link or step that
// could open it, and record it. The response's own row per user is written in that same transaction, so a
// batch is done entirely or not at all, and a job resumed after a crash never does a user twice. Then the
// sessions of every flagged user are revoked in one statement, and the notice mails follow in a second
// job, each tied to that row in the transaction that queues it: no user is mailed twice either.
import { newId } from '../crypto.ts';
import type { Deps, JobType } from '../deps.ts';
import { AppError } from '../errors.ts';
import { enqueueJob, PermanentJobError, type JobContext } from '../jobs/runner.ts';
import { revokeSessionsOfUsers } from '../accounts/revocation.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { Actor, RequestContext } from '../accounts/caller.ts';
import type { Db } from '../store/db.ts';
import { ROLE_RANK, ROLES } from '../store/schema.ts';
import { findJob, type JobRow } from '../store/jobs.repository.ts';
import {
  countScope,
  countScopeUsers,
  findActiveBreachResponse,
  findUsersWithRoleAmong,
  findBreachResponse,
  findLatestBreachResponse,
  flagUsers,
  insertBreachResponse,
  insertResponseUsers,
  insertSecurityEvents,
  listBreachResponses,
  nextNoticeRecipients,
  nextScopeBatch,
  newestUser,
  snapshotActiveScope,
  releaseBreachScope,
  respondedUserIds,
  responseCounts,
  sampleScopeUsernames,
  setInvitesVoided,
  setNoticeMails,
  insertNoticeMails,
  updateBreachResponse,
  voidInvitesOfScope,
  voidTokensOfUsers,
  addRevokedCounts,
  responseUserIds,
  type BreachResponseRow,
  type StoredScope,
  type UserCursor,
} from '../store/breach.repository.ts';
import { breachNoticeRows, checkNoticeMessage } from './notice.ts';
import { currentPasswordKeyVersion, rotatePasswordKey } from './password-key.ts';
import { describeScope, resolveScope, scopeView, type ScopeInput, type ScopeView } from './scope.ts';

export const BREACH_RESPONSE_JOB = 'breach.response';
export const BREACH_NOTICES_JOB = 'breach.notices';
export const DEFAULT_BATCH_SIZE = 1000;
export const MAX_BATCH_SIZE = 5000;
export const MAX_REASON_LENGTH = 500;
export const MAX_MESSAGE_LENGTH = 10_000;
/** Notices per transaction: rendered outside it, written with one multi-row statement per table. */
const NOTICE_BATCH_SIZE = 500;

export interface StartInput {
  scope: ScopeInput;
  reason: string;
  message: string;
  dryRun?: boolean;
  rotatePasswordKey?: boolean;
  batchSize?: number;
}

/** The dry run's answer: what a start would do, counted without changing anything. */
export interface BreachPlan {
  dry_run: true;
  scope: ScopeView;
  scope_description: string;
  users: number;
  users_already_flagged: number;
  /** A few of the users, by name, so the operator can tell the scope is the one meant. */
  users_sample: string[];
  sessions: number;
  app_passwords: number;
  reset_and_alert_links: number;
  pending_sign_ins: number;
  link_codes: number;
  invites: number;
  mails: number;
  password_key_version: { from: number; to: number } | null;
}

export type BreachState = 'queued' | 'flagging' | 'notifying' | 'done' | 'failed' | 'cancelled';

export interface BreachReport {
  users_in_scope: number;
  users_flagged: number;
  sessions_revoked: number;
  app_passwords_revoked: number;
  tokens_voided: number;
  invites_voided: number;
  mails_queued: number;
  mails_pending: number;
  mails_sent: number;
  mails_failed: number;
  users_reset_since: number;
  users_with_two_factor: number;
  users_with_passkey: number;
  users_with_second_factor: number;
}

export interface BreachResponseView {
  id: string;
  state: BreachState;
  scope: ScopeView;
  scope_description: string;
  reason: string;
  message: string;
  rotate_password_key: boolean;
  password_key_version: number | null;
  created_by: { id: string | null; name: string };
  created_at: string;
  flagged_at: string | null;
  finished_at: string | null;
  error: string | null;
  report: BreachReport;
}

interface Progress extends Record<string, unknown> {
  phase: 'flagging' | 'revoking' | 'notifying';
  users_total: number;
  users_flagged: number;
  sessions_revoked: number;
  app_passwords_revoked: number;
  tokens_voided: number;
  notices_queued: number;
}

function checkText(input: StartInput): { reason: string; message: string } {
  const reason = input.reason.trim();
  const message = input.message.replace(/\r\n?/g, '\n').trim();
  if (!reason)
    throw new AppError('invalid_body', 'Give a reason: it is kept with the response and the flag.', {
      field: 'reason',
    });
  if (reason.length > MAX_REASON_LENGTH) {
    throw new AppError('invalid_body', `The reason has at most ${MAX_REASON_LENGTH} characters.`, { field: 'reason' });
  }
  if (!message) {
    throw new AppError('invalid_body', 'Write the notice: what happened, and what was and was not exposed.', {
      field: 'message',
    });
  }
  if (message.length > MAX_MESSAGE_LENGTH) {
    throw new AppError(
      'invalid_body',
      `The notice has at most ${MAX_MESSAGE_LENGTH.toLocaleString('en')} characters.`,
      { field: 'message' },
    );
  }
  return { reason, message };
}

function batchSizeOf(input: StartInput): number {
  const size = input.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new AppError('invalid_body', `The batch size is a whole number from 1 to ${MAX_BATCH_SIZE}.`, {
      field: 'batch_size',
    });
  }
  return size;
}

/** The dry run: exactly what a response over this scope would do now, with nothing changed. */
export async function planBreachResponse(
  deps: Deps,
  scope: StoredScope,
  rotate: boolean,
  now: Date,
): Promise<BreachPlan> {
  const counts = await countScope(deps.db, scope, now);
  const version = await currentPasswordKeyVersion(deps.db);
  return {
    dry_run: true,
    scope: scopeView(scope),
    scope_description: describeScope(scope),
    users: counts.users,
    users_already_flagged: counts.usersAlreadyFlagged,
    users_sample: await sampleScopeUsernames(deps.db, scope, 20),
    sessions: counts.sessions,
    app_passwords: counts.appPasswords,
    reset_and_alert_links: counts.resetTokens,
    pending_sign_ins: counts.pendingSignIns,
    link_codes: counts.linkCodes,
    invites: counts.invites,
    mails: counts.users,
    password_key_version: rotate ? { from: version, to: version + 1 } : null,
  };
}

export type StartResult =
  | { dryRun: true; plan: BreachPlan }
  | { dryRun: false; response: BreachResponseRow; created: boolean };

/**
 * Starts a response, or finds the one already running over the same scope (a second start that asks for
 * what it does resumes it, never runs the same users twice at once; one that asks for more or other is
 * refused). With dryRun, only reports.
 */
/**
 * An admin may not name the owner or another admin in a scope of named users: that would sign them out and lock
 * their password, which no other admin action may do to them (the rule of adminUpdateUser: no one but the owner acts
 * on a rank at or above their own). A response for everyone (or a time window) covers them as it covers all; the
 * owner and the CLI may name anyone.
 */
async function refuseNamedAbove(db: Db, actor: Actor, scope: StoredScope): Promise<void> {
  if (scope.kind !== 'users' || actor.role === undefined || actor.role === 'owner') return;
  const own = ROLE_RANK[actor.role];
  const atOrAbove = ROLES.filter((role) => ROLE_RANK[role] >= own);
  const above = await findUsersWithRoleAmong(db, scope.user_ids, atOrAbove, actor.userId);
  if (above.length === 0) return;
  const names = above.map((u) => u.username).sort();
  throw new AppError(
    'forbidden',
    `Only the owner can name the owner or an admin in a breach response: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''}.`,
  );
}

export async function startBreachResponse(
  deps: Deps,
  actor: Actor,
  input: StartInput,
  ctx: RequestContext,
  now: Date,
): Promise<StartResult> {
  const { reason, message } = checkText(input);
  const batchSize = batchSizeOf(input);
  const { scope, key } = await resolveScope(deps.db, input.scope, now);
  await refuseNamedAbove(deps.db, actor, scope);
  const rotate = input.rotatePasswordKey === true;
  if (rotate && scope.kind !== 'all') {
    throw new AppError(
      'invalid_body',
      'Rotating the password key voids every password on the server, so it goes only with a response for all users.',
      { field: 'rotate_password_key' },
    );
  }
  checkNoticeMessage(deps, message);
  if (input.dryRun) return { dryRun: true, plan: await planBreachResponse(deps, scope, rotate, now) };

  for (let attempt = 0; attempt < 2; attempt++) {
    const running = await findActiveBreachResponse(deps.db, key);
    if (running) {
      if (await stillRunning(deps.db, running)) {
        refuseUnlessSameRequest(running, { reason, message, rotate });
        return { dryRun: false, response: running, created: false };
      }
      // Its job ended without releasing the scope (it failed or was cancelled): a new start may go ahead.
      await releaseBreachScope(deps.db, running.id, now);
    }
    const started = await deps.db.transaction().execute(async (trx) => {
      const id = newId(deps.random);
      // Who is in scope is decided here, once: see StoredScope.
      const frozen: StoredScope =
        scope.kind === 'all'
          ? { kind: 'all', up_to: (await newestUser(trx)) ?? { createdAt: Number.MIN_SAFE_INTEGER, id: '' } }
          : scope.kind === 'active'
            ? { ...scope, snapshot: true }
            : scope;
      let usersTotal = await countScopeUsers(trx, frozen);
      const row: BreachResponseRow = {
        id,
        scope: JSON.stringify(frozen),
        scope_key: key,
        active_key: key,
        reason,
        message,
        rotate_password_key: rotate ? 1 : 0,
        password_key_version: null,
        users_total: usersTotal,
        invites_voided: null,
        sessions_revoked: 0,
        app_passwords_revoked: 0,
        batch_size: batchSize,
        job_id: null,
        notices_job_id: null,
        created_by: actor.userId,
        created_by_name: actor.username.slice(0, 100),
        created_at: now.getTime(),
        flagged_at: null,
        finished_at: null,
      };
      if (!(await insertBreachResponse(trx, row))) return null;
      if (frozen.kind === 'active') {
        usersTotal = await snapshotActiveScope(trx, id, frozen);
        if (usersTotal !== row.users_total) await updateBreachResponse(trx, id, { users_total: usersTotal });
        row.users_total = usersTotal;
      }
      if (rotate) row.password_key_version = await rotatePasswordKey(trx);
      const job = await enqueueJob(
        deps,
        trx,
        {
          type: BREACH_RESPONSE_JOB,
          payload: { responseId: id },
          dedupeKey: `breach-response:${id}`,
          createdBy: actor.userId,
        },
        now,
      );
      row.job_id = job.id;
      await updateBreachResponse(trx, id, { job_id: job.id, password_key_version: row.password_key_version });
      await recordSecurityEvent(
        deps,
        {
          userId: actor.userId,
          type: 'breach_response_started',
          detail: {
            response_id: id,
            by: actor.username,
            scope: describeScope(scope),
            users: usersTotal,
            reason,
            rotate_password_key: rotate,
          },
        },
        ctx,
        now,
        trx,
      );
      if (rotate) {
        await recordSecurityEvent(
          deps,
          {
            userId: actor.userId,
            type: 'password_key_rotated',
            detail: { response_id: id, version: row.password_key_version },
          },
          ctx,
          now,
          trx,
        );
      }
      return row;
    });
    if (started) {
      deps.log.warn(
        { event: 'breach_response_started', response: started.id, users: started.users_total, by: actor.username },
        `Breach response ${started.id} started by ${actor.username} for ${describeScope(scope)} (${started.users_total} users)`,
      );
      return { dryRun: false, response: started, created: true };
    }
  }
  throw new AppError(
    'conflict',
    'Another response over the same users is starting right now. Look at the list of responses.',
  );
}

/**
 * A start over users a response is still running for resumes that response, which does what it was
 * started with; so only a start that asks for the same may resume it, or the operator takes for done what
 * will not be. A rotation asked for now would not happen. Another notice would not be mailed (the running
 * response mails its own). Another reason is another incident: it is recorded with every flag and in every
 * user's security log, and the users who chose a new password under the running response must be flagged
 * again for it, which only a response started after this one can do. A rotation that the running response
 * made and this start does not ask for is no refusal: it was done at that response's start and cannot be
 * undone or redone; the response says so (rotate_password_key, password_key_version). The batch size is
 * how, not what: the running response keeps its own.
 */
function refuseUnlessSameRequest(
  running: BreachResponseRow,
  asked: { reason: string; message: string; rotate: boolean },
): void {
  const differs: string[] = [];
  const explained: string[] = [];
  if (asked.rotate && running.rotate_password_key !== 1) {
    differs.push('rotate_password_key');
    explained.push('this start asks to rotate the password key, and the running response does not rotate it');
  }
  if (asked.reason !== running.reason) {
    differs.push('reason');
    explained.push(`its reason is "${running.reason}"`);
  }
  if (asked.message !== running.message) {
    differs.push('message');
    explained.push('it mails another notice text');
  }
  if (differs.length === 0) return;
  throw new AppError(
    'conflict',
    `Breach response ${running.id} (started ${new Date(running.created_at).toISOString()} by ${running.created_by_name}) is still ` +
      `running over the same users, and this start asks for something else: ${explained.join('; ')}. Nothing was changed. ` +
      `A start with its reason and notice text${asked.rotate && running.rotate_password_key !== 1 ? ', without rotating the key,' : ''} resumes it; ` +
      'anything else can start once it has ended.',
    { response_id: running.id, differs },
  );
}

async function stillRunning(db: Db, row: BreachResponseRow): Promise<boolean> {
  if (row.finished_at !== null) return false;
  for (const jobId of [row.job_id, row.notices_job_id]) {
    if (!jobId) continue;
    const job = await findJob(db, jobId);
    if (job && (job.state === 'failed' || job.state === 'cancelled')) return false;
  }
  return true;
}

// The jobs

function parseScope(row: BreachResponseRow): StoredScope {
  return JSON.parse(row.scope) as StoredScope;
}

async function loadResponse(deps: Deps, ctx: JobContext<{ responseId: string }>): Promise<BreachResponseRow> {
  const id = ctx.payload?.responseId;
  if (typeof id !== 'string') throw new PermanentJobError('the job names no breach response');
  const row = await findBreachResponse(deps.db, id);
  if (!row) throw new PermanentJobError(`breach response ${id} is gone`);
  return row;
}

/**
 * Between batches: gives the event loop a turn (on SQLite every query is synchronous, so without it a long
 * response would hold up every request and timer of the process until it ends), then stops if asked to.
 */
async function betweenBatches(signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('the job was stopped');
}

/** Where the response job got to: the users walk, then the one revocation step. */
interface ResponseCheckpoint {
  phase: 'users' | 'sessions';
  after: UserCursor | null;
}

/**
 * Flags, voids and records one batch of users in one transaction. Their sessions are refused from the
 * commit on (the one token check refuses a flagged account); the rows are revoked after the walk.
 */
async function respondToBatch(
  deps: Deps,
  row: BreachResponseRow,
  scope: StoredScope,
  after: UserCursor | null,
  now: Date,
): Promise<{ last: UserCursor | null; users: number; tokens: number }> {
  return deps.db.transaction().execute(async (trx) => {
    const batch = await nextScopeBatch(trx, row.id, scope, after, row.batch_size);
    const last = batch[batch.length - 1] ?? null;
    const done = await respondedUserIds(trx, row.id, batch);
    const fresh = batch.filter((u) => !done.has(u.id));
    if (fresh.length === 0) return { last, users: 0, tokens: 0 };
    const ids = fresh.map((u) => u.id);
    await flagUsers(trx, ids, `breach_response:${row.id}`, now);
    const voided = await voidTokensOfUsers(trx, ids, now);
    const tokens = new Map<string, number>();
    for (const userId of voided) tokens.set(userId, (tokens.get(userId) ?? 0) + 1);
    await insertResponseUsers(
      trx,
      fresh.map((u) => ({
        response_id: row.id,
        user_created_at: u.createdAt,
        user_id: u.id,
        flagged_at: now.getTime(),
        tokens_voided: tokens.get(u.id) ?? 0,
        mail_id: null,
      })),
    );
    return { last, users: fresh.length, tokens: voided.length };
  });
}

/**
 * Revokes, in one statement and one transaction, every session, device token and app password that the
 * flagged users had up to the end of the walk. One transaction writes each page of the sessions table
 * once, where per-batch revocation would rewrite most pages once per batch (a user's sessions lie all over
 * the table). Sessions made after the walk belong to users who have chosen a new password since.
 */
async function revokeResponseSessions(deps: Deps, row: BreachResponseRow, cutoff: number, now: Date) {
  const { sessions, announce } = await deps.db.transaction().execute(async (trx) => {
    // Every user was walked: every session made up to the end of the walk goes, with no list to check against.
    const users = parseScope(row).kind === 'all' ? 'all' : responseUserIds(trx, row.id);
    const revoked = await revokeSessionsOfUsers(deps, trx, users, 'breach_response', now, {
      createdUpTo: cutoff,
      manyUsers: row.users_total > 1000,
    });
    const apps = revoked.sessions.filter((s) => s.kind === 'app').length;
    await addRevokedCounts(trx, row.id, revoked.sessions.length - apps, apps);
    return revoked;
  });
  await announce();
  return sessions;
}

async function progressFromStore(deps: Deps, row: BreachResponseRow, phase: Progress['phase']): Promise<Progress> {
  const counts = await responseCounts(deps.db, row.id);
  const fresh = (await findBreachResponse(deps.db, row.id)) ?? row;
  return {
    phase,
    users_total: row.users_total,
    users_flagged: counts.users,
    sessions_revoked: fresh.sessions_revoked,
    app_passwords_revoked: fresh.app_passwords_revoked,
    tokens_voided: counts.tokens,
    notices_queued: counts.mailsQueued,
  };
}

async function runResponse(
  deps: Deps,
  ctx: JobContext<{ responseId: string }, ResponseCheckpoint>,
): Promise<Record<string, unknown>> {
  let row = await loadResponse(deps, ctx);
  const scope = parseScope(row);
  if (row.invites_voided === null) {
    // Invites are not anyone's account: they are voided once, at the start, with the record that it was done.
    await deps.db.transaction().execute(async (trx) => {
      const count = await voidInvitesOfScope(trx, scope, deps.clock(), row.id);
      if (!(await setInvitesVoided(trx, row.id, count)))
        throw new Error('the invites of this response were voided concurrently');
    });
    row = (await findBreachResponse(deps.db, row.id))!;
  }
  // Counted from the store, not carried over: a batch that committed just before a crash is counted too.
  const progress = await progressFromStore(deps, row, 'flagging');
  await ctx.progress(progress);
  let checkpoint: ResponseCheckpoint = ctx.checkpoint ?? { phase: 'users', after: null };
  while (checkpoint.phase === 'users') {
    await betweenBatches(ctx.signal);
    const outcome = await respondToBatch(deps, row, scope, checkpoint.after, deps.clock());
    progress.users_flagged += outcome.users;
    progress.tokens_voided += outcome.tokens;
    checkpoint = outcome.last ? { phase: 'users', after: outcome.last } : { phase: 'sessions', after: null };
    if (checkpoint.phase === 'sessions') {
      // The cut-off for the revocation is fixed once, before the step, so that a rerun revokes the same set.
      await updateBreachResponse(deps.db, row.id, { flagged_at: row.flagged_at ?? deps.clock().getTime() });
      row = (await findBreachResponse(deps.db, row.id))!;
      progress.phase = 'revoking';
    }
    if (!(await ctx.checkpointed(checkpoint, progress))) throw new Error('the lease on this job was lost');
  }
  await betweenBatches(ctx.signal);
  const revoked = await revokeResponseSessions(deps, row, row.flagged_at!, deps.clock());
  const apps = revoked.filter((s) => s.kind === 'app').length;
  progress.sessions_revoked += revoked.length - apps;
  progress.app_passwords_revoked += apps;
  const now = deps.clock();
  const notices = await enqueueJob(
    deps,
    deps.db,
    {
      type: BREACH_NOTICES_JOB,
      payload: { responseId: row.id },
      dedupeKey: `breach-notices:${row.id}`,
      createdBy: row.created_by,
    },
    now,
  );
  await updateBreachResponse(deps.db, row.id, { notices_job_id: notices.id });
  deps.log.info(
    {
      event: 'breach_response_flagged',
      response: row.id,
      users: progress.users_flagged,
      sessions: progress.sessions_revoked,
    },
    `Breach response ${row.id}: ${progress.users_flagged} users flagged, ${progress.sessions_revoked + progress.app_passwords_revoked} sessions revoked`,
  );
  return { ...progress, phase: 'flagged', notices_job: notices.id };
}

/**
 * Queues one notice per flagged user, and writes the line in the user's own security log that says what
 * was done to the account and why (dated when it was flagged): both in one transaction with the record
 * that it was done. They are kept out of the flagging batches on purpose: that work is what stops the
 * stolen credentials, and it stays small and quick.
 *
 * A batch is read and rendered outside the transaction (rendering and sealing are most of a notice's cost), then
 * written with one multi-row statement per table; the next batch is read and rendered while the store commits
 * this one. The record ties each mail to its user only where none is tied yet, and the batch commits only if
 * every one of its users was tied by it: a notice is queued once per user, crash or concurrent worker or not.
 */
async function runNotices(
  deps: Deps,
  ctx: JobContext<{ responseId: string }, { after: UserCursor }>,
): Promise<Record<string, unknown>> {
  const row = await loadResponse(deps, ctx);
  const progress = await progressFromStore(deps, row, 'notifying');
  await ctx.progress(progress);
  const prepare = async (after: UserCursor | null) => {
    const now = deps.clock();
    const { recipients, last } = await nextNoticeRecipients(deps.db, row.id, after, NOTICE_BATCH_SIZE);
    return { recipients, last, rows: breachNoticeRows(deps, row, recipients, now) };
  };
  const write = async (batch: Awaited<ReturnType<typeof prepare>>) => {
    const { recipients, rows } = batch;
    if (recipients.length === 0) return;
    await deps.db.transaction().execute(async (trx) => {
      await insertNoticeMails(trx, rows.jobs, rows.messages);
      // The mails and their records commit together.
      const tied = await setNoticeMails(
        trx,
        row.id,
        recipients.map((r, i) => ({ user: { createdAt: r.user_created_at, id: r.user_id }, mailId: rows.mailIds[i]! })),
      );
      if (tied !== recipients.length)
        throw new Error(`${recipients.length - tied} of these notices were queued concurrently`);
      await insertSecurityEvents(
        trx,
        recipients.map((r) => ({
          id: newId(deps.random),
          user_id: r.user_id,
          type: 'breach_response_flagged',
          ip: null,
          device: null,
          detail: JSON.stringify({
            response_id: row.id,
            reason: row.reason,
            signed_out: true,
            tokens_voided: r.tokens_voided,
          }),
          created_at: r.flagged_at,
        })),
      );
    });
    deps.jobs.kick();
  };
  let next = prepare(ctx.checkpoint?.after ?? null);
  for (;;) {
    const batch = await next;
    if (!batch.last) break;
    await betweenBatches(ctx.signal);
    const written = write(batch);
    // Read and render the next batch while this one is written (on PostgreSQL the store works meanwhile).
    next = prepare(batch.last);
    next.catch(() => {});
    await written;
    progress.notices_queued += batch.recipients.length;
    if (!(await ctx.checkpointed({ after: batch.last }, progress))) throw new Error('the lease on this job was lost');
  }
  await releaseBreachScope(deps.db, row.id, deps.clock());
  deps.log.info(
    { event: 'breach_response_notices_queued', response: row.id, notices: progress.notices_queued },
    `Breach response ${row.id}: notices queued`,
  );
  return { ...progress, phase: 'done' };
}

export function breachResponseJobType(): JobType<{ responseId: string }, ResponseCheckpoint> {
  return {
    type: BREACH_RESPONSE_JOB,
    run: (deps, ctx) => runResponse(deps, ctx),
    maxAttempts: 20,
    backoffMs: (attempt) => Math.min(60_000, 1000 * 2 ** attempt),
  };
}

export function breachNoticesJobType(): JobType<{ responseId: string }, { after: UserCursor }> {
  return {
    type: BREACH_NOTICES_JOB,
    run: (deps, ctx) => runNotices(deps, ctx),
    maxAttempts: 20,
    backoffMs: (attempt) => Math.min(60_000, 1000 * 2 ** attempt),
  };
}

// Reading

function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

function stateOf(row: BreachResponseRow, job: JobRow | undefined, notices: JobRow | undefined): BreachState {
  for (const j of [job, notices]) {
    if (j?.state === 'failed') return 'failed';
    if (j?.state === 'cancelled') return 'cancelled';
  }
  if (row.finished_at !== null) return 'done';
  if (job?.state === 'done') return 'notifying';
  return job?.state === 'running' ? 'flagging' : 'queued';
}

export async function breachResponseView(deps: Pick<Deps, 'db'>, row: BreachResponseRow): Promise<BreachResponseView> {
  const job = row.job_id ? await findJob(deps.db, row.job_id) : undefined;
  const notices = row.notices_job_id ? await findJob(deps.db, row.notices_job_id) : undefined;
  const counts = await responseCounts(deps.db, row.id);
  const scope = parseScope(row);
  const states = counts.mailStates;
  return {
    id: row.id,
    state: stateOf(row, job, notices),
    scope: scopeView(scope),
    scope_description: describeScope(scope),
    reason: row.reason,
    message: row.message,
    rotate_password_key: row.rotate_password_key === 1,
    password_key_version: row.password_key_version,
    created_by: { id: row.created_by, name: row.created_by_name },
    created_at: new Date(row.created_at).toISOString(),
    flagged_at: iso(row.flagged_at),
    finished_at: iso(row.finished_at),
    error: (job?.state === 'failed' ? job.error : null) ?? (notices?.state === 'failed' ? notices.error : null) ?? null,
    report: {
      users_in_scope: row.users_total,
      users_flagged: counts.users,
      sessions_revoked: row.sessions_revoked,
      app_passwords_revoked: row.app_passwords_revoked,
      tokens_voided: counts.tokens,
      invites_voided: row.invites_voided ?? 0,
      mails_queued: counts.mailsQueued,
      mails_pending: (states.queued ?? 0) + (states.sending ?? 0),
      mails_sent: states.sent ?? 0,
      mails_failed: states.failed ?? 0,
      users_reset_since: counts.resetSince,
      users_with_two_factor: counts.withTotp,
      users_with_passkey: counts.withPasskey,
      users_with_second_factor: counts.withEither,
    },
  };
}

export async function getBreachResponse(deps: Pick<Deps, 'db'>, id: string): Promise<BreachResponseRow> {
  const row = await findBreachResponse(deps.db, id);
  if (!row) throw new AppError('not_found');
  return row;
}

export async function latestBreachResponse(deps: Pick<Deps, 'db'>): Promise<BreachResponseRow | undefined> {
  return findLatestBreachResponse(deps.db);
}

export async function listBreachResponseViews(deps: Pick<Deps, 'db'>, limit = 50): Promise<BreachResponseView[]> {
  const rows = await listBreachResponses(deps.db, limit);
  const views: BreachResponseView[] = [];
  for (const row of rows) views.push(await breachResponseView(deps, row));
  return views;
}
