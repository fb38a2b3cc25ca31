// RFC 4648 base32, the encoding authenticator apps expect for TOTP seeds.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Encodes bytes as RFC 4648 base32 (upper case). Padding is off by default because `otpauth://` URIs omit it. */
export function base32Encode(data: Uint8Array, opts: { padding?: boolean } = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (opts.padding) out += '='.repeat((8 - (out.length % 8)) % 8);
  return out;
}

/**
 * Decodes RFC 4648 base32, ignoring case, whitespace and trailing `=` padding (people copy seeds by hand).
 * Returns null when the text is not base32: an unknown character, a length no byte string encodes to, or
 * non-zero leftover bits (so each byte string has exactly one accepted spelling, up to case and spacing).
 */
export function base32Decode(text: string): Buffer | null {
  const clean = text.replace(/\s+/g, '').toUpperCase().replace(/=+$/, '');
  // 1, 3 and 6 characters past a multiple of 8 cannot come from whole bytes.
  if ([1, 3, 6].includes(clean.length % 8)) return null;
  const out = Buffer.alloc(Math.floor((clean.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of clean) {
    const value = ALPHABET.indexOf(char);
    if (value === -1) return null;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
    buffer &= (1 << bits) - 1;
  }
  if (buffer !== 0) return null;
  return out;
}
