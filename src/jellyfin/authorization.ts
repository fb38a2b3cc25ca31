// What a Jellyfin app says about itself and where it puts its token: the `Authorization: MediaBrowser …`
// header (also sent as `X-Emby-Authorization`), or `X-Emby-Token` / `X-MediaBrowser-Token`.

export interface JellyfinClientInfo {
  client: string | null;
  device: string | null;
  deviceId: string | null;
  version: string | null;
  token: string | null;
}

const FIELD = /([A-Za-z]+)="([^"]*)"/g;

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Reads `MediaBrowser Client="…", Device="…", DeviceId="…", Version="…", Token="…"` (or `Emby …`). */
export function parseMediaBrowserHeader(header: string | undefined): JellyfinClientInfo | null {
  if (!header) return null;
  const match = /^\s*(MediaBrowser|Emby)\s+(.*)$/is.exec(header);
  if (!match) return null;
  const fields = new Map<string, string>();
  for (const [, name, value] of match[2]!.matchAll(FIELD)) fields.set(name!.toLowerCase(), decode(value!).trim());
  const pick = (name: string) => {
    const value = fields.get(name);
    return value === undefined || value === '' ? null : value.slice(0, 100);
  };
  return {
    client: pick('client'),
    device: pick('device'),
    deviceId: pick('deviceid'),
    version: pick('version'),
    token: fields.get('token') || null,
  };
}

type Headers = Record<string, string | string[] | undefined>;

function one(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The app's description of itself, from whichever header carries it. */
export function jellyfinClientInfo(headers: Headers): JellyfinClientInfo {
  return (
    parseMediaBrowserHeader(one(headers, 'authorization')) ??
    parseMediaBrowserHeader(one(headers, 'x-emby-authorization')) ?? {
      client: null,
      device: null,
      deviceId: null,
      version: null,
      token: null,
    }
  );
}

/** The token a Jellyfin app sent in a header, whichever of its forms it used. */
export function jellyfinHeaderToken(headers: Headers): string | null {
  return (
    jellyfinClientInfo(headers).token ?? one(headers, 'x-emby-token') ?? one(headers, 'x-mediabrowser-token') ?? null
  );
}

/** URL parameters Jellyfin's apps put their token in, lower-cased (ApiKey, api_key); only on routes that allow it (S93). */
export const JELLYFIN_URL_TOKEN_PARAMS = ['api_key', 'apikey'];
