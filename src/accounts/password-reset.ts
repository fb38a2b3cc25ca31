// Getting back into an account by mail: the password reset (S30, S31, S10) and "this wasn't me" (S62).
// Neither signs anyone in; both end every session.
import { sha256 } from '../crypto.ts';
import type { Deps, JobType } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { enqueueJob } from '../jobs/runner.ts';
import { checkEmail, normalizeLogin } from './identity.ts';
import { checkPassword } from './password-policy.ts';
import { revokeSessions } from './revocation.ts';
import { recordSecurityEvent } from './security-log.ts';
import type { RequestContext } from './caller.ts';
import { policies, type ThrottleKey } from './throttle.ts';
import { forgetDevices } from '../store/known-devices.repository.ts';
import { consumeMailToken, voidMailTokens } from '../store/mail.repository.ts';
import {
  findUserByEmail,
  findUserById,
  findUserWithHashById,
  setPasswordHash,
  updateUser,
} from '../store/users.repository.ts';
import { queueMail } from '../mail/queue.ts';
import { circumstancesOf } from '../mail/templates.ts';
import { findMailToken, issueMailToken } from './mail-tokens.ts';

export const RESET_REQUEST_JOB = 'mail.password-reset';

interface ResetRequestPayload {
  email: string;
  ip: string | null;
  userAgent: string | null;
  requestedAt: number;
}

/**
 * POST /auth/password-reset/request. The request does the same work for every address (check, throttle,
 * queue one job) and the job decides whether there is an account to mail, so neither the answer nor its
 * time tells whether the address has an account (S10).
 */
export async function requestPasswordReset(deps: Deps, email: string, ctx: RequestContext, now: Date): Promise<void> {
  const address = normalizeLogin(checkEmail(email));
  const user = await findUserByEmail(deps.db, address);
  const addressKey = sha256(address);
  const keys: ThrottleKey[] = [
    { key: `reset:address:${addressKey}`, policy: policies.mailRequest },
    { key: `reset:account:${user?.id ?? `unknown:${addressKey}`}`, policy: policies.mailRequest },
  ];
  const wait = await deps.throttle.attempt(keys, now);
  if (wait > 0) throw new ThrottledError(wait);
  const payload: ResetRequestPayload = {
    email: address,
    ip: ctx.ip,
    userAgent: ctx.userAgent ?? null,
    requestedAt: now.getTime(),
  };
  await enqueueJob(deps, deps.db, { type: RESET_REQUEST_JOB, payload }, now);
}

/** The job behind a reset request: a link for an account that may have one, nothing otherwise. */
export async function sendPasswordReset(
  deps: Deps,
  payload: ResetRequestPayload,
  now: Date,
): Promise<{ mailed: boolean }> {
  const ctx: RequestContext = { ip: payload.ip, userAgent: payload.userAgent ?? undefined };
  const requestedAt = new Date(payload.requestedAt);
  const user = await findUserByEmail(deps.db, payload.email);
  if (!user || user.disabled) {
    await recordSecurityEvent(
      deps,
      { userId: null, type: 'password_reset_requested', detail: { known: false } },
      ctx,
      requestedAt,
    );
    return { mailed: false };
  }
  await deps.db.transaction().execute(async (trx) => {
    const token = await issueMailToken(
      deps,
      trx,
      { userId: user.id, purpose: 'password_reset', email: user.email },
      now,
    );
    await queueMail(
      deps,
      trx,
      {
        userId: user.id,
        to: user.email,
        template: 'password_reset',
        data: { username: user.username, token, reason: 'requested', requested: circumstancesOf(ctx, requestedAt) },
      },
      now,
    );
    await recordSecurityEvent(deps, { userId: user.id, type: 'password_reset_requested' }, ctx, requestedAt, trx);
  });
  return { mailed: true };
}

export function resetRequestJobType(): JobType<ResetRequestPayload> {
  return {
    type: RESET_REQUEST_JOB,
    run: (deps, ctx) => sendPasswordReset(deps, ctx.payload, deps.clock()),
    concurrency: 2,
    maxAttempts: 5,
  };
}

export interface ResetInput {
  token: string;
  newPassword: string;
  /** A TOTP or recovery code, needed when the account has a second factor (S31). */
  code?: string;
}

