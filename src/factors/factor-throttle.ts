// One counter per account for every guessed code (TOTP or recovery code), wherever it is typed: the
// mfa step, the enrolment confirmation and a password reset share it, so no path is a cheaper oracle (S40, S32).
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

/** The code counted at `now` was right: the account's count is settled as its policy says (cleared). */
export async function codeAttemptSucceeded(deps: Deps, userId: string, now: Date): Promise<void> {
  await deps.throttle.succeeded(keysFor(userId), now);
}
