import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemRandom, type Random } from '../../src/crypto.ts';
import { USER_CODE_ALPHABET, formatUserCode, newUserCode, normalizeUserCode } from '../../src/linking/user-code.ts';

const codes = fc
  .array(fc.constantFrom(...USER_CODE_ALPHABET.split('')), { minLength: 8, maxLength: 8 })
  .map((letters) => letters.join(''));

describe('user codes (S50)', () => {
  it('S50: a user code is 8 letters from BCDFGHJKLMNPQRSTVWXZ, shown as XXXX-XXXX', () => {
    expect(USER_CODE_ALPHABET).toBe('BCDFGHJKLMNPQRSTVWXZ');
    for (let i = 0; i < 200; i++) {
      const code = newUserCode(systemRandom);
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      expect(formatUserCode(code)).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    }
  });

  it('S50: every letter is equally likely: bytes that would favour the first letters are drawn again', () => {
    // 240..255 would map onto B..Z a 13th time: they must be skipped, not folded in.
    const bytes = [240, 255, 0, 19, 20, 239, 241, 1, 2, 3, 4, 5];
    let at = 0;
    const scripted: Random = (n) => Buffer.from(Array.from({ length: n }, () => bytes[at++ % bytes.length]!));
    expect(newUserCode(scripted)).toBe('BZBZCDFG');

    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++)
      for (const letter of newUserCode(systemRandom)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    expect(counts.size).toBe(20);
    // 32000 letters, 1600 expected each; ±25% is far outside chance for a fair draw.
    for (const n of counts.values()) expect(Math.abs(n - 1600)).toBeLessThan(400);
  });

  it('S50: case, dashes and spaces are ignored; anything else is not a code', () => {
    expect(normalizeUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normalizeUserCode(' BCDF GHJK ')).toBe('BCDFGHJK');
    expect(normalizeUserCode('bc-df-gh-jk')).toBe('BCDFGHJK');
    expect(normalizeUserCode('BCDFGHJ')).toBeNull();
    expect(normalizeUserCode('BCDFGHJKL')).toBeNull();
    expect(normalizeUserCode('ABCD-EFGH')).toBeNull();
    expect(normalizeUserCode('BCDF_GHJK')).toBeNull();
    expect(normalizeUserCode('')).toBeNull();
    fc.assert(
      fc.property(codes, fc.boolean(), (code, lower) => {
        const shown = formatUserCode(code);
        expect(normalizeUserCode(lower ? shown.toLowerCase() : shown)).toBe(code);
      }),
    );
  });
});
