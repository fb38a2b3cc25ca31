// Second factors: TOTP seeds (encrypted), recovery code hashes, passkeys, pending sign-in steps and
// WebAuthn challenges. Every "use once" is a conditional write whose row count says who won.
import { compiledOnce, type Db, type Parameter } from './db.ts';
import type {
  PasskeysTable,
  PendingSignInPurpose,
  PendingSignInsTable,
  RecoveryCodesTable,
  TotpFactorsTable,
  WebauthnChallengesTable,
} from './schema.ts';
import { consumeOnce } from './consume-once.ts';

// TOTP

// Every sign-in with a password asks this first: one statement, compiled once (see compiledOnce).
const secondFactorsOf = compiledOnce((db, p: Parameter<'userId'>) =>
  db.selectNoFrom((eb) => [
    eb
      .exists(
        eb
          .selectFrom('totp_factors')
          .select('user_id')
          .where('user_id', '=', p('userId'))
          .where('enabled_at', 'is not', null),
      )
      .as('totp'),
    eb.exists(eb.selectFrom('passkeys').select('user_id').where('user_id', '=', p('userId'))).as('passkey'),
  ]),
);

/** True when the account has an enabled authenticator app or a passkey. */
export async function hasSecondFactor(db: Db, userId: string): Promise<boolean> {
  const row = (await secondFactorsOf(db, { userId }))[0];
  return Boolean(row?.totp) || Boolean(row?.passkey);
}

