import { describe, expect, it } from 'vitest';
import { blocklistSources, commonPasswords, isCommonPassword } from '../../src/accounts/blocklist.ts';
import { checkPassword, passwordLength, passwordStrength } from '../../src/accounts/password-policy.ts';
import { errorCodes } from '../../src/errors.ts';

const nobody = {};

describe('password length (S01)', () => {
  it('S01: 8 emoji pass and 7 fail, counted in code points rather than UTF-16 units', () => {
    const emoji = '🔥🌲🦊🎸🌙🧭🍄🐙';
    expect(emoji.length).toBe(16);
    expect(checkPassword(emoji, nobody)).toEqual({ ok: true });
    const seven = [...emoji].slice(0, 7).join('');
    expect(checkPassword(seven, nobody)).toEqual({
      ok: false,
      code: 'password_too_short',
      message: errorCodes.password_too_short[1],
    });
  });

  it('S01: 256 code points pass and 257 are refused as too long', () => {
    const base = 'quiet rivers carry old songs to the sea ';
    const exactly256 = base.repeat(7).slice(0, 256);
    expect(passwordLength(exactly256)).toBe(256);
    expect(checkPassword(exactly256, nobody)).toEqual({ ok: true });
    expect(checkPassword(exactly256 + 'x', nobody)).toMatchObject({ ok: false, code: 'password_too_long' });
    const emoji256 = '🦊'.repeat(128) + '🌲'.repeat(128);
    expect(emoji256.length).toBe(512);
    expect(checkPassword(emoji256, nobody)).toEqual({ ok: true });
  });

  it('S01: the length is counted after NFKC', () => {
    // U+FB03 (the "ffi" ligature) becomes three letters under NFKC.
    const threeLigatures = '\uFB03\uFB03\uFB03';
    expect(passwordLength(threeLigatures)).toBe(9);
    expect(checkPassword(threeLigatures, nobody)).toEqual({ ok: true });
    const ligatures86 = '\uFB03'.repeat(86);
    expect([...ligatures86].length).toBe(86);
    expect(checkPassword(ligatures86, nobody)).toMatchObject({ ok: false, code: 'password_too_long' });
    // Full-width digits are one code point each before and after NFKC; a 7-character one stays too short.
    expect(checkPassword('１２３４５６７', nobody)).toMatchObject({ ok: false, code: 'password_too_short' });
  });

  it('S01: no composition rules: an all-lowercase passphrase passes', () => {
    expect(checkPassword('purple elephants dance quietly', nobody)).toEqual({ ok: true });
    const alice = { username: 'alice', email: 'alice@example.com' };
    expect(checkPassword('kettlesongwindowmoss', alice)).toEqual({ ok: true });
  });
});

describe('common and personal passwords (S03)', () => {
  it('S03: the list of refused passwords holds at least 100,000 entries', () => {
    expect(commonPasswords().size).toBeGreaterThanOrEqual(100_000);
    expect(blocklistSources()['passwords-common'].slice(0, 2)).toEqual(['123456', 'password']);
  });

  it('S03: common passwords are refused with the reason shown', () => {
    for (const password of ['password1', 'iloveyou', 'qwertyuiop', 'baseball', 'trustno1', 'sunshine']) {
      expect(checkPassword(password, nobody), password).toEqual({
        ok: false,
        code: 'password_too_common',
        message: errorCodes.password_too_common[1],
      });
    }
  });

  it('S03: the common-password lookup ignores case and compares the NFKC form', () => {
    expect(checkPassword('PassWord1', nobody)).toMatchObject({ ok: false, code: 'password_too_common' });
    expect(checkPassword('ＩＬＯＶＥＹＯＵ', nobody)).toMatchObject({ ok: false, code: 'password_too_common' });
    expect(isCommonPassword('ILoveYou')).toBe(true);
    expect(isCommonPassword('kettlesongwindowmoss')).toBe(false);
  });

  it('S03: a password containing the username is refused, in any case', () => {
    const context = { username: 'Marigold', email: 'm.g@example.com' };
    expect(checkPassword('marigold', context)).toMatchObject({ ok: false, code: 'password_contains_personal' });
    expect(checkPassword('my name is MARIGOLD!', context)).toEqual({
      ok: false,
      code: 'password_contains_personal',
      message: errorCodes.password_contains_personal[1],
    });
  });

  it('S03: a password containing the email or its local part is refused', () => {
    const context = { username: 'zed', email: 'Quentin.Blake@Example.org' };
    expect(checkPassword('quentin.blake@example.org', context)).toMatchObject({ code: 'password_contains_personal' });
    expect(checkPassword('hello quentin.blake 2024', context)).toMatchObject({ code: 'password_contains_personal' });
    expect(checkPassword('zed is my favourite letter', context)).toMatchObject({ code: 'password_contains_personal' });
    expect(checkPassword('quentin likes tea', context)).toEqual({ ok: true });
  });

  it('S03: a local part shorter than 3 characters is not searched for', () => {
    expect(checkPassword('jo walks the dog at night', { email: 'jo@example.com' })).toEqual({ ok: true });
    expect(checkPassword('abc walks the dog at night', { email: 'abc@example.com' })).toMatchObject({
      code: 'password_contains_personal',
    });
  });

  it('S03: a password containing the word "Hearth" is refused', () => {
    for (const password of ['hearth12345', 'MyHearthServer!', 'HEARTH and home', 'ｈｅａｒｔｈ-server']) {
      const result = checkPassword(password, nobody);
      expect(result, password).toMatchObject({ ok: false, code: 'password_contains_personal' });
    }
  });
});

describe('password strength feedback', () => {
  it('scores a common password 0 with a warning, a long passphrase high', () => {
    const weak = passwordStrength('password1', []);
    expect(weak.score).toBe(0);
    expect(weak.warning).toEqual(expect.any(String));
    expect(weak.suggestions.length).toBeGreaterThan(0);
    const strong = passwordStrength('violet ferry under copper rain', []);
    expect(strong.score).toBeGreaterThanOrEqual(3);
    expect(strong.warning).toBeNull();
  });

  it('counts the user inputs and the word "hearth" as guessable', () => {
    const password = 'zanzibarquokka';
    expect(passwordStrength(password, ['zanzibarquokka']).score).toBeLessThan(passwordStrength(password, []).score);
    expect(passwordStrength('hearthhearth', []).score).toBeLessThanOrEqual(1);
  });

  it('answers for the longest allowed password', () => {
    const result = passwordStrength('p4$$w0rd'.repeat(32), []);
    expect([0, 1, 2, 3, 4]).toContain(result.score);
  });
});
