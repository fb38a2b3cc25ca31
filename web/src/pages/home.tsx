import { adminPages } from '../admin/admin-pages.ts';
import { Icon } from '../components/icons.tsx';
import { Page } from '../components/page.tsx';
import { MediaHome } from '../media/media-home.tsx';
import { Link } from '../router.tsx';
import { isAdmin, useUser } from '../session.tsx';

export function HomePage() {
  const user = useUser();
  return (
    <Page title={`Welcome, ${user.display_name ?? user.username}`}>
      <MediaHome />
      <ul className="tiles">
        <li>
          <Link to="/account" className="tile">
            <Icon name="shield" className="tile-icon" />
            <span className="tile-title">Account security</span>
            <span className="tile-text">Password, devices signed in to your account, recent activity.</span>
          </Link>
        </li>
        {isAdmin(user) &&
          adminPages.map((page) => (
            <li key={page.path}>
              <Link to={page.path} className="tile">
                <Icon name="flame" className="tile-icon" />
                <span className="tile-title">Admin · {page.label}</span>
                <span className="tile-text">{page.description}</span>
              </Link>
            </li>
          ))}
      </ul>
    </Page>
  );
}
