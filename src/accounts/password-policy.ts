// What a new password must be (S01, S03): long enough, not too long, not a known password, not about its owner.
// No composition rules: they push people to `Password1!` without making guessing any harder (NIST 63B 5.1.1.2).
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { errorCodes, type ErrorCode } from '../errors.ts';
import { blocklistKey, isCommonPassword } from './blocklist.ts';
import { wordLists } from './word-lists.ts';
import { normalizePassword } from './passwords.ts';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
/** Personal values shorter than this would refuse innocent passphrases that merely contain two letters of a name. */
const PERSONAL_MIN_LENGTH = 3;
const FORBIDDEN_WORDS = ['hearth'];

export interface PasswordContext {
  username?: string;
  email?: string;
}

export type PasswordCheck = { ok: true } | { ok: false; code: ErrorCode; message: string };

export interface PasswordStrength {
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
}

/** Code points, not UTF-16 units: an emoji is one character to the person typing it. */
export function passwordLength(password: string): number {
  let count = 0;
  for (const _ of normalizePassword(password)) count++;
  return count;
}

export function checkPassword(password: string, context: PasswordContext): PasswordCheck {
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_LENGTH) return refuse('password_too_short');
  if (length > PASSWORD_MAX_LENGTH) return refuse('password_too_long');
  // The personal reason first: it is the more specific one when a name is also a common word.
  const key = blocklistKey(password);
  if (personalValues(context).some((value) => key.includes(value))) return refuse('password_contains_personal');
  if (isCommonPassword(password)) return refuse('password_too_common');
  return { ok: true };
}

function refuse(code: ErrorCode): PasswordCheck {
  return { ok: false, code, message: errorCodes[code][1] };
}

function personalValues(context: PasswordContext): string[] {
  const values = [...FORBIDDEN_WORDS];
  if (context.username) values.push(context.username);
  if (context.email) {
    values.push(context.email);
    const at = context.email.lastIndexOf('@');
    if (at > 0) values.push(context.email.slice(0, at));
  }
  return values.map((value) => blocklistKey(value.trim())).filter((value) => [...value].length >= PERSONAL_MIN_LENGTH);
}

let zxcvbn: ZxcvbnFactory | undefined;

// zxcvbn's l33t and repeat matchers grow steeply with length: with its defaults (256 characters, 100
// substitutions) one crafted password holds the event loop for seconds. 64 characters is far past "strong"
// for any real password, and 4 substitutions still catch `p4ssw0rd` and `P@ssw0rd!`.
function strengthEstimator(): ZxcvbnFactory {
  const { common, english } = wordLists();
  zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    maxLength: 64,
    l33tMaxSubstitutions: 4,
  });
  return zxcvbn;
}

/** Feedback for people choosing a password; advice only, `checkPassword` decides. */
export function passwordStrength(password: string, userInputs: string[]): PasswordStrength {
  const result = strengthEstimator().check(normalizePassword(password), [...userInputs, ...FORBIDDEN_WORDS]);
  return { score: result.score, warning: result.feedback.warning, suggestions: [...result.feedback.suggestions] };
}