/**
 * POST /auth/password-reset/confirm. Sets the new password, ends every session, voids every other reset
 * link and clears a forced reset (this is how a flagged account gets back in); does not sign in.
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: ResetInput,
  ctx: RequestContext,
  now: Date,
): Promise<{ username: string }> {
  const row = await findMailToken(deps.db, 'password_reset', input.token, now);
  if (!row) throw new AppError('invalid_token');
  const user = await findUserWithHashById(deps.db, row.user_id);
  // A link sent to an address the account no longer has is dead (the address changed since).
  if (!user || user.disabled || user.email.toLowerCase() !== row.email?.toLowerCase())
    throw new AppError('invalid_token');
  const verdict = checkPassword(input.newPassword, { username: user.username, email: user.email });
  if (!verdict.ok) throw new AppError(verdict.code, verdict.message);
  // The second factor comes before any comparison with the current password: without it, whoever reads the
  // mailbox could test guesses of the current password through "unchanged", unthrottled, since a refused try
  // keeps the link (S11, S31). So a valid code is spent even when the new password then turns out unchanged.
  await checkSecondFactor(deps, user.id, input.code, ctx, now);
  if (user.password_hash && (await deps.passwords.verify(user.password_hash, input.newPassword)).ok) {
    throw new AppError('password_unchanged');
  }
  const hash = await deps.passwords.hash(input.newPassword);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await consumeMailToken(trx, row.id, now))) throw new AppError('invalid_token');
    await voidMailTokens(trx, user.id, ['password_reset'], now);
    await setPasswordHash(trx, user.id, hash, now, { clearResetRequired: true, changed: true });
    await recordSecurityEvent(
      deps,
      { userId: user.id, type: 'password_reset', detail: { cleared_reset_required: user.reset_required === 1 } },
      ctx,
      now,
      trx,
    );
  });
  await revokeSessions(deps, deps.db, { userId: user.id }, 'password_reset', now);
  // Whoever was guessing the old password must not keep the owner locked out of the new one.
  await deps.throttle.clear([`signin:account:${user.id}`]);
  for (const listener of deps.hooks.passwordChanged) await listener(deps, { userId: user.id, ctx, via: 'reset' }, now);
  // The holder of the link proved the mailbox: the sign-in page may show them their username (still no session).
  return { username: user.username };
}

/**
 * S31: a reset is no way around two-step sign-in. The code is spent only once the link and the new password's
 * policy check passed; the comparison with the current password and the link's use come after it.
 */
async function checkSecondFactor(
  deps: Deps,
  userId: string,
  code: string | undefined,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  const verify = deps.hooks.verifySecondFactor;
  if (!verify) return;
  if (code === undefined || code.trim() === '') {
    if ((await verify(deps, userId, '', ctx, now)) === 'none') return;
    throw new AppError('mfa_required');
  }
  // The hook counts the guess on the account's one second-factor throttle, shared with sign-in.
  const verdict = await verify(deps, userId, code.trim(), ctx, now);
  if (verdict === 'invalid') {
    await recordSecurityEvent(deps, { userId, type: 'password_reset_code_failed' }, ctx, now);
    throw new AppError('invalid_code');
  }
}

/**
 * POST /auth/not-me: the owner says a sign-in or change was not them. Every device is signed out and the
 * account is locked until a new password is set. The address the link was mailed to comes back if the
 * account's address changed since and gets the reset link; if another account took that address meanwhile,
 * the account stays locked and no link goes anywhere (certainly not to the address that replaced it): an
 * admin restores access. Returns where the reset link went.
 */
export async function reportNotMe(
  deps: Deps,
  token: string,
  ctx: RequestContext,
  now: Date,
): Promise<{ resetLinkSent: boolean }> {
  const row = await findMailToken(deps.db, 'not_me', token, now);
  if (!row) throw new AppError('invalid_token');
  const user = await findUserById(deps.db, row.user_id);
  if (!user) throw new AppError('invalid_token');
  const resetLinkSent = await deps.db.transaction().execute(async (trx) => {
    if (!(await consumeMailToken(trx, row.id, now))) throw new AppError('invalid_token');
    let email: string | null = user.email;
    if (row.email && row.email.toLowerCase() !== user.email.toLowerCase()) {
      const holder = await findUserByEmail(trx, row.email.toLowerCase());
      if (!holder) {
        email = row.email;
        // The old address just proved it reads our mail.
        await updateUser(trx, user.id, { email, email_lower: email.toLowerCase(), email_verified: 1 }, now);
      } else {
        // The account's current address is the one that replaced the reporter's: no link goes to it.
        email = null;
      }
    }
    await updateUser(trx, user.id, { reset_required: 1, reset_required_reason: 'not_me' }, now);
    await voidMailTokens(trx, user.id, ['password_reset', 'verify_email'], now);
    const detail =
      email === null ? { address_taken: row.email } : email !== user.email ? { restored_email: email } : undefined;
    await recordSecurityEvent(deps, { userId: user.id, type: 'not_me_reported', detail }, ctx, now, trx);
    if (email === null) return false;
    const resetToken = await issueMailToken(deps, trx, { userId: user.id, purpose: 'password_reset', email }, now);
    await queueMail(
      deps,
      trx,
      {
        userId: user.id,
        to: email,
        template: 'password_reset',
        data: { username: user.username, token: resetToken, reason: 'not_me', requested: circumstancesOf(ctx, now) },
      },
      now,
    );
    return true;
  });
  await revokeSessions(deps, deps.db, { userId: user.id }, 'not_me', now);
  // The intruder's browser must not count as a known device any more.
  await forgetDevices(deps.db, user.id);
  return { resetLinkSent };
}
