// Two-step sign-in, recovery codes and passkeys: the calls behind the account page and the sign-in page.
// Wire types come from the server's own declarations (type-only imports), so client and server cannot drift.
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import type { PasskeyView } from '../../../src/factors/passkeys.ts';
import type { Require2fa } from '../../../src/factors/policy.ts';
import type { SecondFactorMethod } from '../../../src/factors/second-factor.ts';
import type {
  FactorStatusView,
  PasswordChangeRequired,
  TotpEnrolmentView,
} from '../../../src/http/routes/factors.routes.ts';
import { request, type User } from '../api.ts';
import type { SessionAnswerView } from '../../../src/wire/accounts.ts';

export type { PasswordChangeRequired, Require2fa, SecondFactorMethod };

export type FactorStatus = FactorStatusView;

export type TotpEnrolment = TotpEnrolmentView;

export type Passkey = PasskeyView;

export type PasskeySignIn = { kind: 'signed-in'; user: User } | { kind: 'password-change'; changeToken: string };

/** The part of a session answer the browser reads: its token and device marker ride in cookies instead. */
type SessionAnswer = Pick<SessionAnswerView, 'user'>;

export const factorsApi = {
  status: () => request<FactorStatus>('GET', '/me/2fa'),

  startTotp: () => request<TotpEnrolment>('POST', '/me/2fa/totp/setup'),

  /** Turns the app on; answers ten recovery codes, this once. */
  confirmTotp: (code: string) => request<{ recovery_codes: string[] }>('POST', '/me/2fa/totp/confirm', { code }),

  removeTotp: () => request<{ ok: true }>('DELETE', '/me/2fa/totp'),

  /** Every earlier code stops working. */
  regenerateRecoveryCodes: () => request<{ recovery_codes: string[] }>('POST', '/me/2fa/recovery-codes'),

  passkeys: () => request<Passkey[]>('GET', '/me/passkeys'),

  registrationOptions: () =>
    request<PublicKeyCredentialCreationOptionsJSON>('POST', '/me/passkeys/registration/options'),

  /** recovery_codes is set when the passkey is the account's first factor. */
  registerPasskey: (input: { response: RegistrationResponseJSON; name?: string }) =>
    request<{ passkey: Passkey; recovery_codes: string[] | null }>('POST', '/me/passkeys/registration/verify', input),

  renamePasskey: (id: string, name: string) =>
    request<Passkey>('PATCH', `/me/passkeys/${encodeURIComponent(id)}`, { name }),

  removePasskey: (id: string) => request<{ ok: true }>('DELETE', `/me/passkeys/${encodeURIComponent(id)}`),

  /** Options for a sign-in without a username: the browser offers this server's passkeys. */
  signInOptions: () => request<PublicKeyCredentialRequestOptionsJSON>('POST', '/auth/passkey/options'),

  signInWithPasskey: async (response: AuthenticationResponseJSON): Promise<PasskeySignIn> => {
    const answer = await request<SessionAnswer | PasswordChangeRequired>('POST', '/auth/passkey/verify', { response });
    if ('password_change_required' in answer) return { kind: 'password-change', changeToken: answer.change_token };
    return { kind: 'signed-in', user: answer.user };
  },

  /** Options bound to a pending second step. */
  stepOptions: (mfaToken: string) =>
    request<PublicKeyCredentialRequestOptionsJSON>('POST', '/auth/login/mfa/passkey-options', { mfa_token: mfaToken }),

  completeStepWithPasskey: async (mfaToken: string, response: AuthenticationResponseJSON) =>
    (await request<SessionAnswer>('POST', '/auth/login/mfa', { mfa_token: mfaToken, passkey: response })).user,

  /** Clears the flag, ends every other session and signs this browser in. */
  completeRequiredPasswordChange: async (input: { change_token: string; new_password: string }) =>
    (await request<SessionAnswer>('POST', '/auth/password-change-required', input)).user,

  policy: () => request<{ require_2fa: Require2fa }>('GET', '/admin/settings/2fa'),

  setPolicy: (value: Require2fa) =>
    request<{ require_2fa: Require2fa }>('PUT', '/admin/settings/2fa', { require_2fa: value }),
};
