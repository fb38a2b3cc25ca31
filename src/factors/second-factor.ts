// Signing in with a second factor: after a correct password, an account with an authenticator app or a
// passkey gets a short-lived one-use mfa token instead of a session, and finishes with a TOTP code, a
// recovery code or a passkey. Also the check a password reset uses (S31).
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Deps, PendingSignIn, SecondFactorGate, SignInContext } from '../deps.ts';
import { AppError } from '../errors.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { RequestContext } from '../accounts/caller.ts';
import { completeSignIn, logAuthFailure, type SignInResult } from '../accounts/sign-in.ts';
import {
  consumePendingSignIn,
  countPasskeys,
  countUnusedRecoveryCodes,
  findTotpFactor,
  hasSecondFactor,
  recordPendingFailure,
} from '../store/factors.repository.ts';
import { findUserById } from '../store/users.repository.ts';
import { codeAttemptSucceeded, countCodeAttempt } from './factor-throttle.ts';
import { checkPasskeyAssertion, passkeyStepOptions } from './passkeys.ts';
import { findPendingSignIn, holdPendingSignIn, resumeSignIn } from './pending-sign-ins.ts';
import { spendRecoveryCode } from './recovery.ts';
import { spendTotpCode } from './totp-factor.ts';

/** Wrong answers one mfa token survives; the per-account throttle slows guessing long before. */
export const MFA_TOKEN_MAX_FAILURES = 10;

export type SecondFactorMethod = 'totp' | 'recovery_code' | 'passkey';

export interface FactorStatus {
  totpEnabled: boolean;
  /** Setup was started but not yet confirmed with a code. */
  totpPending: boolean;
  recoveryCodesRemaining: number;
  passkeys: number;
}

export async function factorStatus(deps: Pick<Deps, 'db'>, userId: string): Promise<FactorStatus> {
  const totp = await findTotpFactor(deps.db, userId);
  return {
    totpEnabled: totp?.enabled_at != null,
    totpPending: totp !== undefined && totp.enabled_at === null,
    recoveryCodesRemaining: await countUnusedRecoveryCodes(deps.db, userId),
    passkeys: await countPasskeys(deps.db, userId),
  };
}

export function methodsFor(status: FactorStatus): SecondFactorMethod[] {
  const methods: SecondFactorMethod[] = [];
  if (status.totpEnabled) methods.push('totp');
  if (status.recoveryCodesRemaining > 0) methods.push('recovery_code');
  if (status.passkeys > 0) methods.push('passkey');
  return methods;
}

/** deps.hooks.secondFactor: holds the sign-in when the account has a factor. */
export const secondFactorGate: SecondFactorGate = async (deps, user, pending, now) => {
  // An enabled authenticator app or a passkey means a second step.
  if (!(await hasSecondFactor(deps.db, user.id))) return null;
  const status = await factorStatus(deps, user.id);
  const { token } = await holdPendingSignIn(deps, 'mfa', pending, now);
  await recordSecurityEvent(deps, { userId: user.id, type: 'sign_in_second_factor_asked' }, pending.ctx, now);
  return { mfaToken: token, methods: methodsFor(status) };
};

export type SecondFactorAnswer =
  | { kind: 'code'; code: string }
  | { kind: 'recovery_code'; code: string }
  | { kind: 'passkey'; response: AuthenticationResponseJSON };

/**
 * POST /auth/login/mfa: spends the mfa token and signs in when the answer is right. A wrong answer leaves
 * the token usable (the user mistyped) but counts against the account's throttle and the token's own
 * budget, after which the token is void.
 */
