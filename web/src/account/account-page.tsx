import { useEffect } from 'react';
import { Page } from '../components/page.tsx';
import { accountSections } from './sections.ts';

export function AccountPage() {
  useEffect(() => {
    // A link such as /account#devices lands on its section once the page has rendered.
    const target = location.hash.slice(1);
    if (target !== '') document.getElementById(target)?.scrollIntoView();
  }, []);

  return (
    <Page title="Account security" lead="Your profile, password and the devices signed in to your account.">
      <div className="with-toc">
        <nav className="toc" aria-label="Sections of this page">
          <ul>
            {accountSections.map((section) => (
              <li key={section.id}>
                <a href={`#${section.id}`}>{section.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="sections">
          {accountSections.map(({ id, Component }) => (
            <Component key={id} />
          ))}
        </div>
      </div>
    </Page>
  );
}
