// The fields of a new account, the same on the first-run page and on an invitation.
import { Field, PasswordField } from './form.tsx';
import { preloadStrengthMeter, StrengthMeter } from './strength-meter.tsx';

export interface NewAccount {
  username: string;
  email: string;
  password: string;
}

/** `fixedEmail`: the address an invitation was sent to, shown filled in and not editable. */
export function NewAccountFields({
  value,
  onChange,
  fixedEmail = null,
}: {
  value: NewAccount;
  onChange(next: NewAccount): void;
  fixedEmail?: string | null;
}) {
  return (
    <>
      <Field
        label="Username"
        name="username"
        required
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        autoFocus={fixedEmail !== null}
        value={value.username}
        onChange={(event) => onChange({ ...value, username: event.target.value })}
      />
      <Field
        label="Email"
        name="email"
        type="email"
        required
        autoComplete="email"
        value={fixedEmail ?? value.email}
        readOnly={fixedEmail !== null}
        onChange={(event) => onChange({ ...value, email: event.target.value })}
        hint={
          fixedEmail !== null
            ? 'The invitation was sent to this address. Password resets and security notices go here.'
            : 'Password resets and security notices go here.'
        }
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
