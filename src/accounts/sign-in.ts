// Signing in with a password (S10-S14): throttle, verify off the event loop, then either a session
// or the second-factor step.
import { keyedDigest, sha256 } from '../crypto.ts';
import type { DeclaredDevice, Deps, PendingSignIn, SignInContext } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { knownDeviceSeenAt, rememberDevice } from '../store/known-devices.repository.ts';
import {
  findUserWithHashById,
  findUserWithHashByLogin,
  lockUserForSignIn,
  replacePasswordHash,
  type UserWithHash,
} from '../store/users.repository.ts';
import { newDeviceMarker, readDeviceMarker } from './device-marker.ts';
import { normalizeLogin } from './identity.ts';
import { recordSecurityEvent } from './security-log.ts';
import { createSession, renewSession } from './sessions.ts';
import type { Caller } from './caller.ts';
import { policies, type ThrottleKey } from './throttle.ts';
import { deviceInfoFrom } from './user-agent.ts';
import type { UserView } from '../wire/common.ts';
import { toUserView } from './users.ts';

export type SignInResult =
  | { kind: 'session'; token: string; sessionId: string; user: UserView; deviceMarker: string; newDevice: boolean }
  | { kind: 'mfa'; mfaToken: string; methods: string[] };

/** Names the stored password without revealing anything the hash would not: a digest of the hash. */
export function passwordStamp(hash: string | null): string | null {
  return hash === null ? null : sha256(hash);
}

export function throttleKeysFor(
  userId: string | null,
  loginLower: string,
  ip: string | null,
  trustedDeviceId: string | null,
): ThrottleKey[] {
  if (userId && trustedDeviceId)
    return [{ key: `signin:device:${userId}:${trustedDeviceId}`, policy: policies.knownDevice }];
  const keys: ThrottleKey[] = [{ key: `signin:account:${userId ?? `login:${loginLower}`}`, policy: policies.account }];
  if (ip) keys.push({ key: `signin:address:${ip}`, policy: policies.address });
  return keys;
}

/**
 * What the log and the security log keep of a login name that matches no account: a keyed digest, never the text.
 * A password typed into the name field by mistake must not land in plain text in the logs; the digest still tells
 * one name from another (credential-stuffing alerts count distinct names) and repeats for the same name.
 */
export function unknownLoginRef(deps: Pick<Deps, 'config'>, login: string): string {
  return `unknown:${keyedDigest(deps.config.secretKey, 'unknown-login', normalizeLogin(login)).slice(0, 16)}`;
}

export function logAuthFailure(deps: Pick<Deps, 'log'>, login: string, ip: string | null, reason: string): void {
  // One line with the address, for fail2ban: failregex = Authentication failure .* from <HOST>
  deps.log.warn(
    { event: 'auth_failure', ip, login: login.slice(0, 100), reason },
    `Authentication failure for ${JSON.stringify(login.slice(0, 100))} from ${ip ?? 'unknown'} (${reason})`,
  );
}

/** A known device's last sign-in is written at most this often, like a session's last use. */
const DEVICE_SEEN_RESOLUTION_MS = 60_000;

/**
 * What a request's device marker says, worked out once per request (an HMAC): the device id when the marker is
 * genuine, and, once the password step found the device known to the account, when it was last seen there.
 */
interface MarkerCheck {
  deviceId: string | null;
  seen?: { userId: string; at: number };
}

const markerChecks = new WeakMap<SignInContext, MarkerCheck>();

function markerCheck(deps: Pick<Deps, 'config'>, ctx: SignInContext): MarkerCheck {
  let check = markerChecks.get(ctx);
  if (!check) markerChecks.set(ctx, (check = { deviceId: readDeviceMarker(deps.config.secretKey, ctx.deviceMarker) }));
  return check;
}

/** Checks a password with throttling and the dummy hash for unknown users. Returns the user, or throws. */
export async function verifyPasswordSignIn(
  deps: Deps,
  login: string,
  password: string,
  ctx: SignInContext,
  now: Date,
): Promise<UserWithHash> {
  const loginLower = normalizeLogin(login);
  const user = await findUserWithHashByLogin(deps.db, loginLower);
  const marker = markerCheck(deps, ctx);
  const seenAt = user && marker.deviceId ? await knownDeviceSeenAt(deps.db, user.id, marker.deviceId) : undefined;
  if (user && seenAt !== undefined) marker.seen = { userId: user.id, at: seenAt };
  const keys = throttleKeysFor(user?.id ?? null, loginLower, ctx.ip, seenAt !== undefined ? marker.deviceId : null);
  // Every refusal below throws inside the guard, so the attempt stays counted; only a sign-in that may go on clears.
  const outcome = await deps.throttle.guard(keys, now, async () => {
    if (!user?.password_hash) {
      await deps.passwords.verifyDummy(password);
      const ref = unknownLoginRef(deps, login);
      logAuthFailure(deps, ref, ctx.ip, 'unknown_user');
      await recordSecurityEvent(deps, { userId: null, type: 'sign_in_failed', detail: { login: ref } }, ctx, now);
      throw new AppError('invalid_credentials');
    }
    const verdict = await deps.passwords.verify(user.password_hash, password);
    if (!verdict.ok) {
      logAuthFailure(deps, login, ctx.ip, 'wrong_password');
      await recordSecurityEvent(
        deps,
        { userId: user.id, type: 'sign_in_failed', detail: { reason: 'wrong_password' } },
        ctx,
        now,
      );
      throw new AppError('invalid_credentials');
    }
    if (user.reset_required) {
      // Presumed stolen: the old password proves nothing and yields nothing (S14).
      logAuthFailure(deps, login, ctx.ip, 'password_reset_required');
      await recordSecurityEvent(deps, { userId: user.id, type: 'sign_in_blocked_reset_required' }, ctx, now);
      throw new AppError('password_reset_required');
    }
    if (user.disabled) {
      logAuthFailure(deps, login, ctx.ip, 'disabled');
      throw new AppError('account_disabled');
    }
    return { user, needsRehash: verdict.needsRehash };
  });
  if ('throttled' in outcome) {
    logAuthFailure(deps, user ? login : unknownLoginRef(deps, login), ctx.ip, 'throttled');
    if (user)
      await recordSecurityEvent(
        deps,
        { userId: user.id, type: 'sign_in_throttled', detail: { retry_after: outcome.throttled } },
        ctx,
        now,
      );
    throw new ThrottledError(outcome.throttled);
  }
  const { user: checked, needsRehash } = outcome.value;
  if (needsRehash && checked.password_hash) {
    const hash = await deps.passwords.hash(password);
    // Only over the hash just checked: a reset that committed meanwhile must not get the old password back.
    if (!(await replacePasswordHash(deps.db, checked.id, checked.password_hash, hash, now)))
      throw new AppError('invalid_credentials');
    return { ...checked, password_hash: hash };
  }
  return checked;
}

