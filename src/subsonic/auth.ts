// The Subsonic door's sign-in. Whatever form the app uses (OpenSubsonic apiKey, u+p, u+t+s), it must come down
// to a Hearth app password of scope `subsonic`, which then goes through the one token check (`authenticate`):
// revocation, sign out everywhere, a reset and the breach response end it there (S90). The account password is
// never accepted in any form (S91). Failures are throttled on the sign-in keys (per account, per address) with
// the same answer for an unknown name as for a wrong password (S92).
import { throttleKeysFor, logAuthFailure, unknownLoginRef } from '../accounts/sign-in.ts';
import { normalizeLogin } from '../accounts/identity.ts';
import { delayFor, policies, type ThrottleKey } from '../accounts/throttle.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { Caller, RequestContext } from '../accounts/caller.ts';
import { APP_PASSWORD_PREFIX, authenticate } from '../accounts/sessions.ts';
import type { Deps } from '../deps.ts';
import { findSubsonicSecrets } from '../store/subsonic.repository.ts';
import { ERROR, SubsonicError } from './render.ts';
import { dummyTokenCheck, matchToken } from './secrets.ts';

export const SUBSONIC_SCOPE = 'subsonic';

export interface SubsonicCredentials {
  u?: string;
  p?: string;
  t?: string;
  s?: string;
  apiKey?: string;
}

/** `enc:` + hex of the UTF-8 bytes, or the text itself. */
export function decodePassword(p: string): string | null {
  if (!p.startsWith('enc:')) return p;
  const hex = p.slice(4);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) return null;
  return Buffer.from(hex, 'hex').toString('utf8');
}

function isSubsonicPassword(auth: Caller | null): auth is Caller {
  return auth !== null && auth.credential === 'app_password' && auth.scopes?.includes(SUBSONIC_SCOPE) === true;
}

async function refuse(
  deps: Deps,
  login: string,
  userId: string | null,
  ctx: RequestContext,
  reason: string,
  now: Date,
): Promise<never> {
  const ref = userId === null ? unknownLoginRef(deps, login) : login;
  logAuthFailure(deps, ref, ctx.ip, `subsonic_${reason}`);
  await recordSecurityEvent(
    deps,
    {
      userId,
      type: 'sign_in_failed',
      detail: userId === null ? { login: ref, door: 'subsonic' } : { reason, door: 'subsonic' },
    },
    ctx,
    now,
  );
  throw new SubsonicError(
    ERROR.wrongCredentials,
    'Wrong username or password. Subsonic apps sign in with an app password made for them in Hearth (Account → App passwords), never the account password.',
  );
}

/**
 * Subsonic apps send their credentials with every request, dozens at once (covers, a queue's songs), so a
 * request is not a sign-in attempt: only failures are counted, on the sign-in keys (per account, per address).
 * While those keys are blocked, this process refuses the right password too, as sign-in does; the wait it
 * learnt from the last counted failure is kept here for that (another instance learns it at its next failure).
 */
interface Counts {
  blockedUntil: Map<string, number>;
  /** Failures this process counted per key in the policy's window, to know when the store's count blocks. */
  failures: Map<string, { count: number; since: number }>;
}
const countsOf = new WeakMap<Deps, Counts>();
const MAX_BLOCKED = 10_000;

function counts(deps: Deps): Counts {
  let c = countsOf.get(deps);
  if (!c) countsOf.set(deps, (c = { blockedUntil: new Map(), failures: new Map() }));
  return c;
}

function waitingFor(deps: Deps, keys: ThrottleKey[], now: Date): number {
  const { blockedUntil } = counts(deps);
  const t = now.getTime();
  let wait = 0;
  for (const { key } of keys) {
    const until = blockedUntil.get(key);
    if (until === undefined) continue;
    if (until <= t) blockedUntil.delete(key);
    else wait = Math.max(wait, Math.ceil((until - t) / 1000));
  }
  return wait;
}

async function countFailure(deps: Deps, keys: ThrottleKey[], now: Date): Promise<number> {
  const { blockedUntil, failures } = counts(deps);
  const t = now.getTime();
  const wait = await deps.throttle.attempt(keys, now);
  if (blockedUntil.size >= MAX_BLOCKED) blockedUntil.clear();
  if (failures.size >= MAX_BLOCKED) failures.clear();
  for (const { key, policy } of keys) {
    const seen = failures.get(key);
    const fresh = !seen || t - seen.since > policy.windowSeconds * 1000;
    const entry = fresh ? { count: 1, since: t } : { count: seen.count + 1, since: seen.since };
    failures.set(key, entry);
    const delay = Math.max(wait, delayFor(policy, entry.count));
    if (delay > 0) blockedUntil.set(key, Math.max(blockedUntil.get(key) ?? 0, t + delay * 1000));
  }
  return wait;
}

