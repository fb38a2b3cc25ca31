// Signing in with a passkey alone (no username, no password), and the one thing a flagged account may
// do with it: set a new password. A passkey cannot leak from the server, so a breach response that voids
// every password still lets its holder in, but only as far as choosing a new password.
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { DeclaredDevice, Deps, SignInContext } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { checkPassword } from '../accounts/password-policy.ts';
import { revokeSessions } from '../accounts/revocation.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import { completeSignIn, logAuthFailure, type SignInResult } from '../accounts/sign-in.ts';
import { policies, type ThrottleKey } from '../accounts/throttle.ts';
import { consumePendingSignIn } from '../store/factors.repository.ts';
import { findUserById, findUserWithHashById, setPasswordHash } from '../store/users.repository.ts';
import { checkPasskeyAssertion } from './passkeys.ts';
import { findPendingSignIn, holdPendingSignIn, resumeSignIn } from './pending-sign-ins.ts';

export type PasskeySignInResult =
  | Extract<SignInResult, { kind: 'session' }>
  | { kind: 'password_change'; changeToken: string };

export async function signInWithPasskey(
  deps: Deps,
  input: { response: AuthenticationResponseJSON; device?: DeclaredDevice },
  sessionKind: 'web' | 'device',
  ctx: SignInContext,
  now: Date,
): Promise<PasskeySignInResult> {
  const keys: ThrottleKey[] = ctx.ip ? [{ key: `passkey:address:${ctx.ip}`, policy: policies.address }] : [];
  if (keys.length > 0) {
    const wait = await deps.throttle.attempt(keys, now);
    if (wait > 0) throw new ThrottledError(wait);
  }
  const passkey = await checkPasskeyAssertion(
    deps,
    input.response,
    { purpose: 'sign_in', requireUserVerification: true },
    now,
  );
  if (!passkey) {
    logAuthFailure(deps, '(passkey)', ctx.ip, 'passkey_invalid');
    await recordSecurityEvent(deps, { userId: null, type: 'sign_in_failed', detail: { method: 'passkey' } }, ctx, now);
    throw new AppError('passkey_invalid');
  }
  const user = await findUserById(deps.db, passkey.user_id);
  if (!user) throw new AppError('passkey_invalid');
  if (user.disabled) {
    logAuthFailure(deps, user.username, ctx.ip, 'disabled');
    throw new AppError('account_disabled');
  }
  // The address's count keeps the failures beside this success (the address policy gives back only this attempt).
  if (keys.length > 0) await deps.throttle.succeeded(keys, now);
  // No password is part of a passkey sign-in: a password changed meanwhile does not concern it.
  const pending = { userId: user.id, sessionKind, device: input.device, ctx, passwordStamp: null };
  if (user.reset_required) {
    const { token } = await holdPendingSignIn(deps, 'password_change', pending, now);
    await recordSecurityEvent(
      deps,
      { userId: user.id, type: 'sign_in_password_change_required', detail: { method: 'passkey' } },
      ctx,
      now,
    );
    return { kind: 'password_change', changeToken: token };
  }
  return completeSignIn(deps, pending, 'passkey', now);
}

/**
 * POST /auth/password-change-required: the flagged account sets a new password (screened, and different
 * from the presumed-stolen one), the flag is cleared, every other session ends, and it is signed in.
 */
export async function completeRequiredPasswordChange(
  deps: Deps,
  input: { changeToken: string; newPassword: string },
  sessionKind: 'web' | 'device',
  ctx: SignInContext,
  now: Date,
): Promise<Extract<SignInResult, { kind: 'session' }>> {
  const step = await findPendingSignIn(deps, input.changeToken, 'password_change', sessionKind, now);
  const user = await findUserWithHashById(deps.db, step.user_id);
  if (!user || user.disabled) throw new AppError('invalid_token');
  const verdict = checkPassword(input.newPassword, { username: user.username, email: user.email });
  if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
  if (user.password_hash && (await deps.passwords.verify(user.password_hash, input.newPassword)).ok)
    throw new AppError('password_unchanged');
  const hash = await deps.passwords.hash(input.newPassword);
  // Spent only now: a refused password leaves the user free to try another within the token's life.
  if (!(await consumePendingSignIn(deps.db, step.id, now))) throw new AppError('invalid_token');
  await setPasswordHash(deps.db, user.id, hash, now, { clearResetRequired: true, changed: true });
  const revoked = await revokeSessions(deps, deps.db, { userId: user.id }, 'password_changed', now);
  await recordSecurityEvent(
    deps,
    {
      userId: user.id,
      type: 'password_changed',
      detail: { via: 'passkey_sign_in', reset_required: true, count: revoked.length },
    },
    ctx,
    now,
  );
  for (const listener of deps.hooks.passwordChanged) await listener(deps, { userId: user.id, ctx, via: 'change' }, now);
  return completeSignIn(deps, resumeSignIn(step, ctx), 'passkey', now);
}
