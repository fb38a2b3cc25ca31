// The mail queue's messages and the one-use tokens that mails carry. Bodies are stored sealed; token
// values never: only their SHA-256.
import { sql } from 'kysely';
import { compiledOnce, type Db, type Parameter } from './db.ts';
import type { MailMessagesTable, MailState, MailTokenPurpose, MailTokensTable } from './schema.ts';
import { consumeOnce } from './consume-once.ts';

export type MailMessageRow = MailMessagesTable;

export async function insertMailMessage(db: Db, row: MailMessagesTable): Promise<void> {
  await db.insertInto('mail_messages').values(row).execute();
}

export async function findMailMessage(db: Db, id: string): Promise<MailMessageRow | undefined> {
  return db.selectFrom('mail_messages').selectAll().where('id', '=', id).executeTakeFirst();
}

const summaryColumns = [
  'id',
  'user_id',
  'recipient',
  'template',
  'subject',
  'state',
  'attempts',
  'message_id',
  'transport',
  'outbox_file',
  'sent_at',
  'error',
  'created_at',
] as const;

export type MailSummaryRow = Pick<MailMessagesTable, (typeof summaryColumns)[number]>;

/** The queue as an admin sees it: no bodies. */
export async function listMailMessages(db: Db, query: { state?: MailState; limit: number }): Promise<MailSummaryRow[]> {
  let q = db
    .selectFrom('mail_messages')
    .select(summaryColumns)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(query.limit);
  if (query.state) q = q.where('state', '=', query.state);
  return q.execute();
}

export async function countMailByState(db: Db): Promise<Partial<Record<MailState, number>>> {
  const rows = await db
    .selectFrom('mail_messages')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/**
 * Starts an attempt: counts it and says what the message was in. 'sending' means an earlier attempt handed it
 * to the transport and never recorded how that ended (its worker died); null when there is nothing to do.
 */
export async function startMailAttempt(db: Db, id: string, now: Date): Promise<'queued' | 'sending' | null> {
  const row = await db
    .updateTable('mail_messages')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: now.getTime() }))
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'sending'])
    .returning('state')
    .executeTakeFirst();
  return (row?.state as 'queued' | 'sending' | undefined) ?? null;
}

/**
 * Records the hand-over to the transport before it happens, so a worker that dies during it leaves a trace
 * the next attempt reads (never twice). False when another attempt changed the message meanwhile.
 */
export async function recordMailHandOver(db: Db, id: string, from: 'queued' | 'sending', now: Date): Promise<boolean> {
  const result = await db
    .updateTable('mail_messages')
    .set({ state: 'sending', updated_at: now.getTime() })
    .where('id', '=', id)
    .where('state', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A hand-over whose worker died: kept for the operator, not sent again (the server may have it already). */
export async function markMailUnconfirmed(db: Db, id: string, note: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('mail_messages')
    .set({ state: 'unconfirmed', error: note, updated_at: now.getTime() })
    .where('id', '=', id)
    .where('state', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function markMailSent(
  db: Db,
  id: string,
  fields: { transport: 'smtp' | 'outbox'; outboxFile: string | null },
  now: Date,
): Promise<void> {
  await db
    .updateTable('mail_messages')
    .set({
      state: 'sent',
      transport: fields.transport,
      outbox_file: fields.outboxFile,
      sent_at: now.getTime(),
      error: null,
      updated_at: now.getTime(),
    })
    .where('id', '=', id)
    .where('state', '!=', 'sent')
    .execute();
}

export async function recordMailError(
  db: Db,
  id: string,
  error: string,
  state: 'queued' | 'failed',
  now: Date,
): Promise<void> {
  await db
    .updateTable('mail_messages')
    .set({ state, error: error.slice(0, 1000), updated_at: now.getTime() })
    .where('id', '=', id)
    .where('state', '!=', 'sent')
    .execute();
}

export async function insertMailToken(db: Db, row: MailTokensTable): Promise<void> {
  await db.insertInto('mail_tokens').values(row).execute();
}

/** An unused, unexpired token of this purpose. For the one function that checks it. */
export async function findLiveMailToken(
  db: Db,
  purpose: MailTokenPurpose,
  tokenHash: string,
  now: Date,
): Promise<Pick<MailTokensTable, 'id' | 'user_id' | 'email' | 'expires_at'> | undefined> {
  return (
    db
      .selectFrom('mail_tokens')
      .innerJoin('users', 'users.id', 'mail_tokens.user_id')
      .select(['mail_tokens.id', 'mail_tokens.user_id', 'mail_tokens.email', 'mail_tokens.expires_at'])
      .where('mail_tokens.token_hash', '=', tokenHash)
      .where('mail_tokens.purpose', '=', purpose)
      .where('mail_tokens.used_at', 'is', null)
      .where('mail_tokens.expires_at', '>', now.getTime())
      // A reset link older than the password it would replace is dead, even if a path forgot to void it.
      .$if(purpose === 'password_reset', (qb) =>
        qb.where((eb) =>
          eb.or([
            eb('users.password_changed_at', 'is', null),
            eb('mail_tokens.created_at', '>=', eb.ref('users.password_changed_at')),
          ]),
        ),
      )
      .executeTakeFirst()
  );
}

/** Spends a token; the condition in the UPDATE makes two concurrent uses impossible. */
export async function consumeMailToken(db: Db, id: string, now: Date): Promise<boolean> {
  return consumeOnce(db, 'mail_tokens', { id }, now, { unexpired: true });
}

/** Voids every outstanding token of these purposes for a user. */
export async function voidMailTokens(db: Db, userId: string, purposes: MailTokenPurpose[], now: Date): Promise<number> {
  const result = await db
    .updateTable('mail_tokens')
    .set({ used_at: now.getTime() })
    .where('user_id', '=', userId)
    .where('purpose', 'in', purposes)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Drops tokens a day past their expiry, and spent ones a day after use. */
export async function deleteExpiredMailTokens(db: Db, now: Date): Promise<void> {
  const dayAgo = now.getTime() - 24 * 3600_000;
  await db
    .deleteFrom('mail_tokens')
    .where((eb) => eb.or([eb('expires_at', '<', dayAgo), eb('used_at', '<', dayAgo)]))
    .execute();
}

/** How many devices the account knows (the sign-in alert skips an account's very first one). */
export async function countKnownDevices(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('known_devices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Sign-ins recorded for the account, all or from one address, counted up to 2: callers only ask whether a
 * sign-in is the first, and counting them all ran on every sign-in over a log that grows for ever.
 */
export async function countSignIns(db: Db, userId: string, ip?: string): Promise<number> {
  const rows = ip === undefined ? await signIns(db, { userId }) : await signInsFrom(db, { userId, ip });
  return rows.length;
}

// Both run at every sign-in (the new-address alert): compiled once, at most two rows each.
// The type is written out, not a parameter: that is what lets the store use the index of sign-ins alone
// (security_events_sign_in_address, a partial index); so is the limit, which SQLite then plans for.
const signInEvents = (db: Db, userId: unknown) =>
  db
    .selectFrom('security_events')
    .select(sql<number>`1`.as('one'))
    .where('user_id', '=', userId as string)
    .where('type', '=', sql.lit('sign_in'))
    .limit(sql.lit(2));
const signIns = compiledOnce((db, p: Parameter<'userId'>) => signInEvents(db, p('userId')));
const signInsFrom = compiledOnce((db, p: Parameter<'userId' | 'ip'>) =>
  signInEvents(db, p('userId')).where('ip', '=', p('ip')),
);
