// Sessions and the one door for credentials: every token a client presents (session, device, app password,
// stream URL token; through the API, a URL or an app door) is checked by `authenticate`, against the store.
import { newId, newToken, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import type { Db } from '../store/db.ts';
import type { SessionKind } from '../store/schema.ts';
import {
  findLiveSessionById,
  findLiveSessionByTokenHash,
  findLiveSessionWithUserById,
  type SessionWithUserRow,
  insertSession,
  listLiveSessions,
  touchSession,
} from '../store/sessions.repository.ts';
import type { SessionView } from '../wire/accounts.ts';
import type { Caller, CredentialKind } from './caller.ts';
import { normalizeLogin } from './identity.ts';
import { revokeSessions } from './revocation.ts';
import { readStreamToken, STREAM_TOKEN_PREFIX } from './stream-tokens.ts';
import type { DeviceInfo } from './user-agent.ts';

export const SESSION_TOKEN_PREFIX = 'hs_';
/** App passwords are sessions too (kind 'app'): their tokens only look different, so the door can tell them apart. */
export const APP_PASSWORD_PREFIX = 'hap_';
/** Last-seen is written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface NewSession {
  userId: string;
  kind: SessionKind;
  device: DeviceInfo;
  ip: string | null;
  scopes?: string[] | null;
  /** App passwords and linked devices may live longer than a browser session. */
  absoluteSeconds?: number;
}

export async function createSession(
  deps: Pick<Deps, 'random' | 'config'>,
  db: Db,
  input: NewSession,
  now: Date,
  tokenPrefix = SESSION_TOKEN_PREFIX,
): Promise<{ token: string; sessionId: string }> {
  const token = newToken(deps.random, tokenPrefix);
  const sessionId = newId(deps.random);
  const t = now.getTime();
  await insertSession(db, {
    id: sessionId,
    user_id: input.userId,
    token_hash: sha256(token),
    kind: input.kind,
    device_name: input.device.name?.slice(0, 100) ?? null,
    platform: input.device.platform?.slice(0, 50) ?? null,
    client: input.device.client?.slice(0, 50) ?? null,
    client_version: input.device.version?.slice(0, 20) ?? null,
    ip: input.ip,
    scopes: input.scopes ? JSON.stringify(input.scopes) : null,
    created_at: t,
    last_seen_at: t,
    auth_at: t,
    expires_at: t + (input.absoluteSeconds ?? deps.config.sessionAbsoluteSeconds) * 1000,
    revoked_at: null,
    revoke_reason: null,
  });
  return { token, sessionId };
}

/** After a fresh proof the device gets a new token and the old one is revoked (S20); device, start and end stay. */
export async function renewSession(
  deps: Pick<Deps, 'random' | 'events' | 'log'>,
  db: Db,
  auth: Caller,
  now: Date,
): Promise<{ token: string; sessionId: string } | null> {
  const old = await findLiveSessionById(db, auth.sessionId);
  if (!old) return null;
  // The old one goes first, and only the renewal that revoked it goes on: two renewals of one token at once
  // (two tabs re-authenticating) make one session, not two.
  const revoked = await revokeSessions(deps, db, { userId: auth.userId, sessionIds: [auth.sessionId] }, 'renewed', now);
  if (revoked.length === 0) return null;
  const token = newToken(deps.random, SESSION_TOKEN_PREFIX);
  const sessionId = newId(deps.random);
  const t = now.getTime();
  await insertSession(db, {
    ...old,
    id: sessionId,
    token_hash: sha256(token),
    last_seen_at: t,
    auth_at: t,
    revoked_at: null,
    revoke_reason: null,
  });
  return { token, sessionId };
}

/** The kind of credential a token is, told by its prefix alone (nothing is looked up). */
export function credentialKind(token: string): CredentialKind {
  if (token.startsWith(STREAM_TOKEN_PREFIX)) return 'stream_url';
  if (token.startsWith(APP_PASSWORD_PREFIX)) return 'app_password';
  return 'session';
}

/** Where a credential was presented: 'url' takes stream URL tokens only, the others never (docs/architecture.md). */
export interface Presentation {
  via?: 'header' | 'cookie' | 'app' | 'url';
  /** For 'url': the item the request is for; the token must be bound to it (S72). */
  itemId?: string;
  /** For an app door that is also given a user name (Subsonic `u=`): the credential must be that user's. */
  username?: string;
}

/**
 * The one credential check. Returns the caller, or null for anything not valid right now: unknown, revoked,
 * expired, idle, disabled, flagged, bound to another item, or presented where its kind is not taken.
 */
