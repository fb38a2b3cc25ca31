import { describe, expect, it, vi } from 'vitest';
import { systemRandom, type Random } from '../../src/crypto.ts';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from '../../src/factors/recovery-codes.ts';

const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;
const fixed =
  (bytes: Buffer): Random =>
  (n) => {
    expect(n).toBe(bytes.length);
    return Buffer.from(bytes);
  };

describe('newRecoveryCodes', () => {
  it('S32: makes ten codes by default, each from 80 random bits', () => {
    const random = vi.fn(systemRandom);
    const codes = newRecoveryCodes(random);
    expect(codes).toHaveLength(10);
    expect(random).toHaveBeenCalledTimes(10);
    for (const call of random.mock.calls) expect(call).toEqual([10]);
    for (const code of codes) expect(code).toMatch(FORMAT);
    expect(newRecoveryCodes(systemRandom, 3)).toHaveLength(3);
  });

  it('S32: codes have at least 64 bits: every one of the 80 random bits changes the code', () => {
    const base = Buffer.alloc(10);
    const [baseCode] = newRecoveryCodes(fixed(base), 1);
    const seen = new Set([baseCode]);
    for (let bit = 0; bit < 80; bit++) {
      const flipped = Buffer.from(base);
      flipped[bit >> 3] ^= 0x80 >> (bit & 7);
      seen.add(newRecoveryCodes(fixed(flipped), 1)[0]);
    }
    // 81 inputs, 81 different codes: no random bit is lost on the way to what the user sees.
    expect(seen.size).toBe(81);
    expect(baseCode).toBe('0000-0000-0000-0000');
    expect(newRecoveryCodes(fixed(Buffer.alloc(10, 0xff)), 1)[0]).toBe('zzzz-zzzz-zzzz-zzzz');
  });

  it('S32: codes are distinct', () => {
    const codes = newRecoveryCodes(systemRandom, 2000);
    expect(new Set(codes).size).toBe(codes.length);
    const hashes = codes.map(hashRecoveryCode);
    expect(new Set(hashes).size).toBe(codes.length);
  });

  it('S32: codes avoid characters people confuse (i, l, o, u)', () => {
    const text = newRecoveryCodes(systemRandom, 500).join('');
    expect(text).not.toMatch(/[ilou]/);
    // 500 codes of 16 characters use the whole 32-character alphabet.
    expect(new Set(text.replaceAll('-', '')).size).toBe(32);
  });
});

describe('normalizeRecoveryCode', () => {
  const code = 'a1b2-c3d4-e5f6-g7h8';

  it('S32: ignores case, spaces and dashes', () => {
    for (const typed of [
      code,
      'A1B2-C3D4-E5F6-G7H8',
      'a1b2c3d4e5f6g7h8',
      '  a1b2 c3d4 e5f6 g7h8 ',
      'A1B2--C3D4 - E5F6-\tG7H8',
    ]) {
      expect(normalizeRecoveryCode(typed), typed).toBe('a1b2c3d4e5f6g7h8');
    }
  });

  it('S32: reads the look-alikes o, i and l as 0, 1 and 1', () => {
    expect(normalizeRecoveryCode('0110-OIL0-oil0-0000')).toBe('0110011001100000');
  });

  it('S32: refuses a wrong length or charset', () => {
    for (const bad of [
      '',
      'a1b2-c3d4-e5f6-g7h',
      'a1b2-c3d4-e5f6-g7h8-9',
      'u1b2-c3d4-e5f6-g7h8',
      'a1b2-c3d4-e5f6-g7h!',
      'a1b2_c3d4_e5f6_g7h8',
      'ａ1b2-c3d4-e5f6-g7h8',
      '------------------',
    ]) {
      expect(normalizeRecoveryCode(bad), bad).toBeNull();
    }
  });

  it('S32: every new code normalizes to its compact lower-case form', () => {
    for (const fresh of newRecoveryCodes(systemRandom, 50)) {
      expect(normalizeRecoveryCode(fresh)).toBe(fresh.replaceAll('-', ''));
      expect(normalizeRecoveryCode(fresh.toUpperCase().replaceAll('-', ' '))).toBe(fresh.replaceAll('-', ''));
    }
  });
});

describe('hashRecoveryCode', () => {
  it('S32: hashing is stable: SHA-256 of the normalized code, whatever the spelling', () => {
    // Known answer from `printf a1b2c3d4e5f6g7h8 | sha256sum`.
    const expected = 'e116b146089ce6f65d25ad7c86390e27e58df6bc1e8ff9805c8e8c713507526d';
    expect(hashRecoveryCode('a1b2-c3d4-e5f6-g7h8')).toBe(expected);
    expect(hashRecoveryCode('A1B2 C3D4 E5F6 G7H8')).toBe(expected);
    expect(hashRecoveryCode('a1b2c3d4e5f6g7h8')).toBe(expected);
    expect(hashRecoveryCode('a1b2-c3d4-e5f6-g7h9')).not.toBe(expected);
  });

  it('S32: the hash is not the code and is null for text that is not a code', () => {
    const [code] = newRecoveryCodes(systemRandom, 1);
    const hash = hashRecoveryCode(code);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(code.replaceAll('-', ''));
    expect(hashRecoveryCode('not a code')).toBeNull();
  });
});
