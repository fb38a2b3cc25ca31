import { sql, type Kysely } from 'kysely';

// The new-address alert asks at every sign-in whether the user signed in from this address before. The
// index on (user_id, created_at) made that a walk over all of the user's events whenever the address was new:
// linear in an account's history. This one holds sign-ins only, so the question is one index lookup.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('security_events_sign_in_address')
    .on('security_events')
    .columns(['user_id', 'ip'])
    .where(sql.ref('type'), '=', sql.lit('sign_in'))
    .execute();
}