export async function authenticate(
  deps: Pick<Deps, 'db' | 'config'>,
  token: string,
  now: Date,
  ip: string | null,
  presented: Presentation = {},
): Promise<Caller | null> {
  const via = presented.via ?? 'header';
  const kind = credentialKind(token);
  let caller: Caller | null;
  if (kind === 'stream_url') {
    caller =
      via === 'url' && presented.itemId !== undefined ? await streamCaller(deps, token, presented.itemId, now) : null;
  } else {
    // Session tokens never travel in a URL (S20).
    caller = via === 'url' ? null : await sessionCaller(deps, token, now, ip);
  }
  if (
    caller &&
    presented.username !== undefined &&
    normalizeLogin(caller.username) !== normalizeLogin(presented.username)
  )
    return null;
  return caller;
}

/** The liveness rule, written once: a session that can still act now. */
function isLive(deps: Pick<Deps, 'config'>, row: SessionWithUserRow, now: Date): boolean {
  const t = now.getTime();
  if (row.expires_at <= t) return false;
  // App passwords are used rarely by design; idle expiry is for interactive sessions and devices.
  if (row.kind !== 'app' && row.last_seen_at + deps.config.sessionIdleSeconds * 1000 <= t) return false;
  return !row.disabled && !row.reset_required;
}

async function sessionCaller(
  deps: Pick<Deps, 'db' | 'config'>,
  token: string,
  now: Date,
  ip: string | null,
): Promise<Caller | null> {
  if (token.length < 16 || token.length > 200) return null;
  const row = await findLiveSessionByTokenHash(deps.db, sha256(token));
  if (!row || !isLive(deps, row, now)) return null;
  if (now.getTime() - row.last_seen_at >= TOUCH_INTERVAL_MS || row.ip !== ip)
    await touchSession(deps.db, row.id, now, ip);
  // The store may hand back the very row it gave before (nothing was committed since): so is its caller.
  let caller = callers.get(row);
  if (!caller) {
    caller = Object.freeze(toCaller(row, credentialKind(token), null));
    callers.set(row, caller);
  }
  return caller;
}

/** A stream URL token's holder: its session must still be live, and still hold the stream scope (S72). */
async function streamCaller(
  deps: Pick<Deps, 'db' | 'config'>,
  token: string,
  itemId: string,
  now: Date,
): Promise<Caller | null> {
  const claim = readStreamToken(deps, token, now);
  if (!claim || claim.itemId !== itemId) return null;
  const row = await findLiveSessionWithUserById(deps.db, claim.sessionId);
  if (!row || row.user_id !== claim.userId || !isLive(deps, row, now)) return null;
  const caller = toCaller(row, 'stream_url', claim.itemId);
  if (caller.scopes !== null && !caller.scopes.includes('media:stream')) return null;
  return Object.freeze(caller);
}

const callers = new WeakMap<SessionWithUserRow, Caller>();

function toCaller(row: SessionWithUserRow, credential: CredentialKind, itemId: string | null): Caller {
  return {
    userId: row.user_id,
    role: row.role,
    sessionId: row.id,
    kind: row.kind,
    credential,
    username: row.username,
    email: row.email,
    scopes: row.scopes ? (JSON.parse(row.scopes) as string[]) : null,
    itemId,
    authAt: new Date(row.auth_at),
    createdAt: new Date(row.created_at),
    user: Object.freeze({
      id: row.user_id,
      username: row.username,
      email: row.email,
      display_name: row.display_name,
      role: row.role,
      disabled: row.disabled,
      reset_required: row.reset_required,
      email_verified: row.email_verified,
      anti_phishing_phrase: row.anti_phishing_phrase,
      password_changed_at: row.password_changed_at,
      created_at: row.user_created_at,
      updated_at: row.user_updated_at,
    }),
  };
}

export async function listSessions(
  deps: Pick<Deps, 'db' | 'config'>,
  userId: string,
  currentSessionId: string | null,
  now: Date,
): Promise<SessionView[]> {
  const idleCutoff = now.getTime() - deps.config.sessionIdleSeconds * 1000;
  const rows = await listLiveSessions(deps.db, userId, now, ['web', 'device'], idleCutoff);
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    device_name: r.device_name,
    platform: r.platform,
    client: r.client,
    client_version: r.client_version ?? null,
    ip: r.ip,
    created_at: new Date(r.created_at).toISOString(),
    last_seen_at: new Date(r.last_seen_at).toISOString(),
    current: r.id === currentSessionId,
  }));
}

/** A fresh proof within the window: required for changes to email, password, factors (S27). */
export function hasFreshAuth(auth: Caller, now: Date, windowSeconds: number): boolean {
  return now.getTime() - auth.authAt.getTime() <= windowSeconds * 1000;
}
