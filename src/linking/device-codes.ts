// Linking a TV by code (S50, RFC 8628): the device asks for a code pair and polls with the long,
// secret device code; a signed-in person types the short user code, sees which device asks, and
// approves or denies. The device then gets its own session, once.
import { keyedDigest, newId, newToken, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { RequestContext } from '../accounts/caller.ts';
import { createSession } from '../accounts/sessions.ts';
import type { Caller } from '../accounts/caller.ts';
import { policies, type ThrottleKey, type ThrottlePolicy } from '../accounts/throttle.ts';
import { toUserView } from '../accounts/users.ts';
import type { UserView } from '../wire/common.ts';
import {
  clearSessionProof,
  decideLinkCode,
  deleteLinkCodesExpiredBefore,
  findLinkByDeviceCode,
  findPendingLinkByUserCode,
  insertLinkCode,
  isSessionLive,
  recordLinkPoll,
  setLinkSession,
  spendLinkCode,
  userCodeInUse,
  type LinkCodeRow,
} from '../store/linking.repository.ts';
import { findUserById } from '../store/users.repository.ts';
import { formatUserCode, newUserCode, normalizeUserCode } from './user-code.ts';

/**
 * A user code has only about 35 bits: its plain SHA-256 in a stolen copy of the store would give it up at once
 * for the ten minutes it lives. Keyed with the secret key, which never enters the store, it gives nothing.
 */
export function userCodeHash(deps: Pick<Deps, 'config'>, code: string): string {
  return keyedDigest(deps.config.secretKey, 'link-user-code', code);
}

export const DEVICE_CODE_PREFIX = 'hdc_';
export const LINK_CODE_SECONDS = 10 * 60;
export const POLL_INTERVAL_SECONDS = 5;
/** RFC 8628 3.5: each slow_down adds 5 seconds to the interval for that code. */
export const SLOW_DOWN_STEP_SECONDS = 5;
/** A TV is used now and then for years; the idle limit still ends one left unused. */
export const DEVICE_SESSION_SECONDS = 365 * 24 * 3600;
/** Asking for codes needs no account: enough for a household of TVs retrying, not for filling the store. */
export const linkRequestPolicy: ThrottlePolicy = {
  free: 60,
  baseSeconds: 2,
  maxSeconds: 600,
  windowSeconds: 3600,
  onSuccess: 'keep',
};
/** Finished links are kept a day for the record, then forgotten. */
const KEEP_ENDED_MS = 24 * 3600_000;

export interface LinkDevice {
  client: string;
  platform: string;
  deviceName: string;
}

export interface LinkCodePair {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export interface LinkRequestView {
  /** XXXX-XXXX. */
  user_code: string;
  device_name: string;
  platform: string;
  client: string;
  /** The address the device asked from. */
  ip: string | null;
  created_at: string;
  expires_at: string;
}

export function verificationUri(publicUrl: URL): string {
  return new URL('/link', publicUrl).toString();
}

export function verificationUriComplete(publicUrl: URL, userCode: string): string {
  const url = new URL('/link', publicUrl);
  url.searchParams.set('code', formatUserCode(userCode));
  return url.toString();
}

export async function requestLinkCode(
  deps: Pick<Deps, 'db' | 'random' | 'config' | 'throttle'>,
  device: LinkDevice,
  ctx: RequestContext,
  now: Date,
): Promise<LinkCodePair> {
  if (ctx.ip) {
    const wait = await deps.throttle.attempt([{ key: `link:request:${ctx.ip}`, policy: linkRequestPolicy }], now);
    if (wait > 0) throw new ThrottledError(wait);
  }
  await deleteLinkCodesExpiredBefore(deps.db, now.getTime() - KEEP_ENDED_MS);
  let userCode = newUserCode(deps.random);
  // Two live codes with the same letters would make approval ambiguous; a collision is rare, so redraw.
  for (let tries = 0; await userCodeInUse(deps.db, userCodeHash(deps, userCode), now); tries++) {
    if (tries >= 5) throw new AppError('service_unavailable', 'No free link code right now. Try again.');
    userCode = newUserCode(deps.random);
  }
  const deviceCode = newToken(deps.random, DEVICE_CODE_PREFIX);
  const t = now.getTime();
  await insertLinkCode(deps.db, {
    id: newId(deps.random),
    device_code_hash: sha256(deviceCode),
    user_code_hash: userCodeHash(deps, userCode),
    client: device.client,
    platform: device.platform,
    device_name: device.deviceName,
    ip: ctx.ip,
    status: 'pending',
    interval_seconds: POLL_INTERVAL_SECONDS,
    last_polled_at: null,
    user_id: null,
    approved_by_session: null,
    session_id: null,
    created_at: t,
    expires_at: t + LINK_CODE_SECONDS * 1000,
    decided_at: null,
    spent_at: null,
  });
  return {
    device_code: deviceCode,
    user_code: formatUserCode(userCode),
    verification_uri: verificationUri(deps.config.publicUrl),
    verification_uri_complete: verificationUriComplete(deps.config.publicUrl, userCode),
    expires_in: LINK_CODE_SECONDS,
    interval: POLL_INTERVAL_SECONDS,
  };
}

function guessKeys(auth: Caller, ip: string | null): ThrottleKey[] {
  const keys: ThrottleKey[] = [{ key: `link:guess:user:${auth.userId}`, policy: policies.codeGuess }];
  if (ip) keys.push({ key: `link:guess:address:${ip}`, policy: policies.codeGuess });
  return keys;
}

/**
 * Finds the pending link a person typed the code of. Every try counts against the guess limits, right
 * ones included: a person can ask for codes freely, so a success must not wipe the count.
 */
async function findTypedLink(
  deps: Pick<Deps, 'db' | 'throttle' | 'random' | 'log' | 'config'>,
  auth: Caller,
  typed: string,
  ctx: RequestContext,
  now: Date,
): Promise<LinkCodeRow> {
  const wait = await deps.throttle.attempt(guessKeys(auth, ctx.ip), now);
  if (wait > 0) throw new ThrottledError(wait);
  await assertMayLink(deps, auth.userId);
  const code = normalizeUserCode(typed);
  const link = code ? await findPendingLinkByUserCode(deps.db, userCodeHash(deps, code), now) : undefined;
  if (!link) {
    deps.log.warn(
      { event: 'link_code_rejected', ip: ctx.ip, user: auth.username },
      `Link code rejected for ${auth.username} from ${ctx.ip ?? 'unknown'}`,
    );
    await recordSecurityEvent(deps, { userId: auth.userId, type: 'device_link_code_rejected' }, ctx, now);
    throw new AppError('invalid_code', 'This code is not valid, was already used, or has expired.');
  }
  return link;
}

/** Flagged and disabled accounts link nothing, even through a session that is somehow still open. */
async function assertMayLink(deps: Pick<Deps, 'db'>, userId: string): Promise<void> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw new AppError('unauthorized');
  if (user.disabled) throw new AppError('account_disabled');
  if (user.reset_required) throw new AppError('password_reset_required');
}

function toRequestView(link: LinkCodeRow, typed: string): LinkRequestView {
  return {
    user_code: formatUserCode(normalizeUserCode(typed)!),
    device_name: link.device_name,
    platform: link.platform,
    client: link.client,
    ip: link.ip,
    created_at: new Date(link.created_at).toISOString(),
    expires_at: new Date(link.expires_at).toISOString(),
  };
}

/** What the approval page shows: which device asks, from where, since when. */
export async function lookupLinkCode(
  deps: Pick<Deps, 'db' | 'throttle' | 'random' | 'log' | 'config'>,
  auth: Caller,
  typed: string,
  ctx: RequestContext,
  now: Date,
): Promise<LinkRequestView> {
  const link = await findTypedLink(deps, auth, typed, ctx, now);
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'device_link_requested', detail: linkDetail(link) },
    ctx,
    now,
  );
  return toRequestView(link, typed);
}

