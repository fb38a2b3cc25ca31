// App passwords (S51): named, scoped bearer tokens for clients that cannot answer a two-factor prompt.
// Each is a session of kind 'app', so the one token door checks it and the one revocation ends it;
// the scopes keep it away from everything that changes the account or its security.
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { revokeSessions } from '../accounts/revocation.ts';
import { APP_SCOPES, isAppScope, type AppScope } from '../accounts/scopes.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { RequestContext } from '../accounts/caller.ts';
import { APP_PASSWORD_PREFIX, createSession } from '../accounts/sessions.ts';
import type { Caller } from '../accounts/caller.ts';
import { sealSubsonicPassword } from '../subsonic/secrets.ts';
import { countAppPasswords, listAppPasswordRows, type AppPasswordRow } from '../store/linking.repository.ts';

/** Not idle-limited (see authenticate): the long absolute end is a backstop, revocation the real end. */
export const APP_PASSWORD_SECONDS = 10 * 365 * 24 * 3600;
export const MAX_APP_PASSWORDS = 100;

export interface AppPasswordView {
  id: string;
  name: string;
  scopes: AppScope[];
  created_at: string;
  last_used_at: string | null;
  last_used_ip: string | null;
  expires_at: string;
}

function toView(row: AppPasswordRow): AppPasswordView {
  // Made with no address: the first use records one, so a null address means never used.
  const used = row.ip !== null;
  return {
    id: row.id,
    name: row.name ?? '',
    scopes: row.scopes ? (JSON.parse(row.scopes) as string[]).filter(isAppScope) : [],
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: used ? new Date(row.last_seen_at).toISOString() : null,
    last_used_ip: row.ip,
    expires_at: new Date(row.expires_at).toISOString(),
  };
}

/** Returns the password itself once; the store keeps only its hash. */
export async function createAppPassword(
  deps: Pick<Deps, 'db' | 'random' | 'config'>,
  auth: Caller,
  input: { name: string; scopes: string[] },
  ctx: RequestContext,
  now: Date,
): Promise<{ password: string; appPassword: AppPasswordView }> {
  const name = input.name.trim();
  if (!name) throw new AppError('invalid_body', 'Give the app password a name.', { field: 'name' });
  const scopes = [...new Set(input.scopes)];
  if (scopes.length === 0 || !scopes.every(isAppScope)) {
    throw new AppError('invalid_body', `Scopes must be among ${APP_SCOPES.join(', ')}.`, { field: 'scopes' });
  }
  if ((await countAppPasswords(deps.db, auth.userId, now)) >= MAX_APP_PASSWORDS) {
    throw new AppError(
      'conflict',
      `An account may have at most ${MAX_APP_PASSWORDS} app passwords. Revoke some first.`,
    );
  }
  const { token, sessionId } = await createSession(
    deps,
    deps.db,
    {
      userId: auth.userId,
      kind: 'app',
      device: { name, platform: null, client: null },
      ip: null,
      scopes,
      absoluteSeconds: APP_PASSWORD_SECONDS,
    },
    now,
    APP_PASSWORD_PREFIX,
  );
  if (scopes.includes('subsonic')) await sealSubsonicPassword(deps, auth.userId, sessionId, token, now);
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'app_password_created', detail: { id: sessionId, name, scopes } },
    ctx,
    now,
  );
  const t = now.getTime();
  return {
    password: token,
    appPassword: toView({
      id: sessionId,
      name,
      scopes: JSON.stringify(scopes),
      ip: null,
      created_at: t,
      last_seen_at: t,
      expires_at: t + APP_PASSWORD_SECONDS * 1000,
    }),
  };
}

export async function listAppPasswords(deps: Pick<Deps, 'db'>, userId: string, now: Date): Promise<AppPasswordView[]> {
  return (await listAppPasswordRows(deps.db, userId, now)).map(toView);
}

export async function revokeAppPassword(
  deps: Pick<Deps, 'db' | 'random' | 'events' | 'log'>,
  auth: Caller,
  id: string,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  const ids = await revokeSessions(
    deps,
    deps.db,
    { userId: auth.userId, sessionIds: [id], kinds: ['app'] },
    'revoked_app_password',
    now,
  );
  // Another user's id, or a browser session's, answers like a missing one.
  if (ids.length === 0) throw new AppError('not_found');
  await recordSecurityEvent(deps, { userId: auth.userId, type: 'app_password_revoked', detail: { id } }, ctx, now);
}
