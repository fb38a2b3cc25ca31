// How the factors module plugs into the account flows.
import type { Deps } from '../deps.ts';
import { enrolmentGuard } from './policy.ts';
import { secondFactorGate, verifySecondFactorForReset } from './second-factor.ts';

export function setupFactors(deps: Deps): void {
  deps.hooks.secondFactor = secondFactorGate;
  deps.hooks.requestGuards.push(enrolmentGuard);
  deps.hooks.verifySecondFactor = verifySecondFactorForReset;
}
