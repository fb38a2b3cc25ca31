import { Page } from '../components/page.tsx';
import { Link } from '../router.tsx';
import type { AdminPage } from './admin-pages.ts';
import { adminPages } from './admin-pages.ts';
import { overviewPage } from './admin-overview.tsx';

export function AdminLayout({ page }: { page: AdminPage }) {
  const { Component } = page;
  return (
    <Page title={`Admin · ${page.label}`} lead={page.description}>
      {adminPages.length > 1 && (
        <nav className="tabs" aria-label="Admin sections">
          <ul>
            {[overviewPage, ...adminPages].map((entry) => (
              <li key={entry.path}>
                <Link to={entry.path} aria-current={entry.path === page.path ? 'page' : undefined}>
                  {entry.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <Component />
    </Page>
  );
}
