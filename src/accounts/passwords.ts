// Password storage (S02, S04, S06, S10): argon2id over HMAC-SHA-256(pepper, NFKC(password)). The pepper lives
// with the secret key, never in the database, so a stolen copy of the users table cannot be cracked on its own;
// the key version in front of the hash lets the pepper rotate while old hashes are upgraded at sign-in.
import { parseOptions, type Options as Argon2Options, type ParsedHashOptions } from '@node-rs/argon2';
import { hmacSha256 } from '../crypto.ts';
import { hashPool } from './hash-pool.ts';

export interface Argon2Params {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Passes over that memory. */
  timeCost: number;
  parallelism: number;
}

/** OWASP's floor for argon2id; Hearth never hashes below it. */
export const defaultArgon2Params: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

export interface PasswordHasherOptions {
  /** Pepper keys by version; old versions stay here only until no stored hash uses them. */
  keys: Map<number, Buffer> | Record<number, Buffer>;
  currentKeyVersion: number;
  params?: Argon2Params;
}

export interface PasswordVerification {
  ok: boolean;
  /** True only when `ok`: the hash is older than the current key or parameters; store `hash(password)` again. */
  needsRehash: boolean;
}

export interface PasswordHasher {
  /** `k<keyVersion>$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>` */
  hash(password: string): Promise<string>;
  /** Never throws for a malformed hash or a key version that was rotated away: both are `ok: false`. */
  verify(stored: string, password: string): Promise<PasswordVerification>;
  /** One real verification against a throwaway hash, so an unknown account costs what a known one does. */
  verifyDummy(password: string): Promise<void>;
}

const ARGON2ID = 2;
const ARGON2_VERSION_0x13 = 1;
const OUTPUT_BYTES = 32;
const MIN_KEY_BYTES = 32;
const STORED_FORMAT = /^k([1-9][0-9]{0,8})(\$argon2id\$.+)$/;
const DUMMY_INPUT = 'hearth:dummy-password';

/** The single form of a password everywhere it is checked or hashed: NFKC, nothing trimmed or case-folded. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * What argon2 is given: HMAC-SHA-256(key, NFKC(password)) in base64. @node-rs/argon2 2.x refuses password bytes
 * that are not UTF-8, so the MAC goes in as text; base64 keeps all of its 256 bits.
 */
export function pepperPassword(key: Buffer, password: string): string {
  return hmacSha256(key, normalizePassword(password)).toString('base64');
}

export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const keys = readKeys(options.keys);
  const currentKeyVersion = options.currentKeyVersion;
  const currentKey = keys.get(currentKeyVersion);
  if (!currentKey) throw new RangeError(`password hasher: no key with the current version ${currentKeyVersion}`);
  const params = checkParams(options.params ?? defaultArgon2Params);
  const argon2Options: Argon2Options = {
    algorithm: ARGON2ID,
    version: ARGON2_VERSION_0x13,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: OUTPUT_BYTES,
  };

  let dummyHash: Promise<string> | undefined;
  const getDummyHash = (): Promise<string> => {
    if (!dummyHash) {
      dummyHash = hashPool.hash(pepperPassword(currentKey, DUMMY_INPUT), argon2Options);
      dummyHash.catch(() => {
        dummyHash = undefined;
      });
    }
    return dummyHash;
  };

  const verifyDummy = async (password: string): Promise<void> => {
    const dummy = await getDummyHash();
    await hashPool.verify(dummy, pepperPassword(currentKey, password));
  };

  return {
    async hash(password) {
      return `k${currentKeyVersion}${await hashPool.hash(pepperPassword(currentKey, password), argon2Options)}`;
    },

    async verify(stored, password) {
      const parsed = parseStored(stored);
      const key = parsed && keys.get(parsed.keyVersion);
      if (!parsed || !key) {
        // The answer for a hash we cannot check takes as long as any other.
        await verifyDummy(password);
        return { ok: false, needsRehash: false };
      }
      let ok: boolean;
      try {
        ok = await hashPool.verify(parsed.phc, pepperPassword(key, password));
      } catch {
        return { ok: false, needsRehash: false };
      }
      const stale =
        parsed.keyVersion !== currentKeyVersion ||
        parsed.params.memoryCost < params.memoryCost ||
        parsed.params.timeCost < params.timeCost ||
        parsed.params.version !== ARGON2_VERSION_0x13 ||
        parsed.params.outputLen < OUTPUT_BYTES;
      return { ok, needsRehash: ok && stale };
    },

    verifyDummy,
  };
}

function readKeys(input: PasswordHasherOptions['keys']): Map<number, Buffer> {
  const entries: [number, Buffer][] =
    input instanceof Map ? [...input.entries()] : Object.entries(input).map(([version, key]) => [Number(version), key]);
  const keys = new Map<number, Buffer>();
  for (const [version, key] of entries) {
    if (!Number.isInteger(version) || version < 1 || version > 999_999_999) {
      throw new RangeError(`password hasher: key version ${version} is not an integer from 1 to 999999999`);
    }
    if (!Buffer.isBuffer(key) || key.length < MIN_KEY_BYTES) {
      throw new RangeError(`password hasher: key ${version} must be a Buffer of at least ${MIN_KEY_BYTES} bytes`);
    }
    keys.set(version, key);
  }
  return keys;
}

function checkParams(params: Argon2Params): Readonly<Argon2Params> {
  const floor = defaultArgon2Params;
  for (const name of ['memoryCost', 'timeCost', 'parallelism'] as const) {
    const value = params[name];
    if (!Number.isInteger(value) || value < floor[name]) {
      throw new RangeError(`password hasher: ${name} ${value} is below the minimum of ${floor[name]}`);
    }
  }
  if (params.parallelism > 255) throw new RangeError(`password hasher: parallelism ${params.parallelism} is above 255`);
  return Object.freeze({ ...params });
}

interface StoredHash {
  keyVersion: number;
  phc: string;
  params: ParsedHashOptions;
}

function parseStored(stored: string): StoredHash | null {
  if (typeof stored !== 'string') return null;
  const match = STORED_FORMAT.exec(stored);
  if (!match) return null;
  const phc = match[2];
  try {
    const params = parseOptions(phc);
    if (params.algorithm !== ARGON2ID) return null;
    return { keyVersion: Number(match[1]), phc, params };
  } catch {
    return null;
  }
}
