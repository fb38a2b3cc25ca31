// Changing a password while signed in (S26, S27): the current password is the fresh proof; the other
// devices are signed out unless the user keeps them.
import type { Deps } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { markSessionAuthenticated } from '../store/sessions.repository.ts';
import { findUserWithHashById, setPasswordHash } from '../store/users.repository.ts';
import { checkPassword } from './password-policy.ts';
import { revokeSessions } from './revocation.ts';
import { recordSecurityEvent, type RequestContext } from './security-log.ts';
import type { AuthContext } from './sessions.ts';
import { logAuthFailure } from './sign-in.ts';
import { policies } from './throttle.ts';

export async function changePassword(
  deps: Deps,
  auth: AuthContext,
  input: { currentPassword: string; newPassword: string; signOutOthers: boolean },
  ctx: RequestContext,
  now: Date,
): Promise<{ signedOut: number }> {
  const user = await findUserWithHashById(deps.db, auth.userId);
  if (!user?.password_hash) throw new AppError('not_found');
  const keys = [{ key: `reauth:${auth.userId}`, policy: policies.account }];
  const wait = await deps.throttle.attempt(keys, now);
  if (wait > 0) {
    logAuthFailure(deps, auth.username, ctx.ip, 'password_change_throttled');
    throw new ThrottledError(wait);
  }
  if (!(await deps.passwords.verify(user.password_hash, input.currentPassword)).ok) {
    logAuthFailure(deps, auth.username, ctx.ip, 'password_change_wrong_password');
    await recordSecurityEvent(deps, { userId: auth.userId, type: 'reauth_failed' }, ctx, now);
    throw new AppError('invalid_credentials', 'The current password is not correct.');
  }
  await deps.throttle.clear(keys.map((k) => k.key));
  const verdict = checkPassword(input.newPassword, { username: user.username, email: user.email });
  if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
  if ((await deps.passwords.verify(user.password_hash, input.newPassword)).ok) throw new AppError('password_unchanged');
  const hash = await deps.passwords.hash(input.newPassword);
  await setPasswordHash(deps.db, auth.userId, hash, now, { clearResetRequired: true, changed: true });
  await markSessionAuthenticated(deps.db, auth.sessionId, now);
  const revoked = input.signOutOthers
    ? await revokeSessions(deps, deps.db, { userId: auth.userId, exceptSessionId: auth.sessionId }, 'password_changed', now)
    : [];
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'password_changed', detail: { signed_out_others: input.signOutOthers, count: revoked.length } },
    ctx,
    now,
  );
  for (const listener of deps.hooks.passwordChanged) await listener(deps, { userId: auth.userId, ctx, via: 'change' }, now);
  return { signedOut: revoked.length };
}
