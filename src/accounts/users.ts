// Accounts: creating them (setup, invite, CLI), what a user sees of one, and what admins may change.
import { newId } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { Db } from '../store/db.ts';
import { revokeOpenInvites } from '../store/invites.repository.ts';
import { ROLE_RANK, type Role } from '../store/schema.ts';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  listUsers,
  updateUser,
  usernameOrEmailTaken,
  type UserRow,
} from '../store/users.repository.ts';
import { checkEmail, checkUsername } from './identity.ts';
import { checkPassword } from './password-policy.ts';
import { revokeSessions } from './revocation.ts';
import { recordSecurityEvent } from './security-log.ts';
import type { RequestContext } from './caller.ts';
import { hasFreshAuth } from './sessions.ts';
import type { UserView } from '../wire/common.ts';
import type { Actor, Caller } from './caller.ts';

/** Views of rows already turned into one: an authenticated request's own account comes back as the same row. */
const views = new WeakMap<UserRow, UserView>();

export function toUserView(row: UserRow): UserView {
  let view = views.get(row);
  if (!view) {
    view = Object.freeze(buildUserView(row));
    views.set(row, view);
  }
  return view;
}

function buildUserView(row: UserRow): UserView {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    display_name: row.display_name,
    role: row.role,
    disabled: row.disabled === 1,
    email_verified: row.email_verified === 1,
    password_reset_required: row.reset_required === 1,
    anti_phishing_phrase: row.anti_phishing_phrase,
    password_changed_at: row.password_changed_at ? new Date(row.password_changed_at).toISOString() : null,
    created_at: new Date(row.created_at).toISOString(),
  };
}

export interface NewUserInput {
  username: string;
  email: string;
  password: string;
  role: Role;
  emailVerified?: boolean;
}

/** Checks a new account's names and password; throws the reason it is refused. */
export async function prepareNewUser(
  deps: Pick<Deps, 'db' | 'passwords'>,
  input: NewUserInput,
): Promise<{ username: string; email: string; hash: string }> {
  const username = checkUsername(input.username);
  const email = checkEmail(input.email);
  const verdict = checkPassword(input.password, { username, email });
  if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
  const taken = await usernameOrEmailTaken(deps.db, username.toLowerCase(), email.toLowerCase());
  if (taken === 'username') throw new AppError('username_taken');
  if (taken === 'email') throw new AppError('email_taken');
  return { username, email, hash: await deps.passwords.hash(input.password) };
}

export async function insertNewUser(
  deps: Pick<Deps, 'random'>,
  db: Db,
  prepared: { username: string; email: string; hash: string },
  role: Role,
  emailVerified: boolean,
  now: Date,
): Promise<string> {
  const id = newId(deps.random);
  const t = now.getTime();
  try {
    await insertUser(db, {
      id,
      username: prepared.username,
      username_lower: prepared.username.toLowerCase(),
      email: prepared.email,
      email_lower: prepared.email.toLowerCase(),
      display_name: null,
      role,
      password_hash: prepared.hash,
      password_changed_at: t,
      disabled: 0,
      reset_required: 0,
      reset_required_reason: null,
      email_verified: emailVerified ? 1 : 0,
      anti_phishing_phrase: null,
      created_at: t,
      updated_at: t,
    });
  } catch (err) {
    // Two registrations racing for one name: the unique index decides.
    if (/unique|duplicate/i.test((err as Error).message))
      throw new AppError('username_taken', 'This username or email is taken.');
    throw err;
  }
  return id;
}

/** Creates a user directly (CLI, tests): the same checks as any other path. */
export async function createUser(
  deps: Pick<Deps, 'db' | 'passwords' | 'random'>,
  input: NewUserInput,
  ctx: RequestContext,
  now: Date,
): Promise<UserView> {
  const prepared = await prepareNewUser(deps, input);
  const id = await insertNewUser(deps, deps.db, prepared, input.role, input.emailVerified ?? false, now);
  await recordSecurityEvent(deps, { userId: id, type: 'user_created', detail: { role: input.role } }, ctx, now);
  return toUserView((await findUserById(deps.db, id))!);
}

export async function getUserView(deps: Pick<Deps, 'db'>, userId: string): Promise<UserView> {
  const row = await findUserById(deps.db, userId);
  if (!row) throw new AppError('not_found');
  return toUserView(row);
}

export async function listUserViews(deps: Pick<Deps, 'db'>): Promise<UserView[]> {
  return (await listUsers(deps.db)).map(toUserView);
}

export interface ProfilePatch {
  display_name?: string | null;
  anti_phishing_phrase?: string | null;
  email?: string;
}

export async function updateProfile(
  deps: Deps,
  auth: Caller,
  patch: ProfilePatch,
  ctx: RequestContext,
  now: Date,
): Promise<UserView> {
  // Checked before anything is written: a stale session changes nothing, not even the harmless fields.
  const email = patch.email === undefined ? undefined : await checkNewEmail(deps, auth, patch.email, now);
  const changes: Omit<ProfilePatch, 'email'> = {};
  if (patch.display_name !== undefined) changes.display_name = patch.display_name?.trim() || null;
  if (patch.anti_phishing_phrase !== undefined) {
    const phrase = patch.anti_phishing_phrase?.normalize('NFKC').trim() || null;
    if (phrase !== null && (phrase.length < 3 || phrase.length > 64 || /[<>\r\n]/.test(phrase))) {
      throw new AppError('invalid_body', 'The anti-phishing phrase has 3 to 64 characters and no angle brackets.', {
        field: 'anti_phishing_phrase',
      });
    }
    changes.anti_phishing_phrase = phrase;
  }
  if (Object.keys(changes).length > 0) {
    await updateUser(deps.db, auth.userId, changes, now);
    await recordSecurityEvent(
      deps,
      { userId: auth.userId, type: 'profile_changed', detail: { fields: Object.keys(changes) } },
      ctx,
      now,
    );
  }
  if (email !== undefined) await changeEmail(deps, auth, email, ctx, now);
  return getUserView(deps, auth.userId);
}

