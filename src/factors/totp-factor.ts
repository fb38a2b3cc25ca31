// The account's authenticator app (S40): enrolment, confirmation, use and removal. The seed is kept encrypted
// with a key derived from the secret key and bound to the user id, so a copy of the database cannot
// produce codes (S05).
import { decrypt, deriveKey, encrypt } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { RequestContext } from '../accounts/caller.ts';
import type { Caller } from '../accounts/caller.ts';
import {
  advanceTotpStep,
  countPasskeys,
  deleteRecoveryCodes,
  deleteTotpFactor,
  enableTotp,
  findTotpFactor,
  upsertPendingTotp,
} from '../store/factors.repository.ts';
import { base32Encode } from './base32.ts';
import { recordFactorChange } from './factor-events.ts';
import { codeAttemptSucceeded, countCodeAttempt } from './factor-throttle.ts';
import { qrSvg } from './qr.ts';
import { issueRecoveryCodes } from './recovery.ts';
import { newTotpSecret, totpUri, verifyTotp } from './totp.ts';

export const TOTP_ISSUER = 'Hearth';

function seedKey(deps: Pick<Deps, 'config'>): Buffer {
  return deriveKey(deps.config.secretKey, 'totp-seed');
}

export function sealTotpSeed(deps: Pick<Deps, 'config' | 'random'>, userId: string, seed: Buffer): string {
  return encrypt(seedKey(deps), seed.toString('base64url'), userId, deps.random);
}

/** The seed, or null when the box was not sealed for this user with this server's key. */
export function openTotpSeed(deps: Pick<Deps, 'config'>, userId: string, box: string): Buffer | null {
  const plain = decrypt(seedKey(deps), box, userId);
  return plain === null ? null : Buffer.from(plain, 'base64url');
}

export interface TotpEnrolment {
  secret: string;
  otpauthUri: string;
  qrSvg: string;
}

/** A new seed to scan; 2FA stays off until `confirmTotpEnrolment` sees a code made from it. */
export async function startTotpEnrolment(deps: Deps, auth: Caller, now: Date): Promise<TotpEnrolment> {
  const seed = newTotpSecret(deps.random);
  const stored = await upsertPendingTotp(deps.db, {
    user_id: auth.userId,
    secret_enc: sealTotpSeed(deps, auth.userId, seed),
    enabled_at: null,
    last_used_step: null,
    created_at: now.getTime(),
  });
  if (!stored) throw new AppError('totp_already_enabled');
  // The host tells apart two Hearth servers in one authenticator app.
  const otpauthUri = totpUri({
    secret: seed,
    accountName: `${auth.username}@${deps.config.publicUrl.hostname}`,
    issuer: TOTP_ISSUER,
  });
  return { secret: base32Encode(seed), otpauthUri, qrSvg: await qrSvg(otpauthUri) };
}

/** Turns the authenticator app on after a correct code; returns the recovery codes, shown this once. */
export async function confirmTotpEnrolment(
  deps: Deps,
  auth: Caller,
  code: string,
  ctx: RequestContext,
  now: Date,
): Promise<{ recoveryCodes: string[] }> {
  const factor = await findTotpFactor(deps.db, auth.userId);
  if (!factor) throw new AppError('totp_setup_required');
  if (factor.enabled_at !== null) throw new AppError('totp_already_enabled');
  await countCodeAttempt(deps, auth.userId, now);
  const seed = openTotpSeed(deps, auth.userId, factor.secret_enc);
  const step = seed ? verifyTotp(seed, code, now, null) : null;
  if (step === null) throw new AppError('invalid_code');
  if (!(await enableTotp(deps.db, auth.userId, factor.secret_enc, step, now)))
    throw new AppError('totp_setup_required');
  await codeAttemptSucceeded(deps, auth.userId, now);
  const recoveryCodes = await issueRecoveryCodes(deps, auth.userId, now);
  await recordFactorChange(deps, auth.userId, 'totp_enabled', ctx, now);
  return { recoveryCodes };
}

/** Removes the app (or an unfinished enrolment); takes effect on the next code typed (S42). */
export async function disableTotp(deps: Deps, auth: Caller, ctx: RequestContext, now: Date): Promise<void> {
  const factor = await findTotpFactor(deps.db, auth.userId);
  if (!factor) throw new AppError('not_found');
  await deleteTotpFactor(deps.db, auth.userId);
  if (factor.enabled_at === null) return;
  // Recovery codes stand in for a factor; with none left they would be a way in on their own.
  if ((await countPasskeys(deps.db, auth.userId)) === 0) await deleteRecoveryCodes(deps.db, auth.userId);
  await recordFactorChange(deps, auth.userId, 'totp_disabled', ctx, now);
}

/**
 * Checks a code against the user's enabled app and spends its time step, so it is refused the second time.
 * Returns false for any code that does not open (wrong, outside the window, replayed, no app). Not throttled here.
 */
export async function spendTotpCode(deps: Deps, userId: string, code: string, now: Date): Promise<boolean> {
  const factor = await findTotpFactor(deps.db, userId);
  if (!factor || factor.enabled_at === null) return false;
  const seed = openTotpSeed(deps, userId, factor.secret_enc);
  if (!seed) {
    deps.log.error({ userId }, 'a TOTP seed does not decrypt with this secret key');
    return false;
  }
  const step = verifyTotp(seed, code, now, factor.last_used_step);
  if (step === null) return false;
  return advanceTotpStep(deps.db, userId, step);
}
