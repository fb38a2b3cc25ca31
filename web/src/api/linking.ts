// Linking a TV or app: approving a device code, and app passwords for clients that cannot show a code.
import { request } from '../api.ts';

/** The device that shows a code, as the approval page presents it. */
export interface LinkRequest {
  /** XXXX-XXXX. */
  user_code: string;
  device_name: string;
  platform: string;
  client: string;
  /** The address the device asked from. */
  ip: string | null;
  created_at: string;
  expires_at: string;
}

export const APP_SCOPES = ['account:read', 'media:read', 'media:stream'] as const;
export type AppScope = (typeof APP_SCOPES)[number];

export interface AppPassword {
  id: string;
  name: string;
  scopes: AppScope[];
  created_at: string;
  last_used_at: string | null;
  last_used_ip: string | null;
  expires_at: string;
}

export const linkingApi = {
  /** Which device asks for this code. Every try counts against the guess limit. */
  lookup: (userCode: string) => request<LinkRequest>('POST', '/link/lookup', { user_code: userCode }),

  decide: (userCode: string, approve: boolean) =>
    request<{ ok: true; approved: boolean; device: LinkRequest }>('POST', '/link/approve', { user_code: userCode, approve }),

  appPasswords: () => request<AppPassword[]>('GET', '/me/app-passwords'),

  /** The password is in this answer only. */
  createAppPassword: (input: { name: string; scopes: AppScope[] }) =>
    request<{ password: string; app_password: AppPassword }>('POST', '/me/app-passwords', input),

  revokeAppPassword: (id: string) => request<{ ok: true }>('DELETE', `/me/app-passwords/${encodeURIComponent(id)}`),
};
