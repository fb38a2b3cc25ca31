// Proving an address: at registration and on every change of address. A change (PATCH /me, with a fresh
// password) takes effect at once as unverified, and the old address is told, with a link that gives it
// back (S34).
import type { Deps } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { recordSecurityEvent } from './security-log.ts';
import type { RequestContext } from './caller.ts';
import type { Caller } from './caller.ts';
import { policies } from './throttle.ts';
import type { Db } from '../store/db.ts';
import { consumeMailToken, voidMailTokens } from '../store/mail.repository.ts';
import { findUserByEmail, findUserById, updateUser, type UserRow } from '../store/users.repository.ts';
import { queueMail } from '../mail/queue.ts';
import { circumstancesOf, mailTime } from '../mail/templates.ts';
import { findMailToken, issueMailToken } from './mail-tokens.ts';

/** Queues a verification link for the user's current address. */
export async function queueVerification(
  deps: Deps,
  db: Db,
  user: Pick<UserRow, 'id' | 'username' | 'email'>,
  reason: 'registration' | 'address_change',
  now: Date,
): Promise<void> {
  const token = await issueMailToken(deps, db, { userId: user.id, purpose: 'verify_email', email: user.email }, now);
  await queueMail(
    deps,
    db,
    { userId: user.id, to: user.email, template: 'verify_email', data: { username: user.username, token, reason } },
    now,
  );
}

/**
 * After a registration with an invite. A taken address gets a notice for its owner instead of a
 * verification, so the person registering learns nothing, and the owner learns someone tried (S10).
 */
export async function mailAfterRegistration(
  deps: Deps,
  event: { userId: string | null; email: string },
  now: Date,
): Promise<void> {
  const user = event.userId
    ? await findUserById(deps.db, event.userId)
    : await findUserByEmail(deps.db, event.email.toLowerCase());
  if (!user) return;
  if (event.userId) {
    await deps.db.transaction().execute((trx) => queueVerification(deps, trx, user, 'registration', now));
    return;
  }
  await queueMail(
    deps,
    deps.db,
    {
      userId: user.id,
      to: user.email,
      template: 'registration_attempt',
      data: { username: user.username, at: mailTime(now) },
    },
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
    await recordSecurityEvent(
      deps,
      { userId: user.id, type: 'email_verified', detail: { email: user.email } },
      ctx,
      now,
      trx,
    );
  });
}

/** POST /me/email/verification: another link for an address not yet verified (throttled: it sends mail). */
export async function resendVerification(deps: Deps, auth: Caller, now: Date): Promise<void> {
  const user = await findUserById(deps.db, auth.userId);
  if (!user) throw new AppError('not_found');
  if (user.email_verified === 1) throw new AppError('conflict', 'This address is already verified.');
  const wait = await deps.throttle.attempt([{ key: `verify:resend:${user.id}`, policy: policies.mailRequest }], now);
  if (wait > 0) throw new ThrottledError(wait);
  await deps.db.transaction().execute((trx) => queueVerification(deps, trx, user, 'registration', now));
}

/**
 * After PATCH /me changed the address (fresh proof required there, S27): links sent to the old address
 * die, the new one gets a verification link, and the old one is told, with a link that gives it back (S34).
 */
export async function mailAfterEmailChange(
  deps: Deps,
  event: { userId: string; from: string; to: string; ctx: RequestContext },
  now: Date,
): Promise<void> {
  const user = await findUserById(deps.db, event.userId);
  if (!user) return;
  const when = circumstancesOf(event.ctx, now);
  await deps.db.transaction().execute(async (trx) => {
    await voidMailTokens(trx, user.id, ['verify_email', 'password_reset'], now);
    await queueVerification(deps, trx, user, 'address_change', now);
    const notMeToken = await issueMailToken(deps, trx, { userId: user.id, purpose: 'not_me', email: event.from }, now);
    await queueMail(
      deps,
      trx,
      {
        userId: user.id,
        to: event.from,
        template: 'email_changed',
        data: { username: user.username, oldEmail: event.from, newEmail: event.to, when, notMeToken },
      },
      now,
    );
  });
}
