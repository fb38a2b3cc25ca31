// Every change of a factor goes to the security log and to whoever listens (the notice mail, S34).
import type { Deps } from '../deps.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { RequestContext } from '../accounts/caller.ts';

export type FactorChange =
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_codes_regenerated'
  | 'recovery_code_used'
  | 'passkey_added'
  | 'passkey_renamed'
  | 'passkey_removed';

export async function recordFactorChange(
  deps: Deps,
  userId: string,
  change: FactorChange,
  ctx: RequestContext,
  now: Date,
  extra: { remaining?: number; name?: string } = {},
): Promise<void> {
  const detail = {
    ...(extra.remaining !== undefined ? { remaining: extra.remaining } : {}),
    ...(extra.name !== undefined ? { name: extra.name } : {}),
  };
  await recordSecurityEvent(
    deps,
    { userId, type: change, ...(Object.keys(detail).length > 0 ? { detail } : {}) },
    ctx,
    now,
  );
  for (const listener of deps.hooks.factorChanged) {
    try {
      await listener(deps, { userId, change, ctx, ...extra }, now);
    } catch (err) {
      // The change is done and logged; a notice that could not be queued must not undo or hide it.
      deps.log.error({ err, userId, change }, 'a factorChanged listener failed');
    }
  }
}
