import { useCallback, useState } from 'react';
import { api, type Me } from '../api.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { useReauth } from '../components/reauth.tsx';
import { Section } from '../components/section.tsx';
import { useSession, useUser } from '../session.tsx';

export function ProfileSection() {
  const user = useUser();
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
      <div className="stack">
        <EmailForm user={user} />
        <ProfileForm user={user} />
      </div>
    </Section>
  );
}

function EmailForm({ user }: { user: Me }) {
  const { setUser } = useSession();
  const withReauth = useReauth();
  const [email, setEmail] = useState(user.email);
  const [done, setDone] = useState<string | null>(null);

  const change = useAction(
    useCallback(async () => {
      setDone(null);
      const updated = await withReauth(() => api.updateMe({ email: email.trim() }));
      setUser(updated);
      setEmail(updated.email);
      setDone(
        `Your address is now ${updated.email}. Open the link we sent there to confirm it; your previous address was told about the change.`,
      );
    }, [email, setUser, withReauth]),
  );

  const resend = useAction(
    useCallback(async () => {
      setDone(null);
      await api.resendVerification();
      setDone(`A new confirmation link is on its way to ${user.email}.`);
    }, [user.email]),
  );

  const unchanged = email.trim() === user.email;

  return (
    <form onSubmit={onSubmit(change)} className="form-grid">
      {change.message !== null && <Alert kind="error">{change.message}</Alert>}
      {resend.message !== null && <Alert kind="error">{resend.message}</Alert>}
      {done !== null && <Alert kind="success">{done}</Alert>}
      <Field
        label="Email"
        name="email"
        type="email"
        required
        autoComplete="email"
        value={email}
        onChange={(event) => {
          setDone(null);
          setEmail(event.target.value);
        }}
        hint={`${user.email_verified ? 'Confirmed.' : 'Not confirmed yet.'} Password resets and security notices go here. Changing it asks for your password again.`}
      />
      <div className="form-actions">
        <SubmitButton busy={change.busy} className={unchanged ? 'button-secondary' : 'button-primary'}>
          Change email
        </SubmitButton>
        {!user.email_verified && unchanged && (
          <button
            type="button"
            className="button-ghost"
            disabled={resend.busy}
            aria-busy={resend.busy}
            onClick={() => void resend.run()}
          >
            Send the confirmation link again
          </button>
        )}
      </div>
    </form>
  );
}

function ProfileForm({ user }: { user: Me }) {
  const { setUser } = useSession();
  const withReauth = useReauth();
  const [displayName, setDisplayName] = useState(user.display_name ?? '');
  const [phrase, setPhrase] = useState(user.anti_phishing_phrase ?? '');
  const [saved, setSaved] = useState(false);

  const save = useAction(
    useCallback(async () => {
      setSaved(false);
      const patch: { display_name?: string | null; anti_phishing_phrase?: string | null } = {};
      if (displayName.trim() !== (user.display_name ?? '')) patch.display_name = displayName.trim() || null;
      if (phrase.trim() !== (user.anti_phishing_phrase ?? '')) patch.anti_phishing_phrase = phrase.trim() || null;
      if (Object.keys(patch).length > 0) {
        const updated = await withReauth(() => api.updateMe(patch));
        setUser(updated);
        setDisplayName(updated.display_name ?? '');
        setPhrase(updated.anti_phishing_phrase ?? '');
      }
      setSaved(true);
    }, [displayName, phrase, user, setUser, withReauth]),
  );

  return (
    <form onSubmit={onSubmit(save)} className="form-grid">
      {save.message !== null && <Alert kind="error">{save.message}</Alert>}
      {saved && save.message === null && <Alert kind="success">Your profile is saved.</Alert>}
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
  );
}
