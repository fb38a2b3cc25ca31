import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

// A few routes do not need a routing library: the History API, one event, and a matcher.

const changeEvent = 'hearth:navigate';

export interface NavigateOptions {
  replace?: boolean;
  /** Travels with the history entry; used to hand a message to the next page without putting it in the URL. */
  state?: unknown;
}

let clientNavigations = 0;
let lastPath = `${location.pathname}${location.search}`;

export function navigate(to: string, options: NavigateOptions = {}): void {
  // The History API throws on another origin, and a throw here would blank the app: such a target goes home.
  const target = new URL(to, location.href);
  const path = target.origin === location.origin ? `${target.pathname}${target.search}${target.hash}` : '/';
  clientNavigations += 1;
  if (options.replace) history.replaceState(options.state ?? null, '', path);
  else history.pushState(options.state ?? null, '', path);
  lastPath = `${location.pathname}${location.search}`;
  window.dispatchEvent(new Event(changeEvent));
}

/** True once the person has moved inside the app, so the first page load leaves focus where the browser put it. */
export function hasNavigated(): boolean {
  return clientNavigations > 0;
}

// Back and forward count as navigations too; one listener, so the counter moves once per entry. A jump to an
// anchor on the same page (only the fragment changes) is not a new page.
window.addEventListener('popstate', () => {
  const path = `${location.pathname}${location.search}`;
  if (path === lastPath) return;
  lastPath = path;
  clientNavigations += 1;
  window.dispatchEvent(new Event(changeEvent));
});

function subscribe(callback: () => void): () => void {
  window.addEventListener(changeEvent, callback);
  return () => window.removeEventListener(changeEvent, callback);
}

const snapshot = () => `${clientNavigations} ${location.pathname}${location.search}`;

export interface Location {
  path: string;
  search: URLSearchParams;
  /** Changes on every navigation, even to the same path. */
  key: string;
}

export function useLocation(): Location {
  const current = useSyncExternalStore(subscribe, snapshot);
  const space = current.indexOf(' ');
  const url = new URL(current.slice(space + 1), location.origin);
  return { path: url.pathname.replace(/\/+$/, '') || '/', search: url.searchParams, key: current.slice(0, space) };
}

export function historyState<T>(): T | null {
  return (history.state as T | null) ?? null;
}

const takenFromFragment = new Map<string, string>();

/**
 * Reads a one-time secret from the fragment (`#token=…`) and removes it from the address bar at once, so it
 * stays out of history, bookmarks and screenshots. The value is remembered for the rest of the page's life,
 * so a second render (React's strict mode) reads the same value.
 */
export function takeFragmentParam(name: string): string | null {
  const params = new URLSearchParams(location.hash.slice(1));
  const value = params.get(name);
  if (value !== null) {
    takenFromFragment.set(name, value);
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
  }
  return takenFromFragment.get(name) ?? null;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

export function Link({ to, onClick, ...rest }: LinkProps) {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handleClick} {...rest} />;
}
