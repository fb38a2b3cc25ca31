// One counter per account for every guessed code (TOTP or recovery code), wherever it is typed: the
// mfa step, the setup confirmation and a password reset share it, so no path is a cheaper oracle (S40, S32).
import type { Deps } from '../deps.ts';
import { ThrottledError } from '../errors.ts';
import { policies, type ThrottleKey } from '../accounts/throttle.ts';

function keysFor(userId: string): ThrottleKey[] {
  return [{ key: `second-factor:${userId}`, policy: policies.secondFactor }];
}

/** Counts one guess; throws 429 (with the wait) while the account is cooling down. */
export async function countCodeAttempt(deps: Deps, userId: string, now: Date): Promise<void> {
  const wait = await deps.throttle.attempt(keysFor(userId), now);
  if (wait > 0) throw new ThrottledError(wait);
}

export async function clearCodeAttempts(deps: Deps, userId: string): Promise<void> {
  await deps.throttle.clear(keysFor(userId).map((k) => k.key));
}
