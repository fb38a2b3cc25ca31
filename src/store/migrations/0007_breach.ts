import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('breach_responses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('scope_key', 'text', (c) => c.notNull())
    // The scope key while the response runs, null once it ends: a second start of the same scope finds
    // the running one instead of starting another (NULLs never collide in a unique column).
    .addColumn('active_key', 'text', (c) => c.unique())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('rotate_password_key', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('password_key_version', 'integer')
    .addColumn('users_total', 'integer', (c) => c.notNull())
    .addColumn('invites_voided', 'integer')
    .addColumn('sessions_revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('app_passwords_revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('batch_size', 'integer', (c) => c.notNull())
    .addColumn('job_id', 'text')
    .addColumn('notices_job_id', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_by_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('flagged_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('breach_responses_created').on('breach_responses').columns(['created_at']).execute();

  // One row per user a response has dealt with, written in the same transaction as the work itself:
  // the row's presence is what makes every step happen once per user, even across crashes. Keyed in the
  // order the response walks the users (when they were made), so each batch appends to the key instead of
  // touching pages all over it.
  await db.schema
    .createTable('breach_response_users')
    .addColumn('response_id', 'text', (c) => c.notNull())
    .addColumn('user_created_at', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('flagged_at', 'bigint', (c) => c.notNull())
    .addColumn('tokens_voided', 'integer', (c) => c.notNull())
    .addColumn('mail_id', 'text')
    .addPrimaryKeyConstraint('breach_response_users_pk', ['response_id', 'user_created_at', 'user_id'])
    .execute();
  // A response walks users in the order they were made, which is the order their rows lie in: each batch
  // then rewrites a few neighbouring pages instead of a few rows on every page of the table.
  await db.schema.createIndex('users_created').on('users').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('security_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    // The address for a per-address alert, '*' for the whole server.
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('security_alerts_once', ['kind', 'subject', 'window_start'])
    .execute();
  await db.schema.createIndex('security_alerts_created').on('security_alerts').columns(['created_at']).execute();
}
