// Signing out: this device, another device, or all of them (S23, S25). All through revokeSessions.
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { revokeSessions } from './revocation.ts';
import { recordSecurityEvent } from './security-log.ts';
import type { RequestContext } from './caller.ts';
import type { Caller } from './caller.ts';

export async function signOut(deps: Deps, auth: Caller, ctx: RequestContext, now: Date): Promise<void> {
  await revokeSessions(deps, deps.db, { userId: auth.userId, sessionIds: [auth.sessionId] }, 'sign_out', now);
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'sign_out', detail: { session_id: auth.sessionId } },
    ctx,
    now,
  );
}

export async function signOutDevice(
  deps: Deps,
  auth: Caller,
  sessionId: string,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  const ids = await revokeSessions(
    deps,
    deps.db,
    { userId: auth.userId, sessionIds: [sessionId], kinds: ['web', 'device'] },
    'signed_out_device',
    now,
  );
  // Another user's session id answers like a missing one.
  if (ids.length === 0) throw new AppError('not_found');
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'sessions_revoked', detail: { session_ids: ids, scope: 'one' } },
    ctx,
    now,
  );
}

export async function signOutAll(
  deps: Deps,
  auth: Caller,
  options: { includeCurrent: boolean },
  ctx: RequestContext,
  now: Date,
): Promise<number> {
  const ids = await revokeSessions(
    deps,
    deps.db,
    {
      userId: auth.userId,
      // App passwords too (S90): "everywhere" includes the music app that holds one.
      kinds: ['web', 'device', 'app'],
      ...(options.includeCurrent ? {} : { exceptSessionId: auth.sessionId }),
    },
    'sign_out_all',
    now,
  );
  await recordSecurityEvent(
    deps,
    {
      userId: auth.userId,
      type: 'sessions_revoked',
      detail: { count: ids.length, scope: 'all', include_current: options.includeCurrent },
    },
    ctx,
    now,
  );
  return ids.length;
}
