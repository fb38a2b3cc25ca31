// The server's two-factor policy (S42): off, required for admins (and the owner), or for everyone. A user
// it covers who has no factor yet may, once signed in, only enrol one (or sign out).
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { RequestContext } from '../accounts/caller.ts';
import type { Caller } from '../accounts/caller.ts';
import { getMeta, setMeta } from '../store/meta.repository.ts';
import type { Role } from '../store/schema.ts';
import { userHasSecondFactor } from './second-factor.ts';

export const REQUIRE_2FA_VALUES = ['off', 'admins', 'everyone'] as const;
export type Require2fa = (typeof REQUIRE_2FA_VALUES)[number];
const META_KEY = 'require_2fa';
// The level the owner last chose: an admin may raise the policy above it but never lower it below.
const OWNER_FLOOR_KEY = 'require_2fa_owner_floor';
const strength: Record<Require2fa, number> = { off: 0, admins: 1, everyone: 2 };

export async function readRequire2fa(deps: Pick<Deps, 'db'>): Promise<Require2fa> {
  const value = await getMeta(deps.db, META_KEY);
  return REQUIRE_2FA_VALUES.includes(value as Require2fa) ? (value as Require2fa) : 'off';
}

export async function setRequire2fa(
  deps: Deps,
  auth: Caller,
  value: Require2fa,
  ctx: RequestContext,
  now: Date,
): Promise<Require2fa> {
  const before = await readRequire2fa(deps);
  if (auth.role === 'owner') {
    await setMeta(deps.db, OWNER_FLOOR_KEY, value);
  } else {
    const floor = await getMeta(deps.db, OWNER_FLOOR_KEY);
    if (REQUIRE_2FA_VALUES.includes(floor as Require2fa) && strength[value] < strength[floor as Require2fa]) {
      throw new AppError(
        'policy_set_by_owner',
        `The owner set two-step sign-in to '${floor}'; only the owner may lower it.`,
        {
          owner_floor: floor,
        },
      );
    }
  }
  await setMeta(deps.db, META_KEY, value);
  if (before !== value) {
    await recordSecurityEvent(
      deps,
      { userId: auth.userId, type: 'require_2fa_changed', detail: { from: before, to: value } },
      ctx,
      now,
    );
  }
  return value;
}

export function policyCovers(policy: Require2fa, role: Role): boolean {
  return policy === 'everyone' || (policy === 'admins' && role !== 'member');
}

/** True when the policy covers this user and they have no factor yet. */
export async function enrolmentRequired(deps: Pick<Deps, 'db'>, userId: string, role: Role): Promise<boolean> {
  if (!policyCovers(await readRequire2fa(deps), role)) return false;
  return !(await userHasSecondFactor(deps, userId));
}

/** What a user who must enrol may still reach: their account, enrolment itself, re-authentication, sign-out. */
export function allowedBeforeEnrolment(method: string, url: string): boolean {
  if ((method === 'GET' || method === 'HEAD') && url === '/api/v1/me') return true;
  if (url === '/api/v1/me/2fa' || url.startsWith('/api/v1/me/2fa/')) return true;
  if (url === '/api/v1/me/passkeys' || url.startsWith('/api/v1/me/passkeys/')) return true;
  return method === 'POST' && (url === '/api/v1/auth/logout' || url === '/api/v1/auth/reauth');
}

/** deps.hooks.requestGuards entry: 403 mfa_enrollment_required everywhere else. */
export async function enrolmentGuard(
  deps: Deps,
  caller: Caller,
  route: { method: string; url: string },
): Promise<void> {
  if (allowedBeforeEnrolment(route.method, route.url)) return;
  if (await enrolmentRequired(deps, caller.userId, caller.role)) throw new AppError('mfa_enrollment_required');
}
