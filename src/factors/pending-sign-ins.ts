// A sign-in that needs one more step (a second factor, or a new password for a flagged account) is held
// here behind a random one-use token, stored hashed, short-lived and bound to that attempt.
import { newId, newToken, sha256 } from '../crypto.ts';
import type { DeclaredDevice, Deps, PendingSignIn, SignInContext } from '../deps.ts';
import { AppError } from '../errors.ts';
import { findLivePendingSignIn, insertPendingSignIn } from '../store/factors.repository.ts';
import type { PendingSignInPurpose, PendingSignInsTable } from '../store/schema.ts';

export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
/** Choosing a new password takes longer than typing a code. */
export const CHANGE_TOKEN_TTL_SECONDS = 10 * 60;
const PREFIX: Record<PendingSignInPurpose, string> = { mfa: 'hmfa_', password_change: 'hpwc_' };
const TTL: Record<PendingSignInPurpose, number> = {
  mfa: MFA_TOKEN_TTL_SECONDS,
  password_change: CHANGE_TOKEN_TTL_SECONDS,
};

export async function holdPendingSignIn(
  deps: Deps,
  purpose: PendingSignInPurpose,
  pending: PendingSignIn,
  now: Date,
): Promise<{ token: string; id: string }> {
  const token = newToken(deps.random, PREFIX[purpose]);
  const id = newId(deps.random);
  await insertPendingSignIn(
    deps.db,
    {
      id,
      token_hash: sha256(token),
      purpose,
      user_id: pending.userId,
      session_kind: pending.sessionKind,
      device: pending.device ? JSON.stringify(pending.device) : null,
      ip: pending.ctx.ip,
      user_agent: pending.ctx.userAgent?.slice(0, 500) ?? null,
      failures: 0,
      created_at: now.getTime(),
      expires_at: now.getTime() + TTL[purpose] * 1000,
      used_at: null,
      password_stamp: pending.passwordStamp,
    },
    now,
  );
  return { token, id };
}

/**
 * The live step behind `token`, presented by a client of the same kind as the one that started it
 * (a token a device got cannot finish in a browser, or the reverse). Throws invalid_token otherwise.
 */
export async function findPendingSignIn(
  deps: Deps,
  token: string,
  purpose: PendingSignInPurpose,
  sessionKind: 'web' | 'device',
  now: Date,
): Promise<PendingSignInsTable> {
  const row =
    token.length >= 16 && token.length <= 200
      ? await findLivePendingSignIn(deps.db, sha256(token), purpose, now)
      : undefined;
  if (!row || row.session_kind !== sessionKind) throw new AppError('invalid_token');
  return row;
}

/** The sign-in to complete: who and what kind of session from the held step, the client from this request. */
export function resumeSignIn(row: PendingSignInsTable, ctx: SignInContext): PendingSignIn {
  return {
    userId: row.user_id,
    sessionKind: row.session_kind,
    device: row.device ? (JSON.parse(row.device) as DeclaredDevice) : undefined,
    ctx,
    passwordStamp: row.password_stamp,
  };
}