export async function signIn(
  deps: Deps,
  input: { login: string; password: string; device?: DeclaredDevice },
  sessionKind: 'web' | 'device',
  ctx: SignInContext,
  now: Date,
): Promise<SignInResult> {
  const user = await verifyPasswordSignIn(deps, input.login, input.password, ctx, now);
  const pending: PendingSignIn = {
    userId: user.id,
    sessionKind,
    device: input.device,
    ctx,
    passwordStamp: passwordStamp(user.password_hash),
  };
  if (deps.hooks.secondFactor) {
    const step = await deps.hooks.secondFactor(deps, user, pending, now);
    if (step) return { kind: 'mfa', ...step };
  }
  return completeSignIn(deps, pending, 'password', now);
}

/** The last step of every sign-in path: a new session (never a reused one, S20) and the device marker. */
export async function completeSignIn(
  deps: Deps,
  pending: PendingSignIn,
  method: string,
  now: Date,
): Promise<Extract<SignInResult, { kind: 'session' }>> {
  const device = deviceInfoFrom(pending.device, pending.ctx.userAgent);
  const check = markerCheck(deps, pending.ctx);
  const knownId = check.deviceId;
  // A genuine marker is exactly the one this device would get again: hand it back.
  const marker = knownId
    ? { deviceId: knownId, marker: pending.ctx.deviceMarker! }
    : newDeviceMarker(deps.config.secretKey, deps.random);
  // The session, the device and the log line are one write: all of them or none. The account is read in it, with
  // its row locked, so that a change to it either came before (and is seen here) or waits for this session.
  const { user, token, sessionId, newDevice } = await deps.db.transaction().execute(async (trx) => {
    const user = await lockUserForSignIn(trx, pending.userId);
    if (!user || user.disabled) throw new AppError('invalid_credentials');
    // Flagged between the password check and here (a breach response committing mid-sign-in): no session (S14).
    if (user.reset_required) throw new AppError('password_reset_required');
    // The password that let this sign-in through was changed or reset since: it opens nothing now (S26, S31).
    if (pending.passwordStamp !== null && passwordStamp(user.password_hash) !== pending.passwordStamp) {
      throw new AppError('invalid_credentials');
    }
    const session = await createSession(
      deps,
      trx,
      { userId: user.id, kind: pending.sessionKind, device, ip: pending.ctx.ip },
      now,
    );
    const seenLately = check.seen?.userId === user.id && now.getTime() - check.seen.at < DEVICE_SEEN_RESOLUTION_MS;
    const isNew = seenLately ? false : await rememberDevice(trx, user.id, marker.deviceId, now);
    await recordSecurityEvent(
      deps,
      { userId: user.id, type: 'sign_in', detail: { method, session_id: session.sessionId, new_device: isNew } },
      { ...pending.ctx, device: device.name },
      now,
      trx,
    );
    return { ...session, user, newDevice: isNew };
  });
  for (const listener of deps.hooks.signIn)
    await listener(deps, { userId: user.id, sessionId, newDevice, device: device.name, ctx: pending.ctx }, now);
  return { kind: 'session', token, sessionId, user: toUserView(user), deviceMarker: marker.marker, newDevice };
}

/** Re-authentication for sensitive changes (S27): a correct password renews the session with a new token (S20). */
export async function reauthenticate(
  deps: Deps,
  auth: Caller,
  password: string,
  ctx: SignInContext,
  now: Date,
): Promise<{ token: string; sessionId: string }> {
  const keys: ThrottleKey[] = [{ key: `reauth:${auth.userId}`, policy: policies.account }];
  const outcome = await deps.throttle.guard(keys, now, async () => {
    const user = await findUserWithHashById(deps.db, auth.userId);
    const verdict = user?.password_hash ? await deps.passwords.verify(user.password_hash, password) : { ok: false };
    if (!verdict.ok) {
      logAuthFailure(deps, auth.username, ctx.ip, 'reauth_wrong_password');
      await recordSecurityEvent(deps, { userId: auth.userId, type: 'reauth_failed' }, ctx, now);
      throw new AppError('invalid_credentials');
    }
  });
  if ('throttled' in outcome) {
    logAuthFailure(deps, auth.username, ctx.ip, 'reauth_throttled');
    throw new ThrottledError(outcome.throttled);
  }
  const renewed = await renewSession(deps, deps.db, auth, now);
  // Revoked between the auth check and here: nothing left to refresh.
  if (!renewed) throw new AppError('unauthorized');
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'reauthenticated', detail: { session_id: renewed.sessionId } },
    ctx,
    now,
  );
  return renewed;
}
