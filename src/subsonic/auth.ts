// The Subsonic door's sign-in. Whatever form the app uses (OpenSubsonic apiKey, u+p, u+t+s), it must come down
// to a Hearth app password of scope `subsonic`, which then goes through the one token check (`authenticate`):
// revocation, sign out everywhere, a reset and the breach response end it there (S90). The account password is
// never accepted in any form (S91). Failures are throttled on the sign-in keys (per account, per address) with
// the same answer for an unknown name as for a wrong password (S92).
import { throttleKeysFor, logAuthFailure, unknownLoginRef } from '../accounts/sign-in.ts';
import { normalizeLogin } from '../accounts/identity.ts';
import { policies, type ThrottleKey } from '../accounts/throttle.ts';
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
  return auth !== null && auth.credential === 'app_password' && auth.scopes !== null && auth.scopes.includes(SUBSONIC_SCOPE);
}

async function refuse(deps: Deps, login: string, userId: string | null, ctx: RequestContext, reason: string, now: Date): Promise<never> {
  const ref = userId === null ? unknownLoginRef(deps, login) : login;
  logAuthFailure(deps, ref, ctx.ip, `subsonic_${reason}`);
  await recordSecurityEvent(
    deps,
    { userId, type: 'sign_in_failed', detail: userId === null ? { login: ref, door: 'subsonic' } : { reason, door: 'subsonic' } },
    ctx,
    now,
  );
  throw new SubsonicError(ERROR.wrongCredentials, 'Wrong username or password. Subsonic apps sign in with an app password made for them in Hearth (Account → App passwords), never the account password.');
}

/** The caller of a Subsonic request, or a SubsonicError with the code the protocol names. */
export async function subsonicCaller(deps: Deps, creds: SubsonicCredentials, ctx: RequestContext, now: Date): Promise<Caller> {
  const { u, p, t, s, apiKey } = creds;
  if (apiKey !== undefined) {
    if (u !== undefined || p !== undefined || t !== undefined) {
      throw new SubsonicError(ERROR.conflictingAuth, 'Give either apiKey or u with p or t and s, not both.');
    }
    const keys: ThrottleKey[] = ctx.ip ? [{ key: `signin:address:${ctx.ip}`, policy: policies.address }] : [];
    const outcome = await deps.throttle.guard(keys, now, async () => {
      const auth = apiKey.startsWith(APP_PASSWORD_PREFIX) ? await authenticate(deps, apiKey, now, ctx.ip, { via: 'app' }) : null;
      if (!isSubsonicPassword(auth)) {
        logAuthFailure(deps, 'apiKey', ctx.ip, 'subsonic_invalid_api_key');
        await recordSecurityEvent(deps, { userId: (auth as Caller | null)?.userId ?? null, type: 'sign_in_failed', detail: { reason: 'invalid_api_key', door: 'subsonic' } }, ctx, now);
        throw new SubsonicError(ERROR.invalidApiKey, 'This API key is not valid (revoked, expired, or not an app password for Subsonic apps).');
      }
      return auth;
    });
    if ('throttled' in outcome) throw throttled(outcome.throttled);
    return outcome.value;
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
  const outcome = await deps.throttle.guard(keys, now, async () => {
    let token: string | null;
    if (p !== undefined) {
      token = decodePassword(p);
    } else {
      token = matchToken(deps, secrets, t!, s!);
      if (secrets.length === 0) dummyTokenCheck(deps, s!, t!);
    }
    // The one token check, asked whatever the name was, so an unknown name takes the same path.
    const auth = token !== null && token.startsWith(APP_PASSWORD_PREFIX) ? await authenticate(deps, token, now, ctx.ip, { via: 'app', username: u }) : null;
    if (!isSubsonicPassword(auth) || userId === null || auth.userId !== userId) {
      const reason = userId === null ? 'unknown_user' : token?.startsWith(APP_PASSWORD_PREFIX) || p === undefined ? 'wrong_app_password' : 'not_an_app_password';
      return refuse(deps, u, userId, ctx, reason, now);
    }
    return auth;
  });
  if ('throttled' in outcome) {
    logAuthFailure(deps, userId === null ? unknownLoginRef(deps, u) : u, ctx.ip, 'throttled');
    throw throttled(outcome.throttled);
  }
  return outcome.value;
}

function throttled(seconds: number): SubsonicError {
  return new SubsonicError(ERROR.wrongCredentials, `Too many failed sign-ins. Try again in ${seconds} seconds.`);
}
