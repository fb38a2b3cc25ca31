import { useCallback, useEffect, useState } from 'react';
import { factorsApi, type Require2fa } from '../api/factors.ts';
import { Alert, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Spinner } from '../components/page.tsx';
import { useReauth } from '../components/reauth.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';

const choices: { value: Require2fa; label: string; hint: string }[] = [
  { value: 'off', label: 'Optional', hint: 'Everyone may turn on two-step sign-in; nobody has to.' },
  {
    value: 'admins',
    label: 'Required for admins',
    hint: 'The owner and the admins must use an authenticator app or a passkey. Their accounts can change everyone else’s.',
  },
  {
    value: 'everyone',
    label: 'Required for everyone',
    hint: 'Every account must use an authenticator app or a passkey.',
  },
];

export function TwoFactorPolicyPage() {
  const withReauth = useReauth();
  const policy = useResource(factorsApi.policy);
  const mine = useResource(factorsApi.status);
  const [choice, setChoice] = useState<Require2fa>('off');
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    if (policy.data !== null) setChoice(policy.data.require_2fa);
  }, [policy.data]);

  const save = useAction(
    useCallback(async () => {
      setSaved(null);
      const answer = await withReauth(() => factorsApi.setPolicy(choice));
      setSaved(
        answer.require_2fa === 'off'
          ? 'Two-step sign-in is optional now.'
          : 'Saved. People it covers who have not set up two-step sign-in are asked to do so at their next visit, and can do nothing else until they have.',
      );
      await policy.reload();
    }, [choice, policy, withReauth]),
  );

  return (
    <Section
      id="policy"
      title="Two-step sign-in policy"
      description="Who must use a second step after the password. A leaked password then opens no account it covers."
    >
      {policy.error !== null && <Alert kind="error">{policy.error}</Alert>}
      {policy.data === null ? (
        policy.loading && <Spinner label="Loading the policy…" />
      ) : (
        <form onSubmit={onSubmit(save)} className="form-grid">
          {save.message !== null && <Alert kind="error">{save.message}</Alert>}
          {saved !== null && <Alert kind="success">{saved}</Alert>}
          {choice !== 'off' && mine.data !== null && !mine.data.totp_enabled && mine.data.passkeys === 0 && (
            <Alert kind="info">
              This covers you, and your account has no second step yet: once saved, you will be asked to set one up
              before you can do anything else.
            </Alert>
          )}
          <fieldset className="fieldset">
            <legend>Two-step sign-in is</legend>
            {choices.map((entry) => (
              <div key={entry.value} className="checkbox">
                <input
                  id={`require-2fa-${entry.value}`}
                  type="radio"
                  name="require_2fa"
                  value={entry.value}
                  checked={choice === entry.value}
                  aria-describedby={`require-2fa-${entry.value}-hint`}
                  onChange={() => setChoice(entry.value)}
                />
                <label htmlFor={`require-2fa-${entry.value}`}>{entry.label}</label>
                <p className="hint" id={`require-2fa-${entry.value}-hint`}>
                  {entry.hint}
                </p>
              </div>
            ))}
          </fieldset>
          <div className="form-actions">
            <SubmitButton busy={save.busy}>Save the policy</SubmitButton>
          </div>
        </form>
      )}
    </Section>
  );
}