/** A right password clears its account's count, as sign-in does. */
function succeeded(deps: Deps, keys: ThrottleKey[]): void {
  const { failures } = counts(deps);
  for (const { key, policy } of keys) if (policy.onSuccess === 'clear') failures.delete(key);
}

/** The caller of a Subsonic request, or a SubsonicError with the code the protocol names. */
export async function subsonicCaller(
  deps: Deps,
  creds: SubsonicCredentials,
  ctx: RequestContext,
  now: Date,
): Promise<Caller> {
  const { u, p, t, s, apiKey } = creds;
  if (apiKey !== undefined) {
    if (u !== undefined || p !== undefined || t !== undefined) {
      throw new SubsonicError(ERROR.conflictingAuth, 'Give either apiKey or u with p or t and s, not both.');
    }
    const keys: ThrottleKey[] = ctx.ip ? [{ key: `signin:address:${ctx.ip}`, policy: policies.address }] : [];
    const waiting = waitingFor(deps, keys, now);
    if (waiting > 0) throw throttled(waiting);
    const auth = apiKey.startsWith(APP_PASSWORD_PREFIX)
      ? await authenticate(deps, apiKey, now, ctx.ip, { via: 'app' })
      : null;
    if (isSubsonicPassword(auth)) return auth;
    logAuthFailure(deps, 'apiKey', ctx.ip, 'subsonic_invalid_api_key');
    await recordSecurityEvent(
      deps,
      {
        userId: (auth as Caller | null)?.userId ?? null,
        type: 'sign_in_failed',
        detail: { reason: 'invalid_api_key', door: 'subsonic' },
      },
      ctx,
      now,
    );
    const wait = await countFailure(deps, keys, now);
    if (wait > 0) throw throttled(wait);
    throw new SubsonicError(
      ERROR.invalidApiKey,
      'This API key is not valid (revoked, expired, or not an app password for Subsonic apps).',
    );
  }
  if (u === undefined || u === '') throw new SubsonicError(ERROR.missingParameter, 'Required parameter is missing: u');
  if (p !== undefined && (t !== undefined || s !== undefined)) {
    throw new SubsonicError(ERROR.conflictingAuth, 'Give either p or t and s, not both.');
  }
  if (p === undefined && (t === undefined || s === undefined)) {
    throw new SubsonicError(ERROR.missingParameter, 'Required parameter is missing: p, or t and s, or apiKey');
  }
  const loginLower = normalizeLogin(u);
  // One query answers both "who is this" and "which sealed app passwords could match": unknown names cost the same.
  const { userId, secrets } = await findSubsonicSecrets(deps.db, loginLower, now);
  const keys = throttleKeysFor(userId, loginLower, ctx.ip, null);
  const waiting = waitingFor(deps, keys, now);
  if (waiting > 0) {
    logAuthFailure(deps, userId === null ? unknownLoginRef(deps, u) : u, ctx.ip, 'throttled');
    throw throttled(waiting);
  }
  let token: string | null;
  if (p !== undefined) {
    token = decodePassword(p);
  } else {
    token = matchToken(deps, secrets, t!, s!);
    if (secrets.length === 0) dummyTokenCheck(deps, s!, t!);
  }
  // The one token check, asked whatever the name was, so an unknown name takes the same path.
  const auth = token?.startsWith(APP_PASSWORD_PREFIX)
    ? await authenticate(deps, token, now, ctx.ip, { via: 'app', username: u })
    : null;
  if (isSubsonicPassword(auth) && userId !== null && auth.userId === userId) {
    succeeded(deps, keys);
    return auth;
  }
  const wait = await countFailure(deps, keys, now);
  if (wait > 0) {
    logAuthFailure(deps, userId === null ? unknownLoginRef(deps, u) : u, ctx.ip, 'throttled');
    throw throttled(wait);
  }
  const reason =
    userId === null
      ? 'unknown_user'
      : token?.startsWith(APP_PASSWORD_PREFIX) || p === undefined
        ? 'wrong_app_password'
        : 'not_an_app_password';
  return refuse(deps, u, userId, ctx, reason, now);
}

function throttled(seconds: number): SubsonicError {
  return new SubsonicError(ERROR.wrongCredentials, `Too many failed sign-ins. Try again in ${seconds} seconds.`);
}
