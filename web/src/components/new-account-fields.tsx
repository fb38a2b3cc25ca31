// The fields of a new account, the same on the first-run page and on an invitation.
import { Field, PasswordField } from './form.tsx';
import { preloadStrengthMeter, StrengthMeter } from './strength-meter.tsx';

export interface NewAccount {
  username: string;
  email: string;
  password: string;
}

export function NewAccountFields({ value, onChange }: { value: NewAccount; onChange(next: NewAccount): void }) {
  return (
    <>
      <Field
        label="Username"
        name="username"
        required
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        value={value.username}
        onChange={(event) => onChange({ ...value, username: event.target.value })}
      />
      <Field
        label="Email"
        name="email"
        type="email"
        required
        autoComplete="email"
        value={value.email}
        onChange={(event) => onChange({ ...value, email: event.target.value })}
        hint="Password resets and security notices go here."
      />
      <PasswordField
        label="Password"
        name="password"
        required
        autoComplete="new-password"
        value={value.password}
        onFocus={preloadStrengthMeter}
        onChange={(event) => onChange({ ...value, password: event.target.value })}
        after={<StrengthMeter password={value.password} userInputs={[value.username, value.email]} />}
      />
    </>
  );
}
