// Changing a password while signed in (S26, S27): the current password is the fresh proof, and like
// re-authentication it gives the caller's session a new token (S20); the other devices are signed out unless
// the user keeps them.
import type { Deps } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { findUserWithHashById, setPasswordHash } from '../store/users.repository.ts';
import { checkPassword } from './password-policy.ts';
import { revokeSessions } from './revocation.ts';
import { recordSecurityEvent } from './security-log.ts';
import type { RequestContext } from './caller.ts';
import { renewSession } from './sessions.ts';
import type { Caller } from './caller.ts';
import { logAuthFailure } from './sign-in.ts';
import { policies } from './throttle.ts';

export async function changePassword(
  deps: Deps,
  auth: Caller,
  input: { currentPassword: string; newPassword: string; signOutOthers: boolean },
  ctx: RequestContext,
  now: Date,
): Promise<{ signedOut: number; token: string; sessionId: string }> {
  const user = await findUserWithHashById(deps.db, auth.userId);
  if (!user?.password_hash) throw new AppError('not_found');
  const keys = [{ key: `reauth:${auth.userId}`, policy: policies.account }];
  const storedHash = user.password_hash;
  const outcome = await deps.throttle.guard(keys, now, async () => {
    if (!(await deps.passwords.verify(storedHash, input.currentPassword)).ok) {
      logAuthFailure(deps, auth.username, ctx.ip, 'password_change_wrong_password');
      await recordSecurityEvent(deps, { userId: auth.userId, type: 'reauth_failed' }, ctx, now);
      throw new AppError('invalid_credentials', 'The current password is not correct.');
    }
  });
  if ('throttled' in outcome) {
    logAuthFailure(deps, auth.username, ctx.ip, 'password_change_throttled');
    throw new ThrottledError(outcome.throttled);
  }
  const verdict = checkPassword(input.newPassword, { username: user.username, email: user.email });
  if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
  if ((await deps.passwords.verify(user.password_hash, input.newPassword)).ok) throw new AppError('password_unchanged');
  const hash = await deps.passwords.hash(input.newPassword);
  // The proof freshens a new token, not the one presented: a copy of that one (whoever else holds it) is revoked
  // here rather than gaining ten minutes of fresh rights (S20, S27). Renewed before the change, so a session
  // revoked meanwhile changes nothing.
  const renewed = await renewSession(deps, deps.db, auth, now);
  if (!renewed) throw new AppError('unauthorized');
  await setPasswordHash(deps.db, auth.userId, hash, now, { clearResetRequired: true, changed: true });
  const revoked = input.signOutOthers
    ? await revokeSessions(
        deps,
        deps.db,
        { userId: auth.userId, exceptSessionId: renewed.sessionId },
        'password_changed',
        now,
      )
    : [];
  await recordSecurityEvent(
    deps,
    {
      userId: auth.userId,
      type: 'password_changed',
      detail: { signed_out_others: input.signOutOthers, count: revoked.length },
    },
    ctx,
    now,
  );
  for (const listener of deps.hooks.passwordChanged)
    await listener(deps, { userId: auth.userId, ctx, via: 'change' }, now);
  return { signedOut: revoked.length, token: renewed.token, sessionId: renewed.sessionId };
}
