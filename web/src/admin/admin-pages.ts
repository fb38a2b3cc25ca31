import { lazy, type ComponentType } from 'react';

// Each admin page is its own chunk, fetched when an admin opens it: a signed-out visitor's first page stays small.
const AlertsPage = lazy(() => import('./alerts-page.tsx').then((module) => ({ default: module.AlertsPage })));
const BreachPage = lazy(() => import('./breach-page.tsx').then((module) => ({ default: module.BreachPage })));
const MailPage = lazy(() => import('./mail-page.tsx').then((module) => ({ default: module.MailPage })));
const NowPlayingPage = lazy(() =>
  import('./now-playing-page.tsx').then((module) => ({ default: module.NowPlayingPage })),
);
const LibrariesPage = lazy(() => import('./libraries-page.tsx').then((module) => ({ default: module.LibrariesPage })));
const SecurityEventsPage = lazy(() =>
  import('./security-events-page.tsx').then((module) => ({ default: module.SecurityEventsPage })),
);
const TwoFactorPolicyPage = lazy(() =>
  import('./two-factor-policy-page.tsx').then((module) => ({ default: module.TwoFactorPolicyPage })),
);
const UsersPage = lazy(() => import('./users-page.tsx').then((module) => ({ default: module.UsersPage })));

export interface AdminPage {
  /** Under /admin/. */
  path: string;
  label: string;
  description: string;
  Component: ComponentType;
}

// The admin console's tabs; a tab appears only once its page works.
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
  {
    path: '/admin/alerts',
    label: 'Alerts',
    description: 'Credential stuffing: many failed sign-ins across many accounts.',
    Component: AlertsPage,
  },
  {
    path: '/admin/two-factor',
    label: 'Two-step policy',
    description: 'Who must use an authenticator app or a passkey.',
    Component: TwoFactorPolicyPage,
  },
  {
    path: '/admin/breach',
    label: 'Breach response',
    description: 'Sign everyone out and require new passwords when passwords may have leaked.',
    Component: BreachPage,
  },
  {
    path: '/admin/mail',
    label: 'Mail',
    description: 'The mail queue, and the outbox when no SMTP server is set.',
    Component: MailPage,
  },
  {
    path: '/admin/now-playing',
    label: 'Now playing',
    description: 'Who plays what through the encoders, how and why; stop a stream.',
    Component: NowPlayingPage,
  },
];
