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

/**
 * Why the browser refused the address, in words that say what to do: browsers allow passkeys only at a name (not an
 * IP address), over HTTPS or at localhost, and only at the name the server's passkeys belong to (its public URL).
 */
export function addressAdvice(
  here: { protocol: string; hostname: string; port: string },
  rpId: string | undefined,
): string {
  const port = here.port !== '' ? `:${here.port}` : '';
  const local = `http://localhost${port}`;
  const setUrl = 'or set HEARTH_PUBLIC_URL to an https:// address and open Hearth there';
  const isIp = /^[\d.]+$/.test(here.hostname) || here.hostname.includes(':') || here.hostname.startsWith('[');
  if (isIp) {
    return `Passkeys do not work at an IP address such as ${here.hostname}. On the server's own computer open Hearth at ${local}, ${setUrl}.`;
  }
  if (rpId !== undefined && here.hostname !== rpId && !here.hostname.endsWith(`.${rpId}`)) {
    return `This server's passkeys belong to ${rpId}, and this page is at ${here.hostname}. Open Hearth at ${rpId} (its HEARTH_PUBLIC_URL), or change HEARTH_PUBLIC_URL to this address.`;
  }
  if (here.protocol !== 'https:' && here.hostname !== 'localhost') {
    return `Passkeys need HTTPS: set HEARTH_PUBLIC_URL to an https:// address and open Hearth there, or open it at ${local} on the server's own computer.`;
  }
  return "Passkeys work only at the server's own address over HTTPS (or on localhost). Open Hearth at its public address.";
}

/** A failure of the browser or the authenticator, shown like the server's errors. */
function ceremonyError(error: unknown, creating: boolean, rpId?: string): ApiError {
  const code = error instanceof WebAuthnError ? error.code : null;
  const name = error instanceof Error ? error.name : '';
  let message: string;
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') {
    message = 'This authenticator already holds a passkey for your account.';
  } else if (code === 'ERROR_INVALID_DOMAIN' || code === 'ERROR_INVALID_RP_ID' || name === 'SecurityError') {
    message = addressAdvice(location, rpId);
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

export async function createPasskey(
  optionsJSON: PublicKeyCredentialCreationOptionsJSON,
): Promise<RegistrationResponseJSON> {
  try {
    return await startRegistration({ optionsJSON });
  } catch (error) {
    throw ceremonyError(error, true, optionsJSON.rp.id);
  }
}

export async function assertPasskey(
  optionsJSON: PublicKeyCredentialRequestOptionsJSON,
): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON });
  } catch (error) {
    throw ceremonyError(error, false, optionsJSON.rpId);
  }
}
