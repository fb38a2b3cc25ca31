// TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA-1: what every standard authenticator app speaks.
// Small and security-critical, so it is Hearth's own and checked against the RFC vectors and oathtool.
import { createHmac } from 'node:crypto';
import { safeEqual, type Random } from '../crypto.ts';
import { base32Encode } from './base32.ts';

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Seeds of 160 bits, the HMAC-SHA-1 output size that RFC 4226 recommends (S40). */
export const TOTP_SECRET_BYTES = 20;

/** 8 digits exists only so the RFC test vectors can be checked; Hearth issues and accepts 6. */
export type TotpDigits = 6 | 8;
export interface TotpOptions {
  digits?: TotpDigits;
  period?: number;
}

export function newTotpSecret(random: Random): Buffer {
  return random(TOTP_SECRET_BYTES);
}

/** RFC 4226 HOTP value for `counter` (a non-negative safe integer). */
export function hotpCode(secret: Buffer, counter: number, digits: TotpDigits = TOTP_DIGITS): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** The RFC 6238 time step (counter) that `time` falls in, counted from the Unix epoch. */
export function totpStep(time: Date, period: number = TOTP_PERIOD_SECONDS): number {
  return Math.floor(time.getTime() / 1000 / period);
}

export function totpCode(secret: Buffer, time: Date, opts: TotpOptions = {}): string {
  return hotpCode(secret, totpStep(time, opts.period), opts.digits);
}

/**
 * Checks a 6-digit code against the step of `now` and one step either side (clock drift, S40).
 * Returns the matched step, which the caller stores as the new `lastUsedStep`; returns null when the code
 * matches no step in the window or only steps at or before `lastUsedStep` (a replay, or an older code
 * after a newer one).
 */
export function verifyTotp(secret: Buffer, code: string, now: Date, lastUsedStep: number | null): number | null {
  const candidate = code.trim();
  if (!/^[0-9]{6}$/.test(candidate)) return null;
  const current = totpStep(now);
  let matched: number | null = null;
  // Every step in the window is compared, with no early exit, so timing does not tell which one matched.
  for (const step of [current - 1, current, current + 1]) {
    if (step < 0) continue;
    // The latest matching step is kept so a code that happens to match two steps cannot be replayed.
    if (safeEqual(hotpCode(secret, step), candidate)) matched = step;
  }
  if (matched === null) return null;
  if (lastUsedStep !== null && matched <= lastUsedStep) return null;
  return matched;
}

/**
 * The Key URI that authenticator apps import (Google Authenticator's `otpauth://` format): the issuer is
 * both the label prefix and a parameter, since apps differ in which one they read.
 */
export function totpUri(params: { secret: Buffer; accountName: string; issuer: string }): string {
  const label = `${encodeURIComponent(params.issuer)}:${encodeURIComponent(params.accountName)}`;
  const query = [
    `secret=${base32Encode(params.secret)}`,
    `issuer=${encodeURIComponent(params.issuer)}`,
    'algorithm=SHA1',
    `digits=${TOTP_DIGITS}`,
    `period=${TOTP_PERIOD_SECONDS}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}
