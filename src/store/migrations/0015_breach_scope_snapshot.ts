import type { Kysely } from 'kysely';

// The users an active-window breach response is for, taken once when it starts: who was active in the window then.
// Walking the window's condition instead would pick up users who become active while the walk goes on (their
// sessions' last use moves into the window), and the response is meant for those active when it was decided on.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('breach_response_scope')
    .addColumn('response_id', 'text', (c) => c.notNull())
    .addColumn('user_created_at', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    // In the order the response walks the users, as breach_response_users.
    .addPrimaryKeyConstraint('breach_response_scope_pk', ['response_id', 'user_created_at', 'user_id'])
    .execute();
}
