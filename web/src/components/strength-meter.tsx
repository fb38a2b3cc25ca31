import { useEffect, useState } from 'react';
import type { Estimate } from './password-estimator.ts';

// The estimator and its dictionaries weigh about a megabyte, so they load only once someone types a new
// password. The server makes the final decision; this is advice while typing.

type Check = (password: string, userInputs: string[]) => Estimate;

let checker: Promise<Check> | null = null;

function loadChecker(): Promise<Check> {
  checker ??= import('./password-estimator.ts').then((module) => module.estimate);
  return checker;
}

const labels = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;
const minimumLength = 8;

export function StrengthMeter({ password, userInputs }: { password: string; userInputs: string[] }) {
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const inputsKey = userInputs.join('\u0000');

  useEffect(() => {
    if (password === '') {
      setEstimate(null);
      return;
    }
    let cancelled = false;
    const timer = setTimeout(() => {
      loadChecker().then(
        (check) => {
          if (!cancelled) setEstimate(check(password, [...inputsKey.split('\u0000').filter(Boolean), 'hearth']));
        },
        () => {
          checker = null;
          if (!cancelled) setUnavailable(true);
        },
      );
    }, 120);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [password, inputsKey]);

  if (password === '')
    return (
      <p className="hint">Use at least {minimumLength} characters. A few unrelated words make a strong passphrase.</p>
    );

  const length = [...password].length;
  const tooShort = length < minimumLength;
  const score = tooShort ? 0 : (estimate?.score ?? 0);

  return (
    <div className="strength" aria-live="polite">
      <div className={`strength-bar strength-${estimate === null && !tooShort ? 'pending' : score}`} aria-hidden="true">
        <span />
        <span />
        <span />
        <span />
      </div>
      <p className="strength-label">
        {tooShort ? (
          `Too short: ${length} of at least ${minimumLength} characters.`
        ) : estimate === null ? (
          unavailable ? (
            'The strength estimate is not available; the server will still check the password.'
          ) : (
            'Checking…'
          )
        ) : (
          <>
            Strength: <strong>{labels[score]}</strong>
          </>
        )}
      </p>
      {!tooShort && estimate !== null && (estimate.warning || estimate.suggestions.length > 0) && (
        <ul className="strength-feedback">
          {estimate.warning && <li>{estimate.warning}</li>}
          {estimate.suggestions.map((suggestion) => (
            <li key={suggestion}>{suggestion}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Starts fetching the estimator early, e.g. when a new-password field gets focus. */
export function preloadStrengthMeter(): void {
  void loadChecker().catch(() => {
    checker = null;
  });
}
