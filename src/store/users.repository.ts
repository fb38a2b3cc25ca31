import { compiledOnce, type Db, type Parameter } from './db.ts';
import type { Role, UsersTable } from './schema.ts';

const publicColumns = [
  'id',
  'username',
  'email',
  'display_name',
  'role',
  'disabled',
  'reset_required',
  'email_verified',
  'anti_phishing_phrase',
  'password_changed_at',
  'created_at',
  'updated_at',
] as const;

export type UserRow = Pick<UsersTable, (typeof publicColumns)[number]>;
export type UserWithHash = UserRow & { password_hash: string | null };

export async function countUsers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertUser(db: Db, row: UsersTable): Promise<void> {
  await db.insertInto('users').values(row).execute();
}

// Every GET /api/v1/me runs this one: it is compiled once (see compiledOnce).
const userById = compiledOnce((db, p: Parameter<'id'>) =>
  db.selectFrom('users').select(publicColumns).where('id', '=', p('id')),
);

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const rows = await userById(db, { id });
  return rows.length > 0 ? rows[0] : undefined;
}

/** For the password check only: the one caller that needs the hash. */
const userWithHashByLogin = compiledOnce((db, p: Parameter<'login'>) =>
  db
    .selectFrom('users')
    .select([...publicColumns, 'password_hash'])
    .where((eb) => eb.or([eb('username_lower', '=', p('login')), eb('email_lower', '=', p('login'))])),
);

export async function findUserWithHashByLogin(db: Db, loginLower: string): Promise<UserWithHash | undefined> {
  return (await userWithHashByLogin(db, { login: loginLower }))[0];
}

const userWithHashById = compiledOnce((db, p: Parameter<'id'>) =>
  db
    .selectFrom('users')
    .select([...publicColumns, 'password_hash'])
    .where('id', '=', p('id')),
);

export async function findUserWithHashById(db: Db, id: string): Promise<UserWithHash | undefined> {
  return (await userWithHashById(db, { id }))[0];
}

export async function findUserByEmail(db: Db, emailLower: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(publicColumns).where('email_lower', '=', emailLower).executeTakeFirst();
}

export async function usernameOrEmailTaken(
  db: Db,
  usernameLower: string,
  emailLower: string,
): Promise<'username' | 'email' | null> {
  const rows = await db
    .selectFrom('users')
    .select(['username_lower', 'email_lower'])
    .where((eb) =>
      eb.or([
        eb('username_lower', '=', usernameLower),
        eb('email_lower', '=', emailLower),
        eb('username_lower', '=', emailLower),
        eb('email_lower', '=', usernameLower),
      ]),
    )
    .execute();
  if (rows.some((r) => r.username_lower === usernameLower || r.email_lower === usernameLower)) return 'username';
  return rows.length > 0 ? 'email' : null;
}

export async function listUsers(db: Db): Promise<UserRow[]> {
  return db.selectFrom('users').select(publicColumns).orderBy('created_at').orderBy('id').execute();
}

export async function listUserIdsByRole(db: Db, roles: Role[]): Promise<{ id: string; email: string }[]> {
  return db.selectFrom('users').select(['id', 'email']).where('role', 'in', roles).where('disabled', '=', 0).execute();
}

export type UserPatch = Partial<
  Pick<
    UsersTable,
    | 'email'
    | 'email_lower'
    | 'display_name'
    | 'role'
    | 'disabled'
    | 'reset_required'
    | 'reset_required_reason'
    | 'email_verified'
    | 'anti_phishing_phrase'
  >
>;

export async function updateUser(db: Db, id: string, patch: UserPatch, now: Date): Promise<void> {
  await db
    .updateTable('users')
    .set({ ...patch, updated_at: now.getTime() })
    .where('id', '=', id)
    .execute();
}

/**
 * Reads the user for a sign-in's last step and locks the row until the transaction ends: a password reset,
 * a breach flag or a disable (each an UPDATE of the row) then either committed before this read, and is seen,
 * or waits for the session this step creates, and revokes it. SQLite's write transactions are serial anyway.
 */
export async function lockUserForSignIn(db: Db, id: string): Promise<UserWithHash | undefined> {
  return db
    .updateTable('users')
    .set((eb) => ({ id: eb.ref('id') }))
    .where('id', '=', id)
    .returning([...publicColumns, 'password_hash'])
    .executeTakeFirst();
}

/** The rehash at sign-in: replaces the hash only while it is still the one that was checked. */
export async function replacePasswordHash(
  db: Db,
  id: string,
  checked: string,
  hash: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set({ password_hash: hash, updated_at: now.getTime() })
    .where('id', '=', id)
    .where('password_hash', '=', checked)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Sets a password hash. A change (not a rehash) voids every outstanding reset link in the same step, whatever
 * path changed it: a link mailed before the change must not set the password again.
 */
export async function setPasswordHash(
  db: Db,
  id: string,
  hash: string,
  now: Date,
  options: { clearResetRequired: boolean; changed: boolean },
): Promise<void> {
  const write = async (trx: Db) => {
    await trx
      .updateTable('users')
      .set({
        password_hash: hash,
        updated_at: now.getTime(),
        ...(options.changed ? { password_changed_at: now.getTime() } : {}),
        ...(options.clearResetRequired ? { reset_required: 0, reset_required_reason: null } : {}),
      })
      .where('id', '=', id)
      .execute();
    if (options.changed) {
      await trx
        .updateTable('mail_tokens')
        .set({ used_at: now.getTime() })
        .where('user_id', '=', id)
        .where('purpose', '=', 'password_reset')
        .where('used_at', 'is', null)
        .execute();
    }
  };
  if (db.isTransaction) await write(db);
  else await db.transaction().execute(write);
}
