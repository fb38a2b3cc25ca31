// The account's set of recovery codes (S32): shown once, stored hashed, each used once; a new set voids the old.
import { newId } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { RequestContext } from '../accounts/caller.ts';
import type { Caller } from '../accounts/caller.ts';
import {
  consumeRecoveryCode,
  countPasskeys,
  countUnusedRecoveryCodes,
  findTotpFactor,
  replaceRecoveryCodes,
} from '../store/factors.repository.ts';
import { recordFactorChange } from './factor-events.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';

/** Makes a new set, voiding every earlier code; returns the codes to show once. */
export async function issueRecoveryCodes(deps: Deps, userId: string, now: Date): Promise<string[]> {
  const codes = newRecoveryCodes(deps.random);
  await replaceRecoveryCodes(
    deps.db,
    userId,
    codes.map((code) => ({
      id: newId(deps.random),
      user_id: userId,
      code_hash: hashRecoveryCode(code)!,
      created_at: now.getTime(),
      used_at: null,
    })),
  );
  return codes;
}

/** POST /me/2fa/recovery-codes: only for an account that has a factor the codes stand in for. */
export async function regenerateRecoveryCodes(
  deps: Deps,
  auth: Caller,
  ctx: RequestContext,
  now: Date,
): Promise<string[]> {
  const totp = await findTotpFactor(deps.db, auth.userId);
  const hasFactor = totp?.enabled_at != null || (await countPasskeys(deps.db, auth.userId)) > 0;
  if (!hasFactor) throw new AppError('second_factor_required');
  const codes = await issueRecoveryCodes(deps, auth.userId, now);
  await recordFactorChange(deps, auth.userId, 'recovery_codes_regenerated', ctx, now, { remaining: codes.length });
  return codes;
}

/**
 * Spends one code of the user's. Returns the codes left, or null when the code is not an unused one of theirs.
 * The caller throttles (S32); this only decides.
 */
export async function spendRecoveryCode(
  deps: Deps,
  userId: string,
  code: string,
  ctx: RequestContext,
  now: Date,
): Promise<number | null> {
  const hash = hashRecoveryCode(code);
  if (hash === null) return null;
  if (!(await consumeRecoveryCode(deps.db, userId, hash, now))) return null;
  const remaining = await countUnusedRecoveryCodes(deps.db, userId);
  await recordFactorChange(deps, userId, 'recovery_code_used', ctx, now, { remaining });
  return remaining;
}
