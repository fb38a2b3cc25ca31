// What an app password may be allowed to do. Account and security changes are never among them (S51).
export const APP_SCOPES = ['account:read', 'media:read', 'media:stream'] as const;
export type AppScope = (typeof APP_SCOPES)[number];

export function isAppScope(value: string): value is AppScope {
  return (APP_SCOPES as readonly string[]).includes(value);
}
