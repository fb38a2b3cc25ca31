import { lazy } from 'react';
import { AdminLayout } from './admin/admin-layout.tsx';
import { overviewPage } from './admin/admin-overview.tsx';
import { adminPages } from './admin/admin-pages.ts';
import { mediaRoutes } from './media/media-routes.tsx';
import { ForgotPage } from './pages/forgot.tsx';
import { HomePage } from './pages/home.tsx';
import { LoginPage } from './pages/login.tsx';
import { NotMePage } from './pages/not-me.tsx';
import { PasswordChangePage } from './pages/password-change.tsx';
import { RegisterPage } from './pages/register.tsx';
import { ResetRequiredPage } from './pages/reset-required.tsx';
import { ResetPage } from './pages/reset.tsx';
import { SetupPage } from './pages/setup.tsx';
import { VerifyEmailPage } from './pages/verify-email.tsx';
import type { Route } from './route.ts';

// Pages a signed-out visitor never sees load when first opened (the home page and the sign-in pages are at hand).
const AccountPage = lazy(() =>
  import('./account/account-page.tsx').then((module) => ({ default: module.AccountPage })),
);
const LinkPage = lazy(() => import('./pages/link.tsx').then((module) => ({ default: module.LinkPage })));

// Every page of the app.
export const routes: Route[] = [
  { pattern: '/setup', access: 'guest', render: () => <SetupPage /> },
  { pattern: '/login', access: 'guest', render: () => <LoginPage /> },
  { pattern: '/register', access: 'guest', render: () => <RegisterPage /> },
  { pattern: '/forgot', access: 'open', render: () => <ForgotPage /> },
  { pattern: '/reset', access: 'open', render: () => <ResetPage /> },
  { pattern: '/reset-required', access: 'open', render: () => <ResetRequiredPage /> },
  { pattern: '/verify-email', access: 'open', render: () => <VerifyEmailPage /> },
  { pattern: '/not-me', access: 'open', render: () => <NotMePage /> },
  { pattern: '/password-change', access: 'open', render: () => <PasswordChangePage /> },
  { pattern: '/', access: 'user', render: () => <HomePage /> },
  { pattern: '/account', access: 'user', render: () => <AccountPage /> },
  ...mediaRoutes,
  { pattern: '/link', access: 'user', render: () => <LinkPage /> },
  { pattern: overviewPage.path, access: 'admin', render: () => <AdminLayout page={overviewPage} /> },
  ...adminPages.map(
    (page): Route => ({ pattern: page.path, access: 'admin', render: () => <AdminLayout page={page} /> }),
  ),
];

/** Where a bare /admin leads. */
export const adminHome = adminPages[0].path;
