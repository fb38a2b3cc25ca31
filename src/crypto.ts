// The one place for randomness and hashing. Time and randomness are passed down as arguments
// (see Deps), so tests can replace them; these are the real implementations.
import { createCipheriv, createDecipheriv, createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Random = (bytes: number) => Buffer;
export type Clock = () => Date;

const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomPoolOffset = 0;

/**
 * The operating system's CSPRNG. Small requests (ids, tokens: several per request) are cut from a pool filled
 * 4 KiB at a time, each byte handed out once, copied out and wiped, so one call into OpenSSL serves a hundred.
 */
export const systemRandom: Random = (bytes) => {
  if (bytes > RANDOM_POOL_BYTES / 16) return randomBytes(bytes);
  if (randomPoolOffset + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomPoolOffset = 0;
  }
  // Memory of its own (Buffer.alloc is never pooled): nobody holding one answer can reach another.
  const out = Buffer.alloc(bytes);
  randomPool.copy(out, 0, randomPoolOffset, randomPoolOffset + bytes);
  randomPool.fill(0, randomPoolOffset, randomPoolOffset + bytes);
  randomPoolOffset += bytes;
  return out;
};
export const systemClock: Clock = () => new Date();

/** An opaque token: `prefix` + base64url of `bytes` random bytes (default 32 = 256 bits). */
export function newToken(random: Random, prefix = '', bytes = 32): string {
  return prefix + random(bytes).toString('base64url');
}

/** A short random identifier for rows (128 bits, URL-safe). */
export function newId(random: Random): string {
  return random(16).toString('base64url');
}

/** Hex SHA-256 in one call (a third of createHash's cost: every authenticated request hashes its token). */
export function sha256(value: string | Buffer): string {
  return hash('sha256', value, 'hex');
}

export function hmacSha256(key: Buffer, value: string | Buffer): Buffer {
  return createHmac('sha256', key).update(value).digest();
}

/** Constant-time comparison of two strings (false when lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}

const derivedKeys = new WeakMap<Buffer, Map<string, Buffer>>();

/**
 * Derives a purpose-bound subkey from the master secret key, so one key never serves two uses. Derived once per
 * key and purpose (sign-ins and stream links ask on every request); callers must not change the buffer they get.
 */
export function deriveKey(master: Buffer, purpose: string): Buffer {
  let keys = derivedKeys.get(master);
  if (!keys) derivedKeys.set(master, (keys = new Map()));
  let key = keys.get(purpose);
  if (!key) keys.set(purpose, (key = hmacSha256(master, `hearth:${purpose}`)));
  return key;
}

/**
 * HMAC-SHA-256 in hex under a subkey of the master key for this purpose: for values too small to be stored as a
 * plain hash, which a copy of the store alone could search (a short code, a name that may be a password). Without
 * the master key, which never enters the store, the digest gives nothing.
 */
export function keyedDigest(master: Buffer, purpose: string, value: string): string {
  return hmacSha256(deriveKey(master, purpose), value).toString('hex');
}

/** AES-256-GCM; output is `v1.<iv>.<tag>.<ciphertext>` in base64url. `aad` binds it to its owner. */
export function encrypt(key: Buffer, plaintext: string, aad: string, random: Random): string {
  const iv = random(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(
    '.',
  );
}

/** Returns null when the box was not made with this key and aad (tampered, wrong key, wrong owner). */
export function decrypt(key: Buffer, box: string, aad: string): string | null {
  const [version, iv, tag, body] = box.split('.');
  if (version !== 'v1' || !iv || !tag || body === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
