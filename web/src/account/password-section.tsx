import { useCallback, useState } from 'react';
import { api } from '../api.ts';
import { Alert, Checkbox, onSubmit, PasswordField, SubmitButton, useAction } from '../components/form.tsx';
import { useReauth } from '../components/reauth.tsx';
import { Section } from '../components/section.tsx';
import { preloadStrengthMeter, StrengthMeter } from '../components/strength-meter.tsx';
import { useUser } from '../session.tsx';

function signedOutText(count: number): string {
  if (count === 0) return 'No other device was signed in.';
  return count === 1 ? 'One other device was signed out.' : `${count} other devices were signed out.`;
}

export function PasswordSection() {
  const user = useUser();
  const withReauth = useReauth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [signOutOthers, setSignOutOthers] = useState(true);
  const [done, setDone] = useState<string | null>(null);

  const change = useAction(
    useCallback(async () => {
      setDone(null);
      const result = await withReauth(() =>
        api.changePassword({ current_password: current, new_password: next, sign_out_others: signOutOthers }),
      );
      setCurrent('');
      setNext('');
      setDone(
        signOutOthers
          ? `Your password is changed. ${signedOutText(result.signed_out)}`
          : 'Your password is changed. Your other devices stay signed in.',
      );
    }, [current, next, signOutOthers, withReauth]),
  );

  return (
    <Section
      id="password"
      title="Password"
      description="A long passphrase of unrelated words is easy to remember and hard to guess. Use it only here."
    >
      <form onSubmit={onSubmit(change)} className="form-grid">
        {change.message !== null && <Alert kind="error">{change.message}</Alert>}
        {done !== null && <Alert kind="success">{done}</Alert>}
        <PasswordField
          label="Current password"
          name="current_password"
          required
          autoComplete="current-password"
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
        />
        <PasswordField
          label="New password"
          name="new_password"
          required
          autoComplete="new-password"
          value={next}
          onFocus={preloadStrengthMeter}
          onChange={(event) => setNext(event.target.value)}
          after={<StrengthMeter password={next} userInputs={[user.username, user.email, user.display_name ?? '']} />}
        />
        <Checkbox
          label="Sign out of all other devices"
          name="sign_out_others"
          checked={signOutOthers}
          onChange={(event) => setSignOutOthers(event.target.checked)}
          hint="Recommended, especially if you think someone else knows your old password."
        />
        <div className="form-actions">
          <SubmitButton busy={change.busy}>Change password</SubmitButton>
        </div>
      </form>
    </Section>
  );
}
