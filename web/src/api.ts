// The one door from the browser to the server. The session rides in the HttpOnly cookie, so no token
// is ever kept in script-readable storage; tokens a response carries are deliberately dropped.
// Wire types come from the server's own declarations (type-only imports), so client and server cannot drift.
import type {
  CreatedInvite as CreatedInviteAnswer,
  InviteView,
  MfaChallenge,
  SecurityEventView,
  SessionView,
} from '../../src/wire/accounts.ts';
import type { UserView } from '../../src/wire/common.ts';
import type { Role } from '../../src/wire/names.ts';

export type { InviteView, MfaChallenge, Role };
/** There is one owner; admins hand out the other roles. */
export type AssignableRole = Exclude<Role, 'owner'>;

export type User = UserView;

/** The caller's own account, as GET /me answers. */
export type Me = User;

/** kind: web (a browser), device (a linked TV or app), app (an app password). */
export type DeviceSession = SessionView;

export type SecurityEvent = SecurityEventView;

/**
 * `url` is the link to hand to the invited person, built by the server from its public URL. The answer's
 * `token` (the same secret the link carries) is left out: the page has no use for it.
 */
export type CreatedInvite = Omit<CreatedInviteAnswer, 'token'>;

export type LoginResult = { kind: 'signed-in'; user: User } | { kind: 'mfa'; challenge: MfaChallenge };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds to wait before retrying, from the Retry-After header of a 429. */
  readonly retryAfter: number | null;

  constructor(status: number, code: string, message: string, retryAfter: number | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

const signedOutListeners = new Set<() => void>();

/** Called whenever the server says the session is gone (revoked elsewhere, expired). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

const enrolmentListeners = new Set<() => void>();

/** Called whenever the server refuses a request until the person sets up two-step sign-in (admin policy). */
export function onEnrolmentRequired(listener: () => void): () => void {
  enrolmentListeners.add(listener);
  return () => enrolmentListeners.delete(listener);
}

function parseRetryAfter(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}

/** The sentence to show a person for any failure, including the wait after throttling. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429 && error.retryAfter !== null) {
      // The server's sentence may already name the wait in seconds; say it once, in words people read.
      const reason = error.message.replace(/\s*Try again in [^.]*\.\s*$/i, '');
      return `${reason} Try again in ${formatWait(error.retryAfter)}.`;
    }
    return error.message;
  }
  if (error instanceof TypeError) return 'The server cannot be reached. Check your connection and try again.';
  return 'Something went wrong. Try again.';
}

/** `keepalive` lets a request outlive the page that sends it (the player's last progress report). */
export async function request<T>(
  method: Method,
  path: string,
  body?: unknown,
  options: { keepalive?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (options.keepalive === true) init.keepalive = true;
  if (method !== 'GET') {
    // Every state-changing request is JSON, even without a payload, as the server demands.
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(`/api/v1${path}`, init);
  const text = await response.text();
  const data: unknown = text === '' ? null : safeParse(text);
  if (!response.ok) {
    const error = readError(data);
    const apiError = new ApiError(
      response.status,
      error?.code ?? 'http_' + response.status,
      error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
      parseRetryAfter(response.headers.get('Retry-After')),
    );
    if (apiError.code === 'unauthorized') for (const listener of signedOutListeners) listener();
    if (apiError.code === 'mfa_enrollment_required') for (const listener of enrolmentListeners) listener();
    throw apiError;
  }
  return data as T;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function readError(data: unknown): { code: string; message: string } | null {
  if (typeof data !== 'object' || data === null || !('error' in data)) return null;
  const error = (data as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === 'string' && typeof message === 'string' ? { code, message } : null;
}

function toLoginResult(data: {
  user?: User;
  mfa_required?: boolean;
  mfa_token?: string;
  methods?: string[];
}): LoginResult {
  if (data.mfa_required === true && typeof data.mfa_token === 'string') {
    return { kind: 'mfa', challenge: { mfa_required: true, mfa_token: data.mfa_token, methods: data.methods ?? [] } };
  }
  return { kind: 'signed-in', user: data.user as User };
}

export const api = {
  health: () => request<{ status: string }>('GET', '/health'),

  setupStatus: () => request<{ setup_required: boolean }>('GET', '/setup'),

  setup: (input: { setup_token: string; username: string; email: string; password: string }) =>
    request<{ user: User; signed_in: boolean }>('POST', '/setup', input),

  login: async (input: { login: string; password: string }) =>
    toLoginResult(await request<Parameters<typeof toLoginResult>[0]>('POST', '/auth/login', input)),

  loginMfa: async (input: { mfa_token: string; code: string } | { mfa_token: string; recovery_code: string }) =>
    toLoginResult(await request<Parameters<typeof toLoginResult>[0]>('POST', '/auth/login/mfa', input)),

  logout: () => request<{ ok: true }>('POST', '/auth/logout'),

  /** Proves the password again; sensitive changes accept it for a few minutes. */
  reauthenticate: (input: { password: string }) => request<{ ok: true }>('POST', '/auth/reauth', input),

  register: (input: { invite_token: string; username: string; email: string; password: string }) =>
    request<{ status: 'registered'; message: string; signed_in: boolean }>('POST', '/auth/register', input),

  /** The address an invite was sent to (null for an open invite); does not use the invite up. */
  peekInvite: (input: { invite_token: string }) => request<{ email: string | null }>('POST', '/auth/invite', input),

  requestPasswordReset: (input: { email: string }) =>
    request<{ status: 'requested'; message: string }>('POST', '/auth/password-reset/request', input),

  confirmPasswordReset: (input: { token: string; new_password: string; code?: string }) =>
    request<{ ok: true; username: string }>('POST', '/auth/password-reset/confirm', input),

  me: () => request<Me>('GET', '/me'),

  /**
   * A new `email` needs a recent proof of the password (`reauthentication_required` otherwise); the new
   * address gets a confirmation link and the old one a notice.
   */
  updateMe: (input: Partial<Pick<Me, 'email' | 'display_name' | 'anti_phishing_phrase'>>) =>
    request<Me>('PATCH', '/me', input),

  resendVerification: () => request<{ ok: true }>('POST', '/me/email/verification'),

  verifyEmail: (input: { token: string }) => request<{ ok: true }>('POST', '/auth/verify-email', input),

  /** The "this wasn't me" link of a security mail: signs every device out and requires a new password. */
  reportNotMe: (input: { token: string }) => request<{ ok: true; message: string }>('POST', '/auth/not-me', input),

  changePassword: (input: { current_password: string; new_password: string; sign_out_others: boolean }) =>
    request<{ ok: true; signed_out: number }>('POST', '/me/password', input),

  sessions: () => request<DeviceSession[]>('GET', '/me/sessions'),

  /** Names one of the person's devices ("Living-room laptop"). */
  renameSession: (id: string, name: string) =>
    request<{ ok: true }>('PATCH', `/me/sessions/${encodeURIComponent(id)}`, { name }),

  revokeSession: (id: string) => request<{ ok: true }>('DELETE', `/me/sessions/${encodeURIComponent(id)}`),

  revokeAllSessions: (input: { include_current: boolean }) =>
    request<{ ok: true; revoked: number }>('POST', '/me/sessions/revoke-all', input),

  securityEvents: () => request<SecurityEvent[]>('GET', '/me/security-events'),

  admin: {
    users: () => request<User[]>('GET', '/admin/users'),

    updateUser: (id: string, input: { role?: Exclude<Role, 'owner'>; disabled?: boolean }) =>
      request<User>('PATCH', `/admin/users/${encodeURIComponent(id)}`, input),

    revokeSessions: (id: string) =>
      request<{ ok: true; revoked: number }>('POST', `/admin/users/${encodeURIComponent(id)}/revoke-sessions`),

    /** Everyone's security log, newest first; `before` pages back through older events. */
    securityEvents: (query: { before?: string; type?: string; limit?: number } = {}) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
      const search = params.toString();
      return request<SecurityEvent[]>('GET', `/admin/security-events${search === '' ? '' : `?${search}`}`);
    },

    createInvite: (input: { email?: string; role: AssignableRole }) =>
      request<CreatedInvite>('POST', '/admin/invites', input),
  },
};
