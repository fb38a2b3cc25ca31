// Stream URL tokens (S72), for players that cannot send headers: bound to one item, one user and the session
// that asked, short-lived, never the session token, and signed with a key derived from the secret key (a copy
// of the database cannot mint them). Only made and read here; `authenticate` is their door.
import { deriveKey, hmacSha256, safeEqual } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import type { Caller } from './caller.ts';

export const STREAM_TOKEN_PREFIX = 'hst_';
export const STREAM_TOKEN_DEFAULT_SECONDS = 4 * 3600;
export const STREAM_TOKEN_MAX_SECONDS = 6 * 3600;
/** The query parameter a route that allows URL tokens reads them from. */
export const URL_TOKEN_PARAMETER = 'st';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

function signingKey(deps: Pick<Deps, 'config'>): Buffer {
  return deriveKey(deps.config.secretKey, 'stream-url-token');
}

function sign(deps: Pick<Deps, 'config'>, body: string): string {
  return hmacSha256(signingKey(deps), body).toString('base64url');
}

export interface StreamToken {
  token: string;
  expiresAt: Date;
}

/** A token for `itemId` that lives at most `seconds` (capped at 6 h) and never beyond the session. */
export function issueStreamToken(
  deps: Pick<Deps, 'config'>,
  caller: Pick<Caller, 'userId' | 'sessionId'>,
  itemId: string,
  now: Date,
  seconds = STREAM_TOKEN_DEFAULT_SECONDS,
): StreamToken {
  const lifetime = Math.max(60, Math.min(STREAM_TOKEN_MAX_SECONDS, Math.floor(seconds)));
  const expires = Math.floor(now.getTime() / 1000) + lifetime;
  const body = `v1.${itemId}.${caller.userId}.${caller.sessionId}.${expires}`;
  return { token: `${STREAM_TOKEN_PREFIX}${body}.${sign(deps, body)}`, expiresAt: new Date(expires * 1000) };
}

/** What a well-signed, unexpired stream token claims; whether its session still lives is the door's check. */
export function readStreamToken(
  deps: Pick<Deps, 'config'>,
  token: string,
  now: Date,
): { itemId: string; userId: string; sessionId: string } | null {
  if (token.length > 400 || !token.startsWith(STREAM_TOKEN_PREFIX)) return null;
  const parts = token.slice(STREAM_TOKEN_PREFIX.length).split('.');
  if (parts.length !== 6) return null;
  const [version, itemId, userId, sessionId, expires, signature] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== 'v1' || !ID.test(itemId) || !ID.test(userId) || !ID.test(sessionId) || !/^\d{1,12}$/.test(expires))
    return null;
  if (!safeEqual(signature, sign(deps, parts.slice(0, 5).join('.')))) return null;
  if (Number(expires) * 1000 <= now.getTime()) return null;
  return { itemId, userId, sessionId };
}
