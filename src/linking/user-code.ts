// The short code a person types on the approval page (RFC 8628 6.1): consonants only, so no words
// are spelled and no letter is mistaken for a digit; case, dashes and spaces do not matter.
import type { Random } from '../crypto.ts';

export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const USER_CODE_LENGTH = 8;
const VALID = new RegExp(`^[${USER_CODE_ALPHABET}]{${USER_CODE_LENGTH}}$`);
/** Bytes at or above this would favour the first letters: they are drawn again. */
const UNBIASED_LIMIT = 256 - (256 % USER_CODE_ALPHABET.length);

/** 8 letters, about 34.6 bits: enough against throttled guessing within the 10 minutes a code lives. */
export function newUserCode(random: Random): string {
  let code = '';
  while (code.length < USER_CODE_LENGTH) {
    for (const byte of random(USER_CODE_LENGTH * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      code += USER_CODE_ALPHABET[byte % USER_CODE_ALPHABET.length];
      if (code.length === USER_CODE_LENGTH) break;
    }
  }
  return code;
}

/** Shown as XXXX-XXXX. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** The canonical letters of what a person typed, or null when it cannot be a user code. */
export function normalizeUserCode(input: string): string | null {
  const code = input.replace(/[\s-]/g, '').toUpperCase();
  return VALID.test(code) ? code : null;
}
