import { useCallback, useState } from 'react';
import { api } from '../api.ts';
import { Alert, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Page } from '../components/page.tsx';
import { Link, takeFragmentParam } from '../router.tsx';
import { useSession } from '../session.tsx';

/** The page behind "This wasn't me" in a security mail: locks the account until a new password is chosen. */
export function NotMePage() {
  const { refresh } = useSession();
  const [token] = useState(() => takeFragmentParam('token'));
  const [done, setDone] = useState<string | null>(null);

  const report = useAction(
    useCallback(async () => {
      if (token === null) return;
      const answer = await api.reportNotMe({ token });
      setDone(answer.message);
      // This browser's own session, if any, ended with every other one.
      await refresh();
    }, [token, refresh]),
  );

  if (token === null || token === '') {
    return (
      <Page narrow title="Secure your account">
        <Alert kind="error">
          This page opens from the "This wasn't me" link in a security email. The link is missing or incomplete.
        </Alert>
      </Page>
    );
  }

  return (
    <Page narrow title="Secure your account">
      {done !== null ? (
        <>
          <Alert kind="success">{done}</Alert>
          <p className="form-links">
            <Link to="/login">Back to sign-in</Link>
          </p>
        </>
      ) : (
        <form onSubmit={onSubmit(report)}>
          <div className="prose">
            <p>
              <strong>If you did not do what the email describes, someone else may know your password.</strong>
            </p>
            <p>
              This signs every device out of your account, including any the other person uses, and blocks your
              password. We then email you a link to choose a new one.
            </p>
          </div>
          {report.message !== null && <Alert kind="error">{report.message}</Alert>}
          <SubmitButton busy={report.busy} className="button-danger button-block">
            Sign out everywhere and block my password
          </SubmitButton>
        </form>
      )}
    </Page>
  );
}
