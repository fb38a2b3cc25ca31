// Who is calling, as the one door (`authenticate`) found them, and from where. Types only: every layer
// may import them without importing the door.
import type { Role, SessionKind } from '../store/schema.ts';
import type { UserRow } from '../store/users.repository.ts';

/** How the caller's credential came: a session or device token, an app password, or a stream URL token. */
export type CredentialKind = 'session' | 'app_password' | 'stream_url';

/** The one picture of a caller: a session's holder, an app password's, or a stream URL token's (S72). */
export interface Caller {
  userId: string;
  role: Role;
  /** The session behind the credential (a stream URL token's is the session that asked for it). */
  sessionId: string;
  kind: SessionKind;
  credential: CredentialKind;
  username: string;
  email: string;
  /** null = the whole account; otherwise an app password's scopes (a stream URL token inherits its session's). */
  scopes: string[] | null;
  /** The one item a stream URL token opens; null for every other credential. */
  itemId: string | null;
  /** When the holder last proved a password or factor (step-up checks). */
  authAt: Date;
  createdAt: Date;
  /** The account as read with the session, so answers about the caller need no second query. */
  user: UserRow;
}

/** Where a request came from: the address, and what the client said it is. */
export interface RequestContext {
  ip: string | null;
  userAgent?: string;
  device?: string | null;
}

/** The operator at the CLI, acting as an admin without an account: no user, no role (may name anyone). */
export interface Operator {
  userId: null;
  username: string;
  role?: undefined;
}

export const OPERATOR: Operator = { userId: null, username: 'hearth CLI' };

/** Who does an admin action: a caller through the API, or the operator at the CLI. */
export type Actor = Pick<Caller, 'userId' | 'username' | 'role'> | Operator;
