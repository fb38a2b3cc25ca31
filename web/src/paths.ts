// Pure helpers about paths inside the app: no window, so they are tested in Node.

/** Matches `/items/:id` style patterns; returns the named parts, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const patternParts = pattern.split('/').filter(Boolean);
  const pathParts = path.split('/').filter(Boolean);
  if (patternParts.length !== pathParts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < patternParts.length; i += 1) {
    const part = patternParts[i];
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(pathParts[i]);
      } catch {
        return null;
      }
    } else if (part !== pathParts[i]) return null;
  }
  return params;
}

/** Stands for this site's origin when a path is resolved the way the browser will resolve it. */
const SAME_SITE = 'http://hearth.invalid';

/**
 * Where to go after signing in: only a path on this site, never another origin. The path is resolved as the
 * browser would (which drops tabs and line breaks and reads a backslash as a slash, so `/<tab>/evil.example`
 * is `//evil.example`), and kept only if it stays on this site.
 */
export function safeNext(next: string | null): string {
  if (next === null || !next.startsWith('/')) return '/';
  let url: URL;
  try {
    url = new URL(next, SAME_SITE);
  } catch {
    return '/';
  }
  return url.origin === SAME_SITE ? `${url.pathname}${url.search}${url.hash}` : '/';
}
