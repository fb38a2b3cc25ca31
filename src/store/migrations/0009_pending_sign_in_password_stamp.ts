import type { Kysely } from 'kysely';

// A sign-in held for its second step remembers which password it was approved with (a digest of the hash
// checked), so that a password changed or reset in between leaves it nothing to finish. Steps held before this
// migration have none; they expire within minutes.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pending_sign_ins').addColumn('password_stamp', 'text').execute();
}
