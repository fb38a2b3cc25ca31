// OWASP's "device cookie": a signed marker handed to a browser or device after a successful sign-in.
// Attempts that carry a marker the account has seen are throttled apart, so an attacker hammering an
// account never locks its owner out of a device that signed in before (S11).
import { deriveKey, hmacSha256, newId, safeEqual, type Random } from '../crypto.ts';

const PREFIX = 'hd1.';

export function newDeviceMarker(secretKey: Buffer, random: Random): { deviceId: string; marker: string } {
  const deviceId = newId(random);
  return { deviceId, marker: sign(secretKey, deviceId) };
}

/** The device id inside a genuine marker, or null. */
export function readDeviceMarker(secretKey: Buffer, marker: string | undefined): string | null {
  if (!marker || marker.length > 200 || !marker.startsWith(PREFIX)) return null;
  const deviceId = marker.slice(PREFIX.length).split('.')[0] ?? '';
  if (!/^[A-Za-z0-9_-]{22}$/.test(deviceId)) return null;
  return safeEqual(sign(secretKey, deviceId), marker) ? deviceId : null;
}

function sign(secretKey: Buffer, deviceId: string): string {
  const mac = hmacSha256(deriveKey(secretKey, 'device-marker'), deviceId).toString('base64url');
  return `${PREFIX}${deviceId}.${mac}`;
}
