// Linking a TV or app: approving a device code, and app passwords for clients that cannot show a code.
// Wire types come from the server's own declarations (type-only imports), so client and server cannot drift.
import type { AppScope } from '../../../src/accounts/scopes.ts';
import type { AppPasswordView } from '../../../src/linking/app-passwords.ts';
import type { LinkRequestView } from '../../../src/linking/device-codes.ts';
import { request } from '../api.ts';

/** The device that shows a code, as the approval page presents it. */
export type LinkRequest = LinkRequestView;

export type { AppScope };
/** The scopes an app password may have, in the order the page lists them: the server's list, checked below. */
export const APP_SCOPES = [
  'account:read',
  'media:read',
  'media:stream',
  'subsonic',
] as const satisfies readonly AppScope[];
/** Compiles only while APP_SCOPES names every scope the server has (an error names the missing ones). */
type AllScopesListed<Missing extends never = Exclude<AppScope, (typeof APP_SCOPES)[number]>> = Missing;

export type AppPassword = AppPasswordView;

export const linkingApi = {
  /** Which device asks for this code. Every try counts against the guess limit. */
  lookup: (userCode: string) => request<LinkRequest>('POST', '/link/lookup', { user_code: userCode }),

  decide: (userCode: string, approve: boolean) =>
    request<{ ok: true; approved: boolean; device: LinkRequest }>('POST', '/link/approve', {
      user_code: userCode,
      approve,
    }),

  appPasswords: () => request<AppPassword[]>('GET', '/me/app-passwords'),

  /** The password is in this answer only. */
  createAppPassword: (input: { name: string; scopes: AppScope[] }) =>
    request<{ password: string; app_password: AppPassword }>('POST', '/me/app-passwords', input),

  revokeAppPassword: (id: string) => request<{ ok: true }>('DELETE', `/me/app-passwords/${encodeURIComponent(id)}`),
};
