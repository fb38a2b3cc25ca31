// The password pepper: an HMAC key derived from the secret key (never in the database) with a
// version, so that a breach response can rotate it. Only the version number lives in the store.
import { deriveKey } from '../crypto.ts';
import type { Db } from '../store/db.ts';
import { getMeta } from '../store/meta.repository.ts';

export const PASSWORD_KEY_VERSION_META = 'password_key_version';

export async function passwordKeys(db: Db, secretKey: Buffer): Promise<{ keys: Map<number, Buffer>; current: number }> {
  const current = Number((await getMeta(db, PASSWORD_KEY_VERSION_META)) ?? '1');
  // Only the current version verifies: a rotation makes every older hash useless on purpose.
  return { keys: new Map([[current, deriveKey(secretKey, `password-pepper:${current}`)]]), current };
}
