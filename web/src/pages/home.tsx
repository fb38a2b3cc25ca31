import { Page } from '../components/page.tsx';
import { MediaHome } from '../media/media-home.tsx';
import { Link } from '../router.tsx';
import { isAdmin, useUser } from '../session.tsx';

/** Media first: where the person stopped, what is new, the libraries. Settings are one small line at the foot. */
export function HomePage() {
  const user = useUser();
  return (
    <Page title={`Welcome, ${user.display_name ?? user.username}`}>
      <MediaHome />
      <nav className="home-footer" aria-label="More">
        <Link to="/account">Account and security</Link>
        <Link to="/link">Link a device</Link>
        {isAdmin(user) && <Link to="/admin/overview">Manage this server</Link>}
      </nav>
    </Page>
  );
}
