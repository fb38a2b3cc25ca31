// Breach responses: the responses themselves, the users each one has dealt with, the batch writes that
// flag, void and record many users in one statement each, the report's counts, and the credential
// stuffing alerts. Batch helpers take at most a few thousand ids (callers batch).
import { sql } from 'kysely';
import type { Db } from './db.ts';
import type {
  BreachResponsesTable,
  BreachResponseUsersTable,
  JobsTable,
  MailMessagesTable,
  MailState,
  SecurityAlertsTable,
  SecurityEventsTable,
  Role,
} from './schema.ts';

export type BreachResponseRow = BreachResponsesTable;

/**
 * What a response walks. Fixed when it starts: all users up to the newest one then (`up_to`; an account made
 * later is not the breach's; the bound is the newest user's creation time and id, so an account made in the very
 * millisecond of the start with a lower id, or by an instance whose clock lags, still falls inside it), a list, or
 * those active in the window then (`snapshot`: their ids were written to breach_response_scope in the start's
 * transaction). Responses started before the snapshot existed have neither and are walked as they were.
 */
export type StoredScope =
  | { kind: 'all'; up_to?: UserCursor }
  | { kind: 'users'; user_ids: string[] }
  | { kind: 'active'; since: number; until: number; snapshot?: true };

/** Rows per multi-row INSERT: well below SQLite's and PostgreSQL's limits on bound parameters. */
const INSERT_CHUNK = 500;

