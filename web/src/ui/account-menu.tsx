import { useEffect, useRef } from 'react';
import type { Me } from '../api.ts';
import { Link, useLocation } from '../router.tsx';
import { isAdmin } from '../session.tsx';

/**
 * The signed-in person's name in the top bar opens a short menu: their account, linking a TV or app, the admin
 * pages. A native <details>, so it opens by keyboard and screen reader without any script of its own; it closes
 * on a choice, on Escape and on a click elsewhere.
 */
export function AccountMenu({ user }: { user: Me }) {
  const menu = useRef<HTMLDetailsElement>(null);
  const { key } = useLocation();

  useEffect(() => {
    if (menu.current !== null) menu.current.open = false;
  }, [key]);

  useEffect(() => {
    const close = (event: Event) => {
      const details = menu.current;
      if (details === null || !details.open) return;
      if (event instanceof KeyboardEvent) {
        if (event.key !== 'Escape') return;
        details.open = false;
        details.querySelector('summary')?.focus();
        return;
      }
      if (!details.contains(event.target as Node)) details.open = false;
    };
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', close);
    };
  }, []);

  const name = user.display_name ?? user.username;
  return (
    <details className="account-menu" ref={menu}>
      <summary title={user.email}>
        <span className="visually-hidden">Account menu: </span>
        <span className="topbar-name">{name}</span>
      </summary>
      <ul className="account-menu-list">
        <li>
          <Link to="/account">Account and security</Link>
        </li>
        <li>
          <Link to="/link">Link a device</Link>
        </li>
        <li>
          <Link to="/account#appearance">Light or dark</Link>
        </li>
        {isAdmin(user) && (
          <li>
            <Link to="/admin/overview">Manage this server</Link>
          </li>
        )}
      </ul>
    </details>
  );
}
