import { Page } from '../components/page.tsx';
import { historyState, Link } from '../router.tsx';
import { ResetRequestForm } from './forgot.tsx';

export function ResetRequiredPage() {
  const login = historyState<{ login?: string }>()?.login ?? '';
  return (
    <Page narrow title="Choose a new password">
      <div className="prose">
        <p>
          <strong>This account must set a new password before it can sign in.</strong> The server's administrator
          required it, usually because passwords may have been exposed, for example after a security incident. Until
          then your old password cannot sign you in, on this or any other device.
        </p>
        <p>
          We will email a reset link to the address of your account. If you use two-step sign-in, you will also need a
          code from your authenticator app or a recovery code.
        </p>
      </div>
      <ResetRequestForm initialEmail={login.includes('@') ? login : ''} submitLabel="Email me a reset link" />
      <p className="form-links">
        <Link to="/login">Back to sign-in</Link>
      </p>
    </Page>
  );
}
