// What an app password may be allowed to do. Account and security changes are never among them (S51).
// `subsonic` opens the Subsonic API (/rest) and nothing else; such a password is also kept sealed for t/s (S95).
export const APP_SCOPES = ['account:read', 'media:read', 'media:stream', 'subsonic'] as const;
export type AppScope = (typeof APP_SCOPES)[number];

export function isAppScope(value: string): value is AppScope {
  return (APP_SCOPES as readonly string[]).includes(value);
}
