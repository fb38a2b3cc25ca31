// The sealed Subsonic app passwords (S95). Only the sign-in check reads them, and only live ones.
import type { Db } from './db.ts';
import type { SubsonicSecretsTable } from './schema.ts';

export async function insertSubsonicSecret(db: Db, row: SubsonicSecretsTable): Promise<void> {
  await db.insertInto('subsonic_secrets').values(row).execute();
}

/** The user (by lower-case name) and the sealed passwords of their live Subsonic app passwords. */
export async function findSubsonicSecrets(
  db: Db,
  usernameLower: string,
  now: Date,
): Promise<{ userId: string | null; secrets: { session_id: string; secret_enc: string }[] }> {
  const user = await db.selectFrom('users').select('id').where('username_lower', '=', usernameLower).executeTakeFirst();
  if (!user) return { userId: null, secrets: [] };
  const secrets = await db
    .selectFrom('subsonic_secrets')
    .innerJoin('sessions', 'sessions.id', 'subsonic_secrets.session_id')
    .select(['subsonic_secrets.session_id', 'subsonic_secrets.secret_enc'])
    .where('subsonic_secrets.user_id', '=', user.id)
    .where('sessions.revoked_at', 'is', null)
    .where('sessions.expires_at', '>', now.getTime())
    .execute();
  return { userId: user.id, secrets };
}

/** Drops the sealed copies of app passwords that have ended: the store keeps no more of them than it must. */
export async function deleteEndedSubsonicSecrets(db: Db, userId: string): Promise<void> {
  await db
    .deleteFrom('subsonic_secrets')
    .where('user_id', '=', userId)
    .where(
      'session_id',
      'in',
      db.selectFrom('sessions').select('id').where('user_id', '=', userId).where('revoked_at', 'is not', null),
    )
    .execute();
}
