import { Suspense, useEffect, useRef, type ReactNode } from 'react';
import { useEnrolmentRedirect } from './account/enrolment.ts';
import { Icon } from './components/icons.tsx';
import { Spinner } from './components/page.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { matchPath, safeNext } from './paths.ts';
import { Link, navigate, useLocation } from './router.tsx';
import { AccountMenu } from './ui/account-menu.tsx';
import { useSpatialNavigation } from './ui/spatial-nav.ts';
import { adminHome, routes } from './routes.tsx';
import { isAdmin, useSession } from './session.tsx';

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function App() {
  const location = useLocation();
  const { state, refresh } = useSession();
  const signedIn = state.status === 'signed-in';
  useEnrolmentRedirect();
  // The player answers the arrows itself; everywhere else they move across the grids.
  useSpatialNavigation(signedIn && !location.path.startsWith('/play/'));

  const latest = useRef({ signedIn, refresh });
  latest.current = { signedIn, refresh };
  useEffect(() => {
    // Each page change re-checks the session, so a browser signed out from another device notices at once.
    if (location.key !== '0' && latest.current.signedIn) void latest.current.refresh();
  }, [location.key]);

  if (state.status === 'loading') {
    return (
      <main id="main" className="splash">
        <Spinner />
      </main>
    );
  }

  const query = location.search.toString();
  const here = query === '' ? location.path : `${location.path}?${query}`;
  let content: ReactNode;

  const path = location.path === '/admin' ? adminHome : location.path;
  const match = routes
    .map((route) => ({ route, params: matchPath(route.pattern, path) }))
    .find((candidate) => candidate.params !== null);

  if (location.path === '/admin' && signedIn && isAdmin(state.user)) {
    content = <Redirect to={adminHome} />;
  } else if (match === undefined) {
    content = signedIn ? <NotFoundPage /> : <Redirect to={`/login?next=${encodeURIComponent(here)}`} />;
  } else {
    const { route, params } = match;
    if (route.access === 'guest' && signedIn) {
      content = <Redirect to={location.path === '/login' ? safeNext(location.search.get('next')) : '/'} />;
    } else if ((route.access === 'user' || route.access === 'admin') && !signedIn) {
      content = <Redirect to={here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`} />;
    } else if (route.access === 'admin' && signedIn && !isAdmin(state.user)) {
      content = <NotFoundPage />;
    } else {
      content = route.render(params ?? {});
    }
  }

  // The player fills the window: no top bar over the picture (its own bar leads back).
  const immersive = signedIn && location.path.startsWith('/play/');

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {!immersive && <TopBar />}
      <main id="main" className={immersive ? 'main main-immersive' : 'main'}>
        <Suspense fallback={<Spinner />}>{content}</Suspense>
      </main>
    </>
  );
}

function TopBar() {
  const { state, signOut } = useSession();
  const { path } = useLocation();
  const current = (target: string) => (path === target || path.startsWith(`${target}/`) ? 'page' : undefined);

  const leave = async () => {
    try {
      await signOut();
    } finally {
      navigate('/login', { replace: true, state: { notice: 'You signed out.' } });
    }
  };

  return (
    <header className="topbar">
      <Link to="/" className="brand">
        <Icon name="flame" className="brand-icon" />
        <span>Hearth</span>
      </Link>
      {state.status === 'signed-in' && (
        <>
          <nav className="topnav" aria-label="Main">
            <ul>
              <li>
                <Link to="/" aria-current={path === '/' ? 'page' : undefined}>
                  Home
                </Link>
              </li>
              <li>
                <Link to="/playlists" aria-current={current('/playlists')}>
                  Playlists
                </Link>
              </li>
              <li>
                <Link to="/account" aria-current={current('/account')}>
                  Account
                </Link>
              </li>
              {isAdmin(state.user) && (
                <li>
                  <Link to={adminHome} aria-current={current('/admin')}>
                    Admin
                  </Link>
                </li>
              )}
            </ul>
          </nav>
          <div className="topbar-user">
            <AccountMenu user={state.user} />
            <button type="button" className="button-ghost" onClick={() => void leave()}>
              Sign out
            </button>
          </div>
        </>
      )}
    </header>
  );
}