export async function findTotpFactor(db: Db, userId: string): Promise<TotpFactorsTable | undefined> {
  return db
    .selectFrom('totp_factors')
    .select(['user_id', 'secret_enc', 'enabled_at', 'last_used_step', 'created_at'])
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Starts (or restarts) enrolment with a new seed; refused (false) while an enabled one exists. */
export async function upsertPendingTotp(db: Db, row: TotpFactorsTable): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('totp_factors')
      .select(['enabled_at'])
      .where('user_id', '=', row.user_id)
      .executeTakeFirst();
    if (existing?.enabled_at != null) return false;
    // Both writes carry their own condition: an enable (or a first enrolment) that commits after the read above is
    // never overwritten (PostgreSQL's READ COMMITTED lets it land in between).
    if (!existing) {
      const inserted = await trx
        .insertInto('totp_factors')
        .values(row)
        .onConflict((oc) => oc.column('user_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return true;
      // Another enrolment made the row meanwhile: restart it as below.
    }
    const result = await trx
      .updateTable('totp_factors')
      .set({ secret_enc: row.secret_enc, enabled_at: null, last_used_step: null, created_at: row.created_at })
      .where('user_id', '=', row.user_id)
      .where('enabled_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  });
}

/** Turns on the very seed that was checked, recording the step of the code that proved it. */
export async function enableTotp(db: Db, userId: string, secretEnc: string, step: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('totp_factors')
    .set({ enabled_at: now.getTime(), last_used_step: step })
    .where('user_id', '=', userId)
    .where('secret_enc', '=', secretEnc)
    .where('enabled_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Accepts `step` only if it is later than every step accepted before: two requests with one code cannot both win. */
export async function advanceTotpStep(db: Db, userId: string, step: number): Promise<boolean> {
  const result = await db
    .updateTable('totp_factors')
    .set({ last_used_step: step })
    .where('user_id', '=', userId)
    .where('enabled_at', 'is not', null)
    .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteTotpFactor(db: Db, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('totp_factors').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

// Recovery codes

/** Replaces every code of the user with new ones, in one transaction. */
export async function replaceRecoveryCodes(db: Db, userId: string, rows: RecoveryCodesTable[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
    if (rows.length > 0) await trx.insertInto('recovery_codes').values(rows).execute();
  });
}

export async function deleteRecoveryCodes(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('recovery_codes').where('user_id', '=', userId).execute();
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_codes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Marks the code used if it is the user's and still unused; true for the one caller that did. */
export async function consumeRecoveryCode(db: Db, userId: string, codeHash: string, now: Date): Promise<boolean> {
  return consumeOnce(db, 'recovery_codes', { user_id: userId, code_hash: codeHash }, now);
}

// Passkeys

export type PasskeyRow = PasskeysTable;

const passkeyColumns = [
  'id',
  'user_id',
  'credential_id',
  'public_key',
  'counter',
  'transports',
  'name',
  'device_type',
  'backed_up',
  'created_at',
  'last_used_at',
] as const;

export async function insertPasskey(db: Db, row: PasskeysTable): Promise<void> {
  await db.insertInto('passkeys').values(row).execute();
}

export async function listPasskeys(db: Db, userId: string): Promise<PasskeyRow[]> {
  return db
    .selectFrom('passkeys')
    .select(passkeyColumns)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function countPasskeys(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('passkeys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findPasskeyByCredentialId(db: Db, credentialId: string): Promise<PasskeyRow | undefined> {
  return db.selectFrom('passkeys').select(passkeyColumns).where('credential_id', '=', credentialId).executeTakeFirst();
}

export async function renamePasskey(db: Db, userId: string, id: string, name: string): Promise<boolean> {
  const result = await db
    .updateTable('passkeys')
    .set({ name })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deletePasskey(db: Db, userId: string, id: string): Promise<PasskeyRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('passkeys')
      .select(passkeyColumns)
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!row) return undefined;
    await trx.deleteFrom('passkeys').where('id', '=', id).execute();
    return row;
  });
}

/** Records a use, only if the counter is still the one that was checked (a concurrent replay loses). */
export async function recordPasskeyUse(
  db: Db,
  id: string,
  expectedCounter: number,
  newCounter: number,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('passkeys')
    .set({ counter: newCounter, last_used_at: now.getTime() })
    .where('id', '=', id)
    .where('counter', '=', expectedCounter)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

// Pending sign-ins (the mfa step, the forced password change)

/** Ends every sign-in of the user still waiting for its last step; returns how many there were. */
export async function voidPendingSignIns(db: Db, userId: string, now: Date): Promise<number> {
  const t = now.getTime();
  const result = await db
    .updateTable('pending_sign_ins')
    .set({ used_at: t })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', t)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertPendingSignIn(db: Db, row: PendingSignInsTable, now: Date): Promise<void> {
  await db.deleteFrom('pending_sign_ins').where('expires_at', '<', now.getTime()).execute();
  await db.insertInto('pending_sign_ins').values(row).execute();
}

export async function findLivePendingSignIn(
  db: Db,
  tokenHash: string,
  purpose: PendingSignInPurpose,
  now: Date,
): Promise<PendingSignInsTable | undefined> {
  return db
    .selectFrom('pending_sign_ins')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('purpose', '=', purpose)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
}

export async function findLivePendingSignInById(
  db: Db,
  id: string,
  now: Date,
): Promise<PendingSignInsTable | undefined> {
  return db
    .selectFrom('pending_sign_ins')
    .selectAll()
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now.getTime())
    .executeTakeFirst();
}

/** Uses the step up; true for the one caller that did, while it was still live. */
export async function consumePendingSignIn(db: Db, id: string, now: Date): Promise<boolean> {
  return consumeOnce(db, 'pending_sign_ins', { id }, now, { unexpired: true });
}

/** Counts a wrong answer; at `maxFailures` the step is void. Returns the failures so far. */
export async function recordPendingFailure(db: Db, id: string, maxFailures: number, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx
      .updateTable('pending_sign_ins')
      .set((eb) => ({ failures: eb('failures', '+', 1) }))
      .where('id', '=', id)
      .execute();
    const row = await trx.selectFrom('pending_sign_ins').select(['failures']).where('id', '=', id).executeTakeFirst();
    const failures = Number(row?.failures ?? maxFailures);
    if (failures >= maxFailures) {
      await consumeOnce(trx, 'pending_sign_ins', { id }, now);
    }
    return failures;
  });
}

// WebAuthn challenges

export async function insertWebauthnChallenge(db: Db, row: WebauthnChallengesTable, now: Date): Promise<void> {
  await db.deleteFrom('webauthn_challenges').where('expires_at', '<', now.getTime()).execute();
  await db.insertInto('webauthn_challenges').values(row).execute();
}

/** Takes a live challenge out of the store; only the caller that removed it gets it back. */
export async function takeWebauthnChallenge(
  db: Db,
  challengeHash: string,
  purpose: WebauthnChallengesTable['purpose'],
  now: Date,
): Promise<WebauthnChallengesTable | undefined> {
  const row = await db
    .selectFrom('webauthn_challenges')
    .select(['challenge_hash', 'purpose', 'user_id', 'pending_id', 'expires_at'])
    .where('challenge_hash', '=', challengeHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const result = await db
    .deleteFrom('webauthn_challenges')
    .where('challenge_hash', '=', challengeHash)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) !== 1) return undefined;
  if (row.purpose !== purpose || row.expires_at <= now.getTime()) return undefined;
  return row;
}
