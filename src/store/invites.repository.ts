import type { Db } from './db.ts';
import type { InvitesTable, Role } from './schema.ts';
import { consumeOnce } from './consume-once.ts';

export type InviteRow = Omit<InvitesTable, 'token_hash'>;

export async function insertInvite(db: Db, row: InvitesTable): Promise<void> {
  await db.insertInto('invites').values(row).execute();
}

export async function findUsableInvite(db: Db, tokenHash: string, now: Date): Promise<InviteRow | undefined> {
  return db
    .selectFrom('invites')
    .select(['id', 'email', 'role', 'created_by', 'created_at', 'expires_at', 'used_at', 'used_by', 'revoked_at'])
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
}

/**
 * Claims an invite; false when it is no longer usable: someone else used it first (single use under
 * concurrency), or it was cancelled, voided (a breach response) or ran out while the password was hashed.
 */
export async function markInviteUsed(db: Db, id: string, userId: string, now: Date): Promise<boolean> {
  return consumeOnce(db, 'invites', { id }, now, { unrevoked: true, unexpired: true, set: { used_by: userId } });
}

export async function listInvites(db: Db, now: Date): Promise<InviteRow[]> {
  return db
    .selectFrom('invites')
    .select(['id', 'email', 'role', 'created_by', 'created_at', 'expires_at', 'used_at', 'used_by', 'revoked_at'])
    .where((eb) => eb.or([eb('expires_at', '>', now.getTime()), eb('used_at', 'is not', null)]))
    .orderBy('created_at', 'desc')
    .limit(200)
    .execute();
}

/** Voids open invites: one by id, or every one a user made (that user was disabled). Returns how many. */
export async function revokeOpenInvites(
  db: Db,
  which: { id: string } | { createdBy: string },
  now: Date,
): Promise<number> {
  const open = db.updateTable('invites').set({ revoked_at: now.getTime() });
  const result = await ('id' in which
    ? open.where('id', '=', which.id)
    : open.where('created_by', '=', which.createdBy)
  )
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The role an invite offers, or undefined when there is no such invite. */
export async function findInviteRole(db: Db, id: string): Promise<Role | undefined> {
  return (await db.selectFrom('invites').select('role').where('id', '=', id).executeTakeFirst())?.role;
}
