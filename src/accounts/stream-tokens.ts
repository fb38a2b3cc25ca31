// Stream URL tokens (S72), for players that cannot send headers: bound to one item, one user and the
// session that asked, short-lived, and never the session token. Signed with a key derived from the
// secret key, so a copy of the database cannot mint them; checked here, beside the one door, and
// against the store on every use, so a revoked session takes its stream URLs with it.
import { deriveKey, hmacSha256, safeEqual } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { findStreamTokenSession } from '../store/media.repository.ts';
import type { Role } from '../store/schema.ts';
import type { AuthContext } from './sessions.ts';

export const STREAM_TOKEN_PREFIX = 'hst_';
export const STREAM_TOKEN_DEFAULT_SECONDS = 4 * 3600;
export const STREAM_TOKEN_MAX_SECONDS = 6 * 3600;

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
  auth: Pick<AuthContext, 'userId' | 'sessionId'>,
  itemId: string,
  now: Date,
  seconds = STREAM_TOKEN_DEFAULT_SECONDS,
): StreamToken {
  const lifetime = Math.max(60, Math.min(STREAM_TOKEN_MAX_SECONDS, Math.floor(seconds)));
  const expires = Math.floor(now.getTime() / 1000) + lifetime;
  const body = `v1.${itemId}.${auth.userId}.${auth.sessionId}.${expires}`;
  return { token: `${STREAM_TOKEN_PREFIX}${body}.${sign(deps, body)}`, expiresAt: new Date(expires * 1000) };
}

export interface StreamViewer {
  userId: string;
  role: Role;
  sessionId: string;
}

/**
 * The holder of a stream token for `itemId`, or null when the token is not for that item, was not
 * made with this server's key, has expired, or its session or user can no longer sign in.
 */
export async function authenticateStreamToken(
  deps: Pick<Deps, 'db' | 'config'>,
  token: string,
  itemId: string,
  now: Date,
): Promise<StreamViewer | null> {
  if (token.length > 400 || !token.startsWith(STREAM_TOKEN_PREFIX)) return null;
  const parts = token.slice(STREAM_TOKEN_PREFIX.length).split('.');
  if (parts.length !== 6) return null;
  const [version, forItem, userId, sessionId, expires, signature] = parts as [string, string, string, string, string, string];
  if (version !== 'v1' || !ID.test(forItem) || !ID.test(userId) || !ID.test(sessionId) || !/^\d{1,12}$/.test(expires)) return null;
  if (!safeEqual(signature, sign(deps, parts.slice(0, 5).join('.')))) return null;
  if (forItem !== itemId) return null;
  const t = now.getTime();
  if (Number(expires) * 1000 <= t) return null;
  const session = await findStreamTokenSession(deps.db, sessionId);
  if (!session || session.user_id !== userId) return null;
  if (session.expires_at <= t || session.disabled || session.reset_required) return null;
  if (session.kind !== 'app' && session.last_seen_at + deps.config.sessionIdleSeconds * 1000 <= t) return null;
  // An app password minted it: it still has to hold the stream scope.
  if (session.scopes !== null && !(JSON.parse(session.scopes) as string[]).includes('media:stream')) return null;
  return { userId, role: session.role, sessionId };
}
