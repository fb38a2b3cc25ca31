import { useEffect } from 'react';
import { factorsApi } from '../api/factors.ts';
import { Alert } from '../components/form.tsx';
import { Page, Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { historyState } from '../router.tsx';
import { useFactorsChanged } from './factor-events.ts';
import { accountSections } from './sections.ts';

/** What a person who must first set up two-step sign-in (the server's policy) can reach. */
const enrolmentSections = new Set(['two-factor', 'passkeys']);

export function AccountPage() {
  const factors = useResource(factorsApi.status);
  useFactorsChanged(() => void factors.reload());
  const loaded = factors.data !== null || factors.error !== null;
  const enrolling = factors.data?.enrollment_required === true;
  const notice = historyState<{ notice?: string }>()?.notice ?? null;

  useEffect(() => {
    // A link such as /account#devices lands on its section once the page has rendered.
    if (!loaded) return;
    const target = location.hash.slice(1);
    if (target !== '') document.getElementById(target)?.scrollIntoView();
  }, [loaded]);

  if (!loaded) {
    return (
      <Page title="Account security">
        <Spinner />
      </Page>
    );
  }

  // The same element tree in both cases, so a section keeps its state (new recovery codes on screen) when
  // the page leaves the enrolment-only view.
  const sections = enrolling ? accountSections.filter((section) => enrolmentSections.has(section.id)) : accountSections;

  return (
    <Page
      title={enrolling ? 'Set up two-step sign-in' : 'Account security'}
      lead={
        enrolling ? undefined : 'Your profile, password, sign-in methods and the devices signed in to your account.'
      }
    >
      {notice !== null && !enrolling && <Alert kind="success">{notice}</Alert>}
      {enrolling && (
        <Alert kind="info">
          <p>
            <strong>This server requires two-step sign-in for your account.</strong> Its administrator decided that a
            password alone is not enough here, so that a stolen or leaked password cannot open your account.
          </p>
          <p>
            Set up an authenticator app or add a passkey. Until then the rest of Hearth stays closed to this account.
          </p>
        </Alert>
      )}
      <div className="with-toc">
        <nav className="toc" aria-label="Sections of this page">
          <ul>
            {sections.map((section) => (
              <li key={section.id}>
                <a href={`#${section.id}`}>{section.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sections">
          {sections.map(({ id, Component }) => (
            <Component key={id} />
          ))}
        </div>
      </div>
    </Page>
  );
}
