import type { ComponentType } from 'react';
import { LibrariesPage } from './libraries-page.tsx';
import { SecurityEventsPage } from './security-events-page.tsx';
import { UsersPage } from './users-page.tsx';

export interface AdminPage {
  /** Under /admin/. */
  path: string;
  label: string;
  description: string;
  Component: ComponentType;
}

// The admin console's tabs. Two-step policy, breach response and the mail outbox join this list when
// their APIs exist; a tab appears only once its page works.
export const adminPages: AdminPage[] = [
  {
    path: '/admin/users',
    label: 'Users',
    description: 'Roles, invites, and signing people out.',
    Component: UsersPage,
  },
  {
    path: '/admin/libraries',
    label: 'Libraries',
    description: 'Folders to list, scans, and which libraries each member may see.',
    Component: LibrariesPage,
  },
  {
    path: '/admin/security-events',
    label: 'Security events',
    description: 'Who signed in, what failed, and what changed, across every account.',
    Component: SecurityEventsPage,
  },
];