export async function decideLink(
  deps: Pick<Deps, 'db' | 'throttle' | 'random' | 'log' | 'config'>,
  auth: Caller,
  input: { userCode: string; approve: boolean },
  ctx: RequestContext,
  now: Date,
): Promise<{ approved: boolean; device: LinkRequestView }> {
  const link = await findTypedLink(deps, auth, input.userCode, ctx, now);
  const decided = await decideLinkCode(
    deps.db,
    link.id,
    { status: input.approve ? 'approved' : 'denied', userId: auth.userId, sessionId: auth.sessionId },
    now,
  );
  if (!decided) throw new AppError('invalid_code', 'This code is not valid, was already used, or has expired.');
  await recordSecurityEvent(
    deps,
    {
      userId: auth.userId,
      type: input.approve ? 'device_link_approved' : 'device_link_denied',
      detail: linkDetail(link),
    },
    ctx,
    now,
  );
  return { approved: input.approve, device: toRequestView(link, input.userCode) };
}

function linkDetail(link: LinkCodeRow): Record<string, unknown> {
  return {
    link_id: link.id,
    device_name: link.device_name,
    platform: link.platform,
    client: link.client,
    device_ip: link.ip,
  };
}

/**
 * The device's poll. Answers with RFC 8628's errors until the person decided; an approved code yields
 * one device session, and only while the approving session and the account are still in good standing.
 */