/** Inserts the response unless one with the same active key runs; false then. */
export async function insertBreachResponse(db: Db, row: BreachResponsesTable): Promise<boolean> {
  const result = await db
    .insertInto('breach_responses')
    .values(row)
    .onConflict((oc) => oc.column('active_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function findBreachResponse(db: Db, id: string): Promise<BreachResponseRow | undefined> {
  return db.selectFrom('breach_responses').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findActiveBreachResponse(db: Db, activeKey: string): Promise<BreachResponseRow | undefined> {
  return db.selectFrom('breach_responses').selectAll().where('active_key', '=', activeKey).executeTakeFirst();
}

export async function findLatestBreachResponse(db: Db): Promise<BreachResponseRow | undefined> {
  return db
    .selectFrom('breach_responses')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

export async function listBreachResponses(db: Db, limit: number): Promise<BreachResponseRow[]> {
  return db
    .selectFrom('breach_responses')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function updateBreachResponse(
  db: Db,
  id: string,
  patch: Partial<
    Pick<
      BreachResponsesTable,
      'users_total' | 'active_key' | 'job_id' | 'notices_job_id' | 'flagged_at' | 'finished_at' | 'password_key_version'
    >
  >,
): Promise<void> {
  await db.updateTable('breach_responses').set(patch).where('id', '=', id).execute();
}

/** Records the invites voided at the response's start; false when that was done already. */
export async function setInvitesVoided(db: Db, id: string, count: number): Promise<boolean> {
  const result = await db
    .updateTable('breach_responses')
    .set({ invites_voided: count })
    .where('id', '=', id)
    .where('invites_voided', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Adds what the response's revocation step signed out (the step runs once; a rerun adds nothing). */
export async function addRevokedCounts(db: Db, id: string, sessions: number, appPasswords: number): Promise<void> {
  await db
    .updateTable('breach_responses')
    .set((eb) => ({
      sessions_revoked: eb('sessions_revoked', '+', sessions),
      app_passwords_revoked: eb('app_passwords_revoked', '+', appPasswords),
    }))
    .where('id', '=', id)
    .execute();
}

/** The users a response has flagged, as a subquery. */
export function responseUserIds(db: Db, responseId: string) {
  return db
    .selectFrom('breach_response_users')
    .select('breach_response_users.user_id')
    .where('breach_response_users.response_id', '=', responseId);
}

/** Ends the response's claim on its scope, so the same scope can be answered again later. */
export async function releaseBreachScope(db: Db, id: string, now: Date): Promise<void> {
  await db
    .updateTable('breach_responses')
    .set((eb) => ({ active_key: null, finished_at: eb.fn.coalesce('finished_at', eb.val(now.getTime())) }))
    .where('id', '=', id)
    .execute();
}

// Scope

/** Where a walk over the users got to: the last user done, in the order of (created_at, id). */
export interface UserCursor {
  createdAt: number;
  id: string;
}

/** The newest user (the last in walk order), or none: where a response for all users stops. */
export async function newestUser(db: Db): Promise<UserCursor | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'created_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { createdAt: Number(row.created_at), id: row.id } : undefined;
}

/** Writes down who is active in the window now, for the response to walk; returns how many. */
export async function snapshotActiveScope(
  db: Db,
  responseId: string,
  scope: Extract<StoredScope, { kind: 'active' }>,
): Promise<number> {
  const result = await db
    .insertInto('breach_response_scope')
    .columns(['response_id', 'user_created_at', 'user_id'])
    .expression(
      db
        .selectFrom('users')
        .select((eb) => [eb.val(responseId).as('response_id'), 'users.created_at', 'users.id'])
        .where((eb) => eb.exists(activeSessions(eb, scope))),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** The next users in the scope after `after`, in the order they were made (which is the order their rows lie in). */
export async function nextScopeBatch(
  db: Db,
  responseId: string,
  scope: StoredScope,
  after: UserCursor | null,
  limit: number,
): Promise<UserCursor[]> {
  if (scope.kind === 'active' && scope.snapshot) {
    let q = db
      .selectFrom('breach_response_scope')
      .innerJoin('users', 'users.id', 'breach_response_scope.user_id')
      .select(['users.id', 'users.created_at'])
      .where('breach_response_scope.response_id', '=', responseId);
    if (after) {
      q = q.where((eb) =>
        eb(
          eb.refTuple('breach_response_scope.user_created_at', 'breach_response_scope.user_id'),
          '>',
          eb.tuple(after.createdAt, after.id),
        ),
      );
    }
    const rows = await q
      .orderBy('breach_response_scope.user_created_at')
      .orderBy('breach_response_scope.user_id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ createdAt: Number(r.created_at), id: r.id }));
  }
  let q = db.selectFrom('users').select(['users.id', 'users.created_at']);
  if (scope.kind === 'all' && scope.up_to) {
    const last = scope.up_to;
    q = q
      .where('users.created_at', '<=', last.createdAt)
      .where((eb) => eb.or([eb('users.created_at', '<', last.createdAt), eb('users.id', '<=', last.id)]));
  }
  if (after) {
    q = q
      .where('users.created_at', '>=', after.createdAt)
      .where((eb) => eb.or([eb('users.created_at', '>', after.createdAt), eb('users.id', '>', after.id)]));
  }
  if (scope.kind === 'users') q = q.where('users.id', 'in', scope.user_ids.length ? scope.user_ids : ['']);
  if (scope.kind === 'active') q = q.where((eb) => eb.exists(activeSessions(eb, scope)));
  const rows = await q.orderBy('users.created_at').orderBy('users.id').limit(limit).execute();
  return rows.map((r) => ({ createdAt: Number(r.created_at), id: r.id }));
}

/** A session whose life overlaps the window: the user was signed in and active then. */
function activeSessions(eb: any, scope: Extract<StoredScope, { kind: 'active' }>) {
  return eb
    .selectFrom('sessions')
    .select('sessions.id')
    .whereRef('sessions.user_id', '=', 'users.id')
    .where('sessions.last_seen_at', '>=', scope.since)
    .where('sessions.created_at', '<=', scope.until);
}

/** The ids in the scope as a subquery, for counting without fetching. */
function scopeUserIds(db: Db, scope: StoredScope, responseId?: string) {
  if (scope.kind === 'active' && scope.snapshot && responseId) {
    return db
      .selectFrom('breach_response_scope')
      .select('breach_response_scope.user_id as id')
      .where('breach_response_scope.response_id', '=', responseId);
  }
  let q = db.selectFrom('users').select('users.id');
  if (scope.kind === 'all' && scope.up_to) {
    const last = scope.up_to;
    q = q
      .where('users.created_at', '<=', last.createdAt)
      .where((eb) => eb.or([eb('users.created_at', '<', last.createdAt), eb('users.id', '<=', last.id)]));
  }
  if (scope.kind === 'users') q = q.where('users.id', 'in', scope.user_ids.length ? scope.user_ids : ['']);
  if (scope.kind === 'active') q = q.where((eb) => eb.exists(activeSessions(eb, scope)));
  return q;
}

/**
 * Logins per lookup. Each is matched against three columns, so a chunk binds three times as many
 * parameters: 3,000, well below SQLite's 32,766 and PostgreSQL's 65,535 (a scope may name 10,000 users,
 * each typed one way and lower-cased: 20,000 logins).
 */
const LOGIN_CHUNK = 1000;

/** The users whose id, lower-cased username or lower-cased email is one of these logins, each once. */
export async function findUserIdsByLogins(
  db: Db,
  logins: string[],
): Promise<{ id: string; username_lower: string; email_lower: string }[]> {
  const found = new Map<string, { id: string; username_lower: string; email_lower: string }>();
  for (let i = 0; i < logins.length; i += LOGIN_CHUNK) {
    const chunk = logins.slice(i, i + LOGIN_CHUNK);
    const rows = await db
      .selectFrom('users')
      .select(['id', 'username_lower', 'email_lower'])
      .where((eb) => eb.or([eb('id', 'in', chunk), eb('username_lower', 'in', chunk), eb('email_lower', 'in', chunk)]))
      .execute();
    for (const row of rows) found.set(row.id, row);
  }
  return [...found.values()];
}

/** Those of `ids` whose role is one of `roles`, other than `exceptId` (a named scope's check of rank). */
export async function findUsersWithRoleAmong(
  db: Db,
  ids: string[],
  roles: Role[],
  exceptId: string | null,
): Promise<{ id: string; username: string }[]> {
  const found: { id: string; username: string }[] = [];
  for (let i = 0; i < ids.length; i += LOGIN_CHUNK) {
    let q = db
      .selectFrom('users')
      .select(['id', 'username'])
      .where('id', 'in', ids.slice(i, i + LOGIN_CHUNK))
      .where('role', 'in', roles);
    if (exceptId !== null) q = q.where('id', '!=', exceptId);
    found.push(...(await q.execute()));
  }
  return found;
}

export async function countScopeUsers(db: Db, scope: StoredScope): Promise<number> {
  const row = await db
    .selectFrom(scopeUserIds(db, scope).as('s'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Exactly what a response over this scope would touch now: the dry run's answer. */
export async function countScope(db: Db, scope: StoredScope, now: Date) {
  const t = now.getTime();
  const ids = scopeUserIds(db, scope);
  const users = await db
    .selectFrom('users')
    .select([
      (eb) => eb.fn.countAll<number>().as('n'),
      (eb) => eb.fn.sum<number>(eb.case().when('reset_required', '=', 1).then(1).else(0).end()).as('flagged'),
    ])
    .where('id', 'in', ids)
    .executeTakeFirstOrThrow();
  const sessions = await db
    .selectFrom('sessions')
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .where('user_id', 'in', ids)
    .where('revoked_at', 'is', null)
    .groupBy('kind')
    .execute();
  const mailTokens = await db
    .selectFrom('mail_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', 'in', ids)
    .where('purpose', 'in', VOIDED_MAIL_TOKENS)
    .where('used_at', 'is', null)
    .where('expires_at', '>', t)
    .executeTakeFirstOrThrow();
  const pending = await db
    .selectFrom('pending_sign_ins')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('expires_at', '>', t)
    .where('used_at', 'is', null)
    .where('user_id', 'in', ids)
    .executeTakeFirstOrThrow();
  const links = await db
    .selectFrom('link_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('expires_at', '>', t)
    .where('status', 'in', ['pending', 'approved'])
    .where('user_id', 'in', ids)
    .executeTakeFirstOrThrow();
  const invites = await openInvites(db, scope)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const bySessionKind = Object.fromEntries(sessions.map((r) => [r.kind, Number(r.n)]));
  return {
    users: Number(users.n),
    usersAlreadyFlagged: Number(users.flagged ?? 0),
    sessions: (bySessionKind.web ?? 0) + (bySessionKind.device ?? 0),
    appPasswords: bySessionKind.app ?? 0,
    resetTokens: Number(mailTokens.n),
    pendingSignIns: Number(pending.n),
    linkCodes: Number(links.n),
    invites: Number(invites.n),
  };
}

export async function sampleScopeUsernames(db: Db, scope: StoredScope, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('username')
    .where('id', 'in', scopeUserIds(db, scope))
    .orderBy('username_lower')
    .limit(limit)
    .execute();
  return rows.map((r) => r.username);
}

// The per-batch writes

/** Of these users (a batch, in walk order), the ones the response has dealt with already. */
export async function respondedUserIds(db: Db, responseId: string, users: UserCursor[]): Promise<Set<string>> {
  if (users.length === 0) return new Set();
  const rows = await db
    .selectFrom('breach_response_users')
    .select('user_id')
    .where('response_id', '=', responseId)
    .where('user_created_at', '>=', users[0]!.createdAt)
    .where('user_created_at', '<=', users[users.length - 1]!.createdAt)
    .where(
      'user_id',
      'in',
      users.map((u) => u.id),
    )
    .execute();
  return new Set(rows.map((r) => r.user_id));
}

export async function flagUsers(db: Db, userIds: string[], reason: string, now: Date): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .updateTable('users')
    .set({ reset_required: 1, reset_required_reason: reason, updated_at: now.getTime() })
    .where('id', 'in', userIds)
    .execute();
}

/** Reset and "this wasn't me" links (verification links prove an address, they open nothing). */
export const VOIDED_MAIL_TOKENS = ['password_reset', 'not_me'] as const;

/** Voids every outstanding token of these users that opens anything: reset and sign-in-alert links, mfa steps, link approvals. */
export async function voidTokensOfUsers(db: Db, userIds: string[], now: Date): Promise<string[]> {
  if (userIds.length === 0) return [];
  const t = now.getTime();
  const mail = await db
    .updateTable('mail_tokens')
    .set({ used_at: t })
    .where('user_id', 'in', userIds)
    .where('purpose', 'in', VOIDED_MAIL_TOKENS)
    .where('used_at', 'is', null)
    .where('expires_at', '>', t)
    .returning('user_id')
    .execute();
  const pending = await db
    .updateTable('pending_sign_ins')
    .set({ used_at: t })
    .where('expires_at', '>', t)
    .where('used_at', 'is', null)
    .where('user_id', 'in', userIds)
    .returning('user_id')
    .execute();
  const links = await db
    .updateTable('link_codes')
    .set({ status: 'denied', decided_at: t })
    .where('expires_at', '>', t)
    .where('status', 'in', ['pending', 'approved'])
    .where('user_id', 'in', userIds)
    .returning('user_id')
    .execute();
  return [...mail, ...pending, ...links].map((r) => r.user_id!);
}

function openInvites(db: Db, scope: StoredScope) {
  let q = db.selectFrom('invites').where('used_at', 'is', null).where('revoked_at', 'is', null);
  if (scope.kind !== 'all') q = q.where('created_by', 'in', scopeUserIds(db, scope));
  return q;
}

/**
 * Voids the open invites: all of them, or those made by users in a narrower scope (made with their stolen session,
 * perhaps). `responseId` names the response whose snapshot of an active window holds the users.
 */
export async function voidInvitesOfScope(db: Db, scope: StoredScope, now: Date, responseId?: string): Promise<number> {
  let q = db
    .updateTable('invites')
    .set({ revoked_at: now.getTime() })
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null);
  if (scope.kind !== 'all') q = q.where('created_by', 'in', scopeUserIds(db, scope, responseId));
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertResponseUsers(db: Db, rows: BreachResponseUsersTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db
      .insertInto('breach_response_users')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

export async function insertSecurityEvents(db: Db, rows: SecurityEventsTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    await db
      .insertInto('security_events')
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
}

// Notices

export interface NoticeRecipient {
  user_id: string;
  user_created_at: number;
  flagged_at: number;
  tokens_voided: number;
  username: string;
  email: string;
  anti_phishing_phrase: string | null;
}

/**
 * The next users of the response whose notice is not queued yet, in walk order. Two reads, each a range or a
 * lookup by key: the response's rows after the cursor (a row-value range on the primary key, so each batch
 * starts where the last ended), then those users by id. As one join, PostgreSQL's planner, which counts every
 * row of the response still without a mail as a candidate, chose to hash the whole users table for each batch
 * of 100: every notice cost more the more users there were (853 a second at 10,000 users, 21 at 1,000,000).
 */
export async function nextNoticeRecipients(
  db: Db,
  responseId: string,
  after: UserCursor | null,
  limit: number,
): Promise<{ recipients: NoticeRecipient[]; last: UserCursor | null }> {
  let q = db
    .selectFrom('breach_response_users')
    .select(['user_id', 'user_created_at', 'flagged_at', 'tokens_voided'])
    .where('response_id', '=', responseId)
    .where('mail_id', 'is', null);
  if (after)
    q = q.where((eb) => eb(eb.refTuple('user_created_at', 'user_id'), '>', eb.tuple(after.createdAt, after.id)));
  const rows = await q.orderBy('user_created_at').orderBy('user_id').limit(limit).execute();
  if (rows.length === 0) return { recipients: [], last: null };
  const users = await db
    .selectFrom('users')
    .select(['id', 'username', 'email', 'anti_phishing_phrase'])
    .where(
      'id',
      'in',
      rows.map((r) => r.user_id),
    )
    .execute();
  const byId = new Map(users.map((u) => [u.id, u]));
  const recipients: NoticeRecipient[] = [];
  for (const r of rows) {
    const user = byId.get(r.user_id);
    // A user deleted since the walk has no one to mail; the row stays without a mail and the walk goes on past it.
    if (!user) continue;
    recipients.push({
      user_id: r.user_id,
      user_created_at: Number(r.user_created_at),
      flagged_at: Number(r.flagged_at),
      tokens_voided: r.tokens_voided,
      username: user.username,
      email: user.email,
      anti_phishing_phrase: user.anti_phishing_phrase,
    });
  }
  const last = rows[rows.length - 1]!;
  return { recipients, last: { createdAt: Number(last.user_created_at), id: last.user_id } };
}

/** Rows per multi-row INSERT of jobs and mails: 20 columns × 500 = 10,000 parameters at most. */
const NOTICE_INSERT_CHUNK = 500;

/** Queues a batch of notices: their send jobs first (no worker sees a message without its job), then the messages. */
export async function insertNoticeMails(db: Db, jobs: JobsTable[], messages: MailMessagesTable[]): Promise<void> {
  for (let i = 0; i < jobs.length; i += NOTICE_INSERT_CHUNK)
    await db
      .insertInto('jobs')
      .values(jobs.slice(i, i + NOTICE_INSERT_CHUNK))
      .execute();
  for (let i = 0; i < messages.length; i += NOTICE_INSERT_CHUNK) {
    await db
      .insertInto('mail_messages')
      .values(messages.slice(i, i + NOTICE_INSERT_CHUNK))
      .execute();
  }
}

/**
 * Ties each queued notice to its user, in one statement per chunk (an UPDATE … FROM a VALUES list, which SQLite
 * and PostgreSQL both read the same way); returns how many rows were tied. A row already tied is left alone, so a
 * count below the batch's says the notices were queued concurrently (the caller rolls back).
 */
export async function setNoticeMails(
  db: Db,
  responseId: string,
  notices: { user: UserCursor; mailId: string }[],
): Promise<number> {
  let tied = 0;
  for (let i = 0; i < notices.length; i += NOTICE_INSERT_CHUNK) {
    const chunk = notices.slice(i, i + NOTICE_INSERT_CHUNK);
    const values = sql.join(
      chunk.map(
        (n) => sql`(cast(${n.user.createdAt} as bigint), cast(${n.user.id} as text), cast(${n.mailId} as text))`,
      ),
    );
    const result = await sql`
      update breach_response_users set mail_id = v.column3
      from (values ${values}) as v
      where breach_response_users.response_id = ${responseId}
        and breach_response_users.user_created_at = v.column1
        and breach_response_users.user_id = v.column2
        and breach_response_users.mail_id is null`.execute(db);
    tied += Number(result.numAffectedRows ?? 0);
  }
  return tied;
}

// The report

export async function responseCounts(db: Db, responseId: string) {
  const sums = await db
    .selectFrom('breach_response_users')
    .select([
      (eb) => eb.fn.countAll<number>().as('users'),
      (eb) => eb.fn.sum<number>('tokens_voided').as('tokens'),
      (eb) => eb.fn.count<number>('mail_id').as('mails'),
    ])
    .where('response_id', '=', responseId)
    .executeTakeFirstOrThrow();
  const mailStates = await db
    .selectFrom('breach_response_users')
    .innerJoin('mail_messages', 'mail_messages.id', 'breach_response_users.mail_id')
    .select(['mail_messages.state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('breach_response_users.response_id', '=', responseId)
    .groupBy('mail_messages.state')
    .execute();
  const reset = await db
    .selectFrom('breach_response_users')
    .innerJoin('users', 'users.id', 'breach_response_users.user_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('breach_response_users.response_id', '=', responseId)
    .where('users.reset_required', '=', 0)
    .whereRef('users.password_changed_at', '>=', 'breach_response_users.flagged_at')
    .executeTakeFirstOrThrow();
  const factor = (table: 'totp_factors' | 'passkeys') => (eb: any) => {
    let q = eb
      .selectFrom(table)
      .select(`${table}.user_id`)
      .whereRef(`${table}.user_id`, '=', 'breach_response_users.user_id');
    if (table === 'totp_factors') q = q.where('totp_factors.enabled_at', 'is not', null);
    return eb.exists(q);
  };
  const countWhere = async (filter: (eb: any) => any) => {
    const row = await db
      .selectFrom('breach_response_users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('response_id', '=', responseId)
      .where(filter)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    users: Number(sums.users),
    tokens: Number(sums.tokens ?? 0),
    mailsQueued: Number(sums.mails ?? 0),
    mailStates: Object.fromEntries(mailStates.map((r) => [r.state, Number(r.n)])) as Partial<Record<MailState, number>>,
    resetSince: Number(reset.n),
    withTotp: await countWhere(factor('totp_factors')),
    withPasskey: await countWhere(factor('passkeys')),
    withEither: await countWhere((eb) => eb.or([factor('totp_factors')(eb), factor('passkeys')(eb)])),
  };
}

// Credential stuffing

export interface AddressFailures {
  ip: string;
  failures: number;
  accounts: number;
}

/**
 * Failed sign-ins per address since `since`, with how many distinct accounts they aimed at (a known
 * account by id, an unknown login by its recorded name), for addresses above `minFailures`.
 */
export async function failuresByAddress(
  db: Db,
  types: string[],
  since: number,
  minFailures: number,
): Promise<AddressFailures[]> {
  const rows = await db
    .selectFrom('security_events')
    .select([
      'ip',
      (eb) => eb.fn.countAll<number>().as('failures'),
      sql<number>`count(distinct coalesce(user_id, detail))`.as('accounts'),
    ])
    .where('created_at', '>=', since)
    .where('type', 'in', types)
    .where('ip', 'is not', null)
    .groupBy('ip')
    .having((eb) => eb.fn.countAll(), '>', minFailures)
    .execute();
  return rows.map((r) => ({ ip: r.ip!, failures: Number(r.failures), accounts: Number(r.accounts) }));
}

/** All failed sign-ins in [since, until), with the distinct accounts and addresses. */
export async function failureTotals(db: Db, types: string[], since: number, until: number) {
  const row = await db
    .selectFrom('security_events')
    .select([
      (eb) => eb.fn.countAll<number>().as('failures'),
      sql<number>`count(distinct coalesce(user_id, detail))`.as('accounts'),
      sql<number>`count(distinct ip)`.as('addresses'),
    ])
    .where('created_at', '>=', since)
    .where('created_at', '<', until)
    .where('type', 'in', types)
    .executeTakeFirstOrThrow();
  return { failures: Number(row.failures), accounts: Number(row.accounts), addresses: Number(row.addresses) };
}

/** Records an alert unless one of this kind, subject and window exists; true for the one that did. */
export async function insertSecurityAlert(db: Db, row: SecurityAlertsTable): Promise<boolean> {
  const result = await db
    .insertInto('security_alerts')
    .values(row)
    .onConflict((oc) => oc.columns(['kind', 'subject', 'window_start']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function listSecurityAlerts(db: Db, limit: number): Promise<SecurityAlertsTable[]> {
  return db
    .selectFrom('security_alerts')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Lets a job's lease lapse now, when the caller knows its holder is gone (a process on this host that no
 * longer exists), so the job resumes at once instead of after the lease time. Only that holder's lease.
 */
export async function expireLeaseOf(db: Db, jobId: string, owner: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_expires_at: now.getTime() - 1 })
    .where('id', '=', jobId)
    .where('lease_owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
