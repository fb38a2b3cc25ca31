import { Icon } from '../components/icons.tsx';
import { Link } from '../router.tsx';
import { adminPages } from './admin-pages.ts';

/** Every admin section at a glance: the tiles that used to fill the home page. */
export function AdminOverview() {
  return (
    <ul className="tiles">
      {adminPages.map((page) => (
        <li key={page.path}>
          <Link to={page.path} className="tile">
            <Icon name="flame" className="tile-icon" />
            <span className="tile-title">{page.label}</span>
            <span className="tile-text">{page.description}</span>
          </Link>
        </li>
      ))}
      <li>
        <Link to="/account" className="tile">
          <Icon name="shield" className="tile-icon" />
          <span className="tile-title">Your account</span>
          <span className="tile-text">Password, devices signed in to your account, recent activity.</span>
        </Link>
      </li>
    </ul>
  );
}

/** The overview as an admin page: the first tab, before the sections themselves. */
export const overviewPage = {
  path: '/admin/overview',
  label: 'Overview',
  description: 'Everything an administrator looks after on this server.',
  Component: AdminOverview,
};
