// Sessions and the one door for tokens: every credential a client presents is checked by
// `authenticate`, which hashes it and asks the store. Nothing else parses tokens.
import { newId, newToken, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import type { Db } from '../store/db.ts';
import type { Role, SessionKind } from '../store/schema.ts';
import type { UserRow } from '../store/users.repository.ts';
import {
  findLiveSessionById,
  findLiveSessionByTokenHash,
  type SessionWithUserRow,
  insertSession,
  listLiveSessions,
  touchSession,
} from '../store/sessions.repository.ts';
import { revokeSessions } from './revocation.ts';
import type { DeviceInfo } from './user-agent.ts';

export const SESSION_TOKEN_PREFIX = 'hs_';
/** Last-seen is written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export interface AuthContext {
  sessionId: string;
  kind: SessionKind;
  userId: string;
  username: string;
  email: string;
  role: Role;
  /** null = the whole account; otherwise an app password's scopes. */
  scopes: string[] | null;
  /** When the holder last proved a password or factor (step-up checks). */
  authAt: Date;
  createdAt: Date;
  /** The account as read with the session, so answers about the caller need no second query. */
  user: UserRow;
}

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

/**
 * After a fresh proof (re-authentication) the device gets a new token and the old one is revoked, so a token
 * that someone learned or planted before the proof is worth nothing after it (S20). The session keeps its device,
 * its start and its absolute expiry; a new id lets every cache drop the old token through the one revocation path.
 */
export async function renewSession(
  deps: Pick<Deps, 'random' | 'events' | 'log'>,
  db: Db,
  auth: AuthContext,
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

/** The one token check. Returns null for anything not valid right now: unknown, revoked, expired, disabled, flagged. */
export async function authenticate(
  deps: Pick<Deps, 'db' | 'config'>,
  token: string,
  now: Date,
  ip: string | null,
): Promise<AuthContext | null> {
  if (token.length < 16 || token.length > 200) return null;
  const row = await findLiveSessionByTokenHash(deps.db, sha256(token));
  if (!row) return null;
  const t = now.getTime();
  if (row.expires_at <= t) return null;
  // App passwords are used rarely by design; idle expiry is for interactive sessions and devices.
  if (row.kind !== 'app' && row.last_seen_at + deps.config.sessionIdleSeconds * 1000 <= t) return null;
  if (row.disabled || row.reset_required) return null;
  if (t - row.last_seen_at >= TOUCH_INTERVAL_MS || row.ip !== ip) await touchSession(deps.db, row.id, now, ip);
  // The store may hand back the very row it gave before (nothing was committed since): so is its context.
  let context = contexts.get(row);
  if (!context) {
    context = Object.freeze(toAuthContext(row));
    contexts.set(row, context);
  }
  return context;
}

const contexts = new WeakMap<SessionWithUserRow, AuthContext>();

function toAuthContext(row: SessionWithUserRow): AuthContext {
  return {
    sessionId: row.id,
    kind: row.kind,
    userId: row.user_id,
    username: row.username,
    email: row.email,
    role: row.role,
    scopes: row.scopes ? (JSON.parse(row.scopes) as string[]) : null,
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

export interface SessionView {
  id: string;
  kind: SessionKind;
  device_name: string | null;
  platform: string | null;
  client: string | null;
  client_version: string | null;
  ip: string | null;
  created_at: string;
  last_seen_at: string;
  current: boolean;
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
export function hasFreshAuth(auth: AuthContext, now: Date, windowSeconds: number): boolean {
  return now.getTime() - auth.authAt.getTime() <= windowSeconds * 1000;
}
