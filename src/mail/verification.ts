// Proving an address: at registration and on every change of address. A change needs a fresh password
// (the route says so), takes effect at once as unverified, and the old address is told, with a link
// that gives it back (S34).
import type { Deps } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { checkEmail } from '../accounts/identity.ts';
import { recordSecurityEvent, type RequestContext } from '../accounts/security-log.ts';
import type { AuthContext } from '../accounts/sessions.ts';
import { policies } from '../accounts/throttle.ts';
import { getUserView, type UserView } from '../accounts/users.ts';
import type { Db } from '../store/db.ts';
import { consumeMailToken, voidMailTokens } from '../store/mail.repository.ts';
import { findUserByEmail, findUserById, updateUser, type UserRow } from '../store/users.repository.ts';
import { queueMail } from './queue.ts';
import { circumstancesOf, mailTime } from './templates.ts';
import { findMailToken, issueMailToken } from './tokens.ts';

/** Queues a verification link for the user's current address. */
export async function queueVerification(
  deps: Deps,
  db: Db,
  user: Pick<UserRow, 'id' | 'username' | 'email'>,
  reason: 'registration' | 'address_change',
  now: Date,
): Promise<void> {
  const token = await issueMailToken(deps, db, { userId: user.id, purpose: 'verify_email', email: user.email }, now);
  await queueMail(deps, db, { userId: user.id, to: user.email, template: 'verify_email', data: { username: user.username, token, reason } }, now);
}

/**
 * After a registration with an invite. A taken address gets a notice for its owner instead of a
 * verification, so the person registering learns nothing, and the owner learns someone tried (S10).
 */
export async function mailAfterRegistration(deps: Deps, event: { userId: string | null; email: string }, now: Date): Promise<void> {
  const user = event.userId ? await findUserById(deps.db, event.userId) : await findUserByEmail(deps.db, event.email.toLowerCase());
  if (!user) return;
  if (event.userId) {
    await deps.db.transaction().execute((trx) => queueVerification(deps, trx, user, 'registration', now));
    return;
  }
  await queueMail(
    deps,
    deps.db,
    { userId: user.id, to: user.email, template: 'registration_attempt', data: { username: user.username, at: mailTime(now) } },
    now,
  );
}

/** POST /auth/verify-email: the link from the mail. Works once, for the address it was sent to. */
export async function verifyEmail(deps: Deps, token: string, ctx: RequestContext, now: Date): Promise<void> {
  const row = await findMailToken(deps.db, 'verify_email', token, now);
  if (!row) throw new AppError('invalid_token');
  const user = await findUserById(deps.db, row.user_id);
  if (!user || user.email.toLowerCase() !== row.email?.toLowerCase()) throw new AppError('invalid_token');
  await deps.db.transaction().execute(async (trx) => {
    if (!(await consumeMailToken(trx, row.id, now))) throw new AppError('invalid_token');
    await updateUser(trx, user.id, { email_verified: 1 }, now);
    await recordSecurityEvent(deps, { userId: user.id, type: 'email_verified', detail: { email: user.email } }, ctx, now, trx);
  });
}

/** POST /me/email/verification: another link for an address not yet verified (throttled: it sends mail). */
export async function resendVerification(deps: Deps, auth: AuthContext, now: Date): Promise<void> {
  const user = await findUserById(deps.db, auth.userId);
  if (!user) throw new AppError('not_found');
  if (user.email_verified === 1) throw new AppError('conflict', 'This address is already verified.');
  const wait = await deps.throttle.attempt([{ key: `verify:resend:${user.id}`, policy: policies.mailRequest }], now);
  if (wait > 0) throw new ThrottledError(wait);
  await deps.db.transaction().execute((trx) => queueVerification(deps, trx, user, 'registration', now));
}

/** POST /me/email: a new address for the account (fresh proof required by the route, S27). */
export async function changeEmail(deps: Deps, auth: AuthContext, newEmail: string, ctx: RequestContext, now: Date): Promise<UserView> {
  const email = checkEmail(newEmail);
  const user = await findUserById(deps.db, auth.userId);
  if (!user) throw new AppError('not_found');
  if (user.email.toLowerCase() === email.toLowerCase()) {
    throw new AppError('invalid_body', 'This is already the address of your account.', { field: 'email' });
  }
  if (await findUserByEmail(deps.db, email.toLowerCase())) throw new AppError('email_taken');
  const when = circumstancesOf(ctx, now);
  try {
    await deps.db.transaction().execute(async (trx) => {
      await updateUser(trx, user.id, { email, email_lower: email.toLowerCase(), email_verified: 0 }, now);
      // Links already sent to the old address must not work for the new one, nor the other way round.
      await voidMailTokens(trx, user.id, ['verify_email', 'password_reset'], now);
      await queueVerification(deps, trx, { id: user.id, username: user.username, email }, 'address_change', now);
      const notMeToken = await issueMailToken(deps, trx, { userId: user.id, purpose: 'not_me', email: user.email }, now);
      await queueMail(
        deps,
        trx,
        {
          userId: user.id,
          to: user.email,
          template: 'email_changed',
          data: { username: user.username, oldEmail: user.email, newEmail: email, when, notMeToken },
        },
        now,
      );
      await recordSecurityEvent(deps, { userId: user.id, type: 'email_changed', detail: { from: user.email, to: email } }, ctx, now, trx);
    });
  } catch (err) {
    // Two accounts racing for one address: the unique index decides.
    if (/unique|duplicate/i.test((err as Error).message)) throw new AppError('email_taken');
    throw err;
  }
  return getUserView(deps, user.id);
}
