// Credentials that apps put in URLs (Jellyfin's api_key/ApiKey and Quick Connect secret, Subsonic's u/p/t/s,
// stream tokens) never reach a log line (S93): every URL the HTTP layer logs passes through redactUrl first.

/** Query parameters whose values are credentials, compared without case. */
export const URL_CREDENTIAL_PARAMS = ['api_key', 'apikey', 'token', 'st', 'secret', 'p', 't', 's', 'u'];

const SENSITIVE = new Set(URL_CREDENTIAL_PARAMS);

/** The URL with the value of every credential parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // a name that does not decode is compared as it is
      }
      return SENSITIVE.has(name.toLowerCase()) ? `${rawName}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
}