export async function completeSecondFactorSignIn(
  deps: Deps,
  mfaToken: string,
  answer: SecondFactorAnswer,
  sessionKind: 'web' | 'device',
  ctx: SignInContext,
  now: Date,
): Promise<Extract<SignInResult, { kind: 'session' }>> {
  const step = await findPendingSignIn(deps, mfaToken, 'mfa', sessionKind, now);
  const userId = step.user_id;
  const pending: PendingSignIn = resumeSignIn(step, ctx);
  let method: string;
  let ok: boolean;
  if (answer.kind === 'passkey') {
    method = 'password+passkey';
    const passkey = await checkPasskeyAssertion(
      deps,
      answer.response,
      { purpose: 'mfa', pendingId: step.id, userId, requireUserVerification: false },
      now,
    );
    ok = passkey !== null;
  } else {
    method = answer.kind === 'code' ? 'password+totp' : 'password+recovery_code';
    await countCodeAttempt(deps, userId, now);
    ok =
      answer.kind === 'code'
        ? await spendTotpCode(deps, userId, answer.code, now)
        : (await spendRecoveryCode(deps, userId, answer.code, ctx, now)) !== null;
  }
  if (!ok) {
    const failures = await recordPendingFailure(deps.db, step.id, MFA_TOKEN_MAX_FAILURES, now);
    const user = await findUserById(deps.db, userId);
    logAuthFailure(deps, user?.username ?? userId, ctx.ip, `wrong_second_factor:${answer.kind}`);
    await recordSecurityEvent(
      deps,
      { userId, type: 'sign_in_failed', detail: { reason: 'wrong_second_factor', method: answer.kind } },
      ctx,
      now,
    );
    if (failures >= MFA_TOKEN_MAX_FAILURES) throw new AppError('invalid_token', 'Too many wrong codes: sign in again.');
    throw new AppError(answer.kind === 'passkey' ? 'passkey_invalid' : 'invalid_code');
  }
  if (!(await consumePendingSignIn(deps.db, step.id, now))) throw new AppError('invalid_token');
  if (answer.kind !== 'passkey') await codeAttemptSucceeded(deps, userId, now);
  return completeSignIn(deps, pending, method, now);
}

/** Options for a passkey at the second-factor step, bound to that step's mfa token. */
export async function secondFactorPasskeyOptions(
  deps: Deps,
  mfaToken: string,
  sessionKind: 'web' | 'device',
  now: Date,
) {
  const step = await findPendingSignIn(deps, mfaToken, 'mfa', sessionKind, now);
  return passkeyStepOptions(deps, { userId: step.user_id, pendingId: step.id }, now);
}

/** Does this account have a second factor (an authenticator app or a passkey)? */
export async function userHasSecondFactor(deps: Pick<Deps, 'db'>, userId: string): Promise<boolean> {
  // Runs on every request under the enrolment policy: the authenticator app answers most accounts in one query.
  const totp = await findTotpFactor(deps.db, userId);
  return totp?.enabled_at != null || (await countPasskeys(deps.db, userId)) > 0;
}

/**
 * For flows outside sign-in (a password reset, S31): checks a TOTP code or a recovery code of the user,
 * spending it, under the same per-account throttle as sign-in. Returns false when it is not right; throws
 * 429 (ThrottledError) while the account cools down.
 */
export async function verifySecondFactorCode(
  deps: Deps,
  userId: string,
  code: string,
  ctx: RequestContext,
  now: Date,
): Promise<boolean> {
  await countCodeAttempt(deps, userId, now);
  const digits = code.replace(/\s+/g, '');
  const ok = /^[0-9]{6}$/.test(digits)
    ? await spendTotpCode(deps, userId, digits, now)
    : (await spendRecoveryCode(deps, userId, code, ctx, now)) !== null;
  if (ok) await codeAttemptSucceeded(deps, userId, now);
  else await recordSecurityEvent(deps, { userId, type: 'second_factor_failed' }, ctx, now);
  return ok;
}

/** deps.hooks.verifySecondFactor, for a password reset (S31): 'none' when the account has no second factor. */
export async function verifySecondFactorForReset(
  deps: Deps,
  userId: string,
  code: string,
  ctx: RequestContext,
  now: Date,
): Promise<'ok' | 'invalid' | 'none'> {
  if (!(await userHasSecondFactor(deps, userId))) return 'none';
  if (code.trim() === '') return 'invalid';
  return (await verifySecondFactorCode(deps, userId, code, ctx, now)) ? 'ok' : 'invalid';
}