export async function pollLinkCode(
  deps: Pick<Deps, 'db' | 'random' | 'config'>,
  deviceCode: string,
  ctx: RequestContext,
  now: Date,
): Promise<{ token: string; sessionId: string; user: UserView }> {
  const link = await findLinkByDeviceCode(deps.db, sha256(deviceCode));
  if (!link) throw new AppError('invalid_grant');
  const t = now.getTime();
  if (link.status === 'spent' || link.expires_at <= t) throw new AppError('expired_token');
  if (link.status === 'denied') throw new AppError('access_denied');
  if (link.status === 'pending') {
    if (link.last_polled_at !== null && t - link.last_polled_at < link.interval_seconds * 1000) {
      const interval = link.interval_seconds + SLOW_DOWN_STEP_SECONDS;
      await recordLinkPoll(deps.db, link.id, now, interval);
      throw new AppError('slow_down', `Polling too fast: wait ${interval} seconds between requests.`, { interval });
    }
    await recordLinkPoll(deps.db, link.id, now, link.interval_seconds);
    throw new AppError('authorization_pending', undefined, { interval: link.interval_seconds });
  }
  const outcome = await deps.db.transaction().execute(async (trx) => {
    if (!(await spendLinkCode(trx, link.id, now))) return 'spent' as const;
    const user = link.user_id ? await findUserById(trx, link.user_id) : undefined;
    const approverLive = link.approved_by_session ? await isSessionLive(trx, link.approved_by_session, now) : false;
    // Signed out, disabled or flagged between approval and pickup: the approval goes with them.
    if (!user || user.disabled || user.reset_required || !approverLive) return 'void' as const;
    const session = await createSession(
      deps,
      trx,
      {
        userId: user.id,
        kind: 'device',
        device: { name: link.device_name, platform: link.platform, client: link.client },
        ip: ctx.ip,
        absoluteSeconds: DEVICE_SESSION_SECONDS,
      },
      now,
    );
    // The device proved nothing itself: sensitive changes from it need a password first (S27).
    await clearSessionProof(trx, session.sessionId);
    await setLinkSession(trx, link.id, session.sessionId);
    return { ...session, user };
  });
  if (outcome === 'spent') throw new AppError('expired_token');
  if (outcome === 'void') throw new AppError('access_denied');
  await recordSecurityEvent(
    deps,
    { userId: outcome.user.id, type: 'device_linked', detail: { ...linkDetail(link), session_id: outcome.sessionId } },
    { ...ctx, device: link.device_name },
    now,
  );
  return { token: outcome.token, sessionId: outcome.sessionId, user: toUserView(outcome.user) };
}
