// Recovery codes (S32): single-use second factors for when the authenticator is lost.
import { sha256, type Random } from '../crypto.ts';

/** 80 random bits per code, above the 64 that S32 requires. */
export const RECOVERY_CODE_BYTES = 10;
export const RECOVERY_CODE_COUNT = 10;
// Crockford's base32: no i, l, o or u, so what people read back is what they meant.
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_LENGTH = (RECOVERY_CODE_BYTES * 8) / 5;
const GROUP_LENGTH = 4;

/** Codes to show once, formatted for people as `xxxx-xxxx-xxxx-xxxx` (16 characters, 5 bits each). */
export function newRecoveryCodes(random: Random, count: number = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => formatRecoveryCode(encode(random(RECOVERY_CODE_BYTES))));
}

/**
 * The canonical form of a typed code (16 characters, no dashes, lower case), or null when it cannot be one.
 * Case, whitespace and dashes are ignored, and the look-alikes o, i and l are read as 0, 1 and 1.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
  if (code.length !== CODE_LENGTH) return null;
  for (const char of code) if (!ALPHABET.includes(char)) return null;
  return code;
}

/**
 * The value to store and look codes up by: SHA-256 (hex) of the normalized code, or null when `code` is not a
 * recovery code. Accepts the formatted code as shown or anything that normalizes to it.
 */
export function hashRecoveryCode(code: string): string | null {
  const normalized = normalizeRecoveryCode(code);
  // 80 random bits cannot be brute-forced even from a leaked hash, so a slow password hash would add nothing.
  return normalized === null ? null : sha256(normalized);
}

function encode(bytes: Buffer): string {
  let value = BigInt(`0x${bytes.toString('hex')}`);
  let out = '';
  for (let i = 0; i < CODE_LENGTH; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

function formatRecoveryCode(code: string): string {
  const groups = Array.from({ length: CODE_LENGTH / GROUP_LENGTH }, (_, i) =>
    code.slice(i * GROUP_LENGTH, (i + 1) * GROUP_LENGTH),
  );
  return groups.join('-');
}