/** The new address, checked; throws when the session's proof is stale (S27) or the address is taken. */
async function checkNewEmail(
  deps: Pick<Deps, 'db' | 'config'>,
  auth: Caller,
  input: string,
  now: Date,
): Promise<string> {
  if (!hasFreshAuth(auth, now, deps.config.reauthWindowSeconds)) throw new AppError('reauthentication_required');
  const email = checkEmail(input);
  const holder = await findUserByEmail(deps.db, email.toLowerCase());
  if (holder && holder.id !== auth.userId) throw new AppError('email_taken');
  return email;
}

/** A new address is unverified until its owner proves it (the mail module sends the link). */
async function changeEmail(deps: Deps, auth: Caller, email: string, ctx: RequestContext, now: Date): Promise<void> {
  const current = await findUserById(deps.db, auth.userId);
  if (!current || current.email === email) return;
  const sameAddress = current.email.toLowerCase() === email.toLowerCase();
  try {
    await updateUser(
      deps.db,
      auth.userId,
      sameAddress ? { email } : { email, email_lower: email.toLowerCase(), email_verified: 0 },
      now,
    );
  } catch (err) {
    // Two accounts racing for one address: the unique index decides.
    if (/unique|duplicate/i.test((err as Error).message)) throw new AppError('email_taken');
    throw err;
  }
  if (sameAddress) return;
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'email_changed', detail: { from: current.email, to: email } },
    ctx,
    now,
  );
  for (const listener of deps.hooks.emailChanged)
    await listener(deps, { userId: auth.userId, from: current.email, to: email, ctx }, now);
}

export interface AdminUserPatch {
  role?: Role;
  disabled?: boolean;
}

/** An admin changes another account's role or standing. Nobody may touch someone of equal or higher rank but the owner. */
export async function adminUpdateUser(
  deps: Pick<Deps, 'db' | 'random' | 'events' | 'log'>,
  actor: Caller,
  userId: string,
  patch: AdminUserPatch,
  ctx: RequestContext,
  now: Date,
): Promise<UserView> {
  const target = await findUserById(deps.db, userId);
  if (!target) throw new AppError('not_found');
  if (target.id === actor.userId)
    throw new AppError('forbidden', 'You cannot change your own role or disable yourself.');
  if (target.role === 'owner') throw new AppError('forbidden', 'The owner cannot be changed.');
  if (actor.role !== 'owner' && ROLE_RANK[target.role] >= ROLE_RANK[actor.role]) {
    throw new AppError('forbidden', 'Only the owner can change another admin.');
  }
  if (patch.role === 'owner') throw new AppError('forbidden', 'There is one owner.');
  if (patch.role && actor.role !== 'owner' && ROLE_RANK[patch.role] >= ROLE_RANK[actor.role]) {
    throw new AppError('forbidden', 'Only the owner can make admins.');
  }
  await deps.db.transaction().execute(async (trx) => {
    if (patch.role && patch.role !== target.role) {
      await updateUser(trx, userId, { role: patch.role }, now);
      await recordSecurityEvent(
        deps,
        { userId, type: 'role_changed', detail: { from: target.role, to: patch.role, by: actor.username } },
        ctx,
        now,
        trx,
      );
    }
    if (patch.disabled !== undefined && patch.disabled !== (target.disabled === 1)) {
      await updateUser(trx, userId, { disabled: patch.disabled ? 1 : 0 }, now);
      // What the user handed out goes with them: invitations they made can no longer open accounts.
      if (patch.disabled) await revokeOpenInvites(trx, { createdBy: userId }, now);
      await recordSecurityEvent(
        deps,
        { userId, type: patch.disabled ? 'user_disabled' : 'user_enabled', detail: { by: actor.username } },
        ctx,
        now,
        trx,
      );
    }
  });
  if (patch.disabled === true) await revokeSessions(deps, deps.db, { userId }, 'disabled', now);
  return getUserView(deps, userId);
}

/** Signs a user out everywhere (admin action, S25). */
export async function adminRevokeSessions(
  deps: Deps,
  actor: Actor,
  userId: string,
  ctx: RequestContext,
  now: Date,
): Promise<number> {
  const target = await findUserById(deps.db, userId);
  if (!target) throw new AppError('not_found');
  // The same rule as for roles: an admin cannot sign the owner or another admin out (the CLI, with no role, can).
  if (
    actor.role &&
    actor.userId !== target.id &&
    actor.role !== 'owner' &&
    ROLE_RANK[target.role] >= ROLE_RANK[actor.role]
  ) {
    throw new AppError('forbidden', 'Only the owner can sign out another admin.');
  }
  const ids = await revokeSessions(deps, deps.db, { userId }, 'admin', now);
  await recordSecurityEvent(
    deps,
    { userId, type: 'sessions_revoked', detail: { count: ids.length, by: actor.username, scope: 'all' } },
    ctx,
    now,
  );
  for (const listener of deps.hooks.sessionsRevokedByAdmin) {
    await listener(deps, { userId, by: actor.username, count: ids.length, ctx }, now);
  }
  return ids.length;
}
