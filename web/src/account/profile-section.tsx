import { useCallback, useState } from 'react';
import { api } from '../api.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { useReauth } from '../components/reauth.tsx';
import { Section } from '../components/section.tsx';
import { useSession, useUser } from '../session.tsx';

export function ProfileSection() {
  const user = useUser();
  const { setUser } = useSession();
  const withReauth = useReauth();
  const [email, setEmail] = useState(user.email);
  const [displayName, setDisplayName] = useState(user.display_name ?? '');
  const [phrase, setPhrase] = useState(user.anti_phishing_phrase ?? '');
  const [saved, setSaved] = useState(false);

  const save = useAction(
    useCallback(async () => {
      setSaved(false);
      const patch: { email?: string; display_name?: string | null; anti_phishing_phrase?: string | null } = {};
      if (email.trim() !== user.email) patch.email = email.trim();
      if (displayName.trim() !== (user.display_name ?? '')) patch.display_name = displayName.trim() || null;
      if (phrase.trim() !== (user.anti_phishing_phrase ?? '')) patch.anti_phishing_phrase = phrase.trim() || null;
      if (Object.keys(patch).length > 0) {
        const updated = await withReauth(() => api.updateMe(patch));
        setUser(updated);
        setEmail(updated.email);
        setDisplayName(updated.display_name ?? '');
        setPhrase(updated.anti_phishing_phrase ?? '');
      }
      setSaved(true);
    }, [email, displayName, phrase, user, setUser, withReauth]),
  );

  return (
    <Section id="profile" title="Profile">
      <dl className="facts">
        <div>
          <dt>Username</dt>
          <dd>{user.username}</dd>
        </div>
        <div>
          <dt>Role</dt>
          <dd className="capitalize">{user.role}</dd>
        </div>
      </dl>
      <form onSubmit={onSubmit(save)} className="form-grid">
        {save.message !== null && <Alert kind="error">{save.message}</Alert>}
        {saved && save.message === null && <Alert kind="success">Your profile is saved.</Alert>}
        <Field
          label="Email"
          name="email"
          type="email"
          required
          autoComplete="email"
          value={email}
          onChange={(event) => {
            setSaved(false);
            setEmail(event.target.value);
          }}
          hint={`${user.email_verified ? 'Verified.' : 'Not verified yet.'} Password resets and security notices go here. Changing it asks for your password again.`}
        />
        <Field
          label="Display name"
          name="display_name"
          autoComplete="name"
          maxLength={100}
          value={displayName}
          onChange={(event) => {
            setSaved(false);
            setDisplayName(event.target.value);
          }}
          hint="Shown to other people on this server instead of your username."
        />
        <Field
          label="Anti-phishing phrase"
          name="anti_phishing_phrase"
          autoComplete="off"
          maxLength={64}
          value={phrase}
          onChange={(event) => {
            setSaved(false);
            setPhrase(event.target.value);
          }}
          hint="A phrase only you and Hearth know (3 to 64 characters). Every email from this server shows it: a message without it is not from us."
        />
        <div className="form-actions">
          <SubmitButton busy={save.busy}>Save profile</SubmitButton>
        </div>
      </form>
    </Section>
  );
}
