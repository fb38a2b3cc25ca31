// Invites: single use, expiring, stored hashed. An admin invites by email or hands out the link.
import { newId, newToken, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import {
  findInviteRole,
  findUsableInvite,
  insertInvite,
  listInvites,
  markInviteUsed,
  revokeOpenInvites,
} from '../store/invites.repository.ts';
import type { Role } from '../store/schema.ts';
import { findUserByEmail } from '../store/users.repository.ts';
import { checkEmail } from './identity.ts';
import { recordSecurityEvent } from './security-log.ts';
import type { RequestContext } from './caller.ts';
import type { CreatedInvite, InviteView } from '../wire/accounts.ts';
import type { Caller } from './caller.ts';
import { insertNewUser, prepareNewUser } from './users.ts';

export const INVITE_TOKEN_PREFIX = 'hi_';
const DEFAULT_INVITE_HOURS = 7 * 24;

export function inviteUrl(publicUrl: URL, token: string): string {
  return new URL(`/register#invite=${encodeURIComponent(token)}`, publicUrl).toString();
}

export async function createInvite(
  deps: Pick<Deps, 'db' | 'random' | 'config'>,
  actor: Caller,
  input: { email?: string | null; role?: Role; expiresInHours?: number },
  ctx: RequestContext,
  now: Date,
): Promise<CreatedInvite> {
  const role = input.role ?? 'member';
  if (role === 'owner') throw new AppError('forbidden', 'There is one owner.');
  if (role === 'admin' && actor.role !== 'owner') throw new AppError('forbidden', 'Only the owner can invite admins.');
  const email = input.email ? checkEmail(input.email) : null;
  if (email && (await findUserByEmail(deps.db, email.toLowerCase()))) throw new AppError('email_taken');
  const hours = input.expiresInHours ?? DEFAULT_INVITE_HOURS;
  const token = newToken(deps.random, INVITE_TOKEN_PREFIX);
  const id = newId(deps.random);
  const row = {
    id,
    token_hash: sha256(token),
    email,
    role,
    created_by: actor.userId,
    created_at: now.getTime(),
    expires_at: now.getTime() + hours * 3600_000,
    used_at: null,
    used_by: null,
    revoked_at: null,
  };
  await insertInvite(deps.db, row);
  await recordSecurityEvent(
    deps,
    { userId: actor.userId, type: 'invite_created', detail: { invite_id: id, role, email } },
    ctx,
    now,
  );
  return { invite: toInviteView(row), token, url: inviteUrl(deps.config.publicUrl, token) };
}

function toInviteView(row: {
  id: string;
  email: string | null;
  role: Role;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  revoked_at: number | null;
}): InviteView {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    created_at: new Date(row.created_at).toISOString(),
    expires_at: new Date(row.expires_at).toISOString(),
    used: row.used_at !== null,
    revoked: row.revoked_at !== null,
  };
}

export async function listInviteViews(deps: Pick<Deps, 'db'>, now: Date): Promise<InviteView[]> {
  return (await listInvites(deps.db, now)).map(toInviteView);
}

export async function cancelInvite(
  deps: Pick<Deps, 'db' | 'random'>,
  actor: Caller,
  id: string,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  // As only the owner may invite an admin, only the owner may take such an invite back.
  if (actor.role !== 'owner' && (await findInviteRole(deps.db, id)) === 'admin') {
    throw new AppError('forbidden', 'Only the owner can cancel an invitation to become an admin.');
  }
  if ((await revokeOpenInvites(deps.db, { id }, now)) === 0) throw new AppError('not_found');
  await recordSecurityEvent(
    deps,
    { userId: actor.userId, type: 'invite_revoked', detail: { invite_id: id } },
    ctx,
    now,
  );
}

/**
 * Accepts an invite. The answer is the same whether or not the email is already in use, so an invite
 * cannot be used to learn which addresses have accounts (S10).
 */
export async function registerWithInvite(
  deps: Pick<Deps, 'db' | 'passwords' | 'random'>,
  input: { inviteToken: string; username: string; email: string; password: string },
  ctx: RequestContext,
  now: Date,
): Promise<{ userId: string | null; email: string; invitedAddress: boolean }> {
  const invite = await findUsableInvite(deps.db, sha256(input.inviteToken), now);
  if (!invite) throw new AppError('invalid_token', 'This invitation is not valid, was already used, or has expired.');
  const email = checkEmail(input.email);
  if (invite.email && invite.email.toLowerCase() !== email.toLowerCase()) {
    throw new AppError('invalid_body', 'This invitation was sent to another email address.', { field: 'email' });
  }
  let prepared;
  try {
    prepared = await prepareNewUser(deps, { ...input, email, role: invite.role });
  } catch (err) {
    if (err instanceof AppError && err.code === 'email_taken') {
      // Same work, same answer as a fresh address; the owner of the address is told by mail.
      await deps.passwords.hash(input.password);
      return { userId: null, email, invitedAddress: invite.email !== null };
    }
    throw err;
  }
  const userId = await deps.db.transaction().execute(async (trx) => {
    const id = await insertNewUser(deps, trx, prepared, invite.role, false, now);
    if (!(await markInviteUsed(trx, invite.id, id, now))) {
      throw new AppError('invalid_token', 'This invitation is not valid, was already used, or has expired.');
    }
    await recordSecurityEvent(
      deps,
      { userId: id, type: 'user_created', detail: { role: invite.role, invite_id: invite.id } },
      ctx,
      now,
      trx,
    );
    return id;
  });
  return { userId, email, invitedAddress: invite.email !== null };
}

/** What the registration page shows before the form: the address an invite was sent to, if it names one. */
export async function peekInvite(
  deps: Pick<Deps, 'db'>,
  inviteToken: string,
  now: Date,
): Promise<{ email: string | null }> {
  const invite = await findUsableInvite(deps.db, sha256(inviteToken), now);
  if (!invite) throw new AppError('invalid_token', 'This invitation is not valid, was already used, or has expired.');
  return { email: invite.email };
}
