// Usernames and email addresses: how they are checked and compared.
import { AppError } from '../errors.ts';

const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{2,31}$/;
// Deliberately simple: one @, a dot in the domain, no spaces. The verification mail proves the rest.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export function normalizeLogin(login: string): string {
  return login.normalize('NFKC').trim().toLowerCase();
}

export function checkUsername(username: string): string {
  const value = username.normalize('NFKC').trim();
  if (!USERNAME.test(value)) {
    throw new AppError(
      'invalid_body',
      'A username has 3 to 32 characters: letters, digits, dots, dashes or underscores, starting with a letter or digit.',
      { field: 'username' },
    );
  }
  return value;
}

export function checkEmail(email: string): string {
  const value = email.normalize('NFKC').trim();
  if (value.length > 254 || !EMAIL.test(value)) {
    throw new AppError('invalid_body', 'This is not a valid email address.', { field: 'email' });
  }
  return value;
}
