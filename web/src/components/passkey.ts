// The browser half of a passkey ceremony, with failures turned into sentences. Cancelling the browser's
// prompt is the common case and is said plainly rather than as an error code.
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnError,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/browser';
import { ApiError } from '../api.ts';

export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/** A failure of the browser or the authenticator, shown like the server's errors. */
function ceremonyError(error: unknown, creating: boolean): ApiError {
  const code = error instanceof WebAuthnError ? error.code : null;
  const name = error instanceof Error ? error.name : '';
  let message: string;
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') {
    message = 'This authenticator already holds a passkey for your account.';
  } else if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError') {
    message = "Passkeys work only at the server's own address over HTTPS (or on localhost). Open Hearth at its public address.";
  } else if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') {
    message = creating
      ? 'No passkey was created: the request was cancelled or timed out.'
      : 'No passkey was used: the request was cancelled, timed out, or this device has no passkey for this server.';
  } else if (name === 'NotSupportedError') {
    message = 'This browser or authenticator does not support the kind of passkey this server asks for.';
  } else {
    message = creating ? 'The passkey could not be created. Try again.' : 'The passkey could not be used. Try again.';
  }
  return new ApiError(0, 'passkey_ceremony_failed', message, null);
}

export async function createPasskey(optionsJSON: PublicKeyCredentialCreationOptionsJSON): Promise<RegistrationResponseJSON> {
  try {
    return await startRegistration({ optionsJSON });
  } catch (error) {
    throw ceremonyError(error, true);
  }
}

export async function assertPasskey(optionsJSON: PublicKeyCredentialRequestOptionsJSON): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON });
  } catch (error) {
    throw ceremonyError(error, false);
  }
}
