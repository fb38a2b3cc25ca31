// Rotating the password key in a breach response. Only the current key version verifies (see
// accounts/password-keys.ts), so after a rotation every stored hash is refused: safe, because everyone
// in the response must choose a new password anyway.
//
// Every running instance must see a rotation at once, or one that still holds the old version would keep
// accepting old hashes and keep writing new hashes under the old key, which the others refuse. So the
// hasher in deps asks the store for the current version before each hash and each check (one tiny read
// next to an argon2 computation of tens of milliseconds) and rebuilds itself when the version moved. No
// event is needed: the store is the truth, as it is for revocations.
import type { Db } from '../store/db.ts';
import { getMeta, setMeta } from '../store/meta.repository.ts';
import { PASSWORD_KEY_VERSION_META, passwordKeys } from '../accounts/password-keys.ts';
import { createPasswordHasher, type PasswordHasher } from '../accounts/passwords.ts';

export async function currentPasswordKeyVersion(db: Db): Promise<number> {
  return Number((await getMeta(db, PASSWORD_KEY_VERSION_META)) ?? '1');
}

/** Moves to the next key version; run it in the transaction that records why. Returns the new version. */
export async function rotatePasswordKey(db: Db): Promise<number> {
  const next = (await currentPasswordKeyVersion(db)) + 1;
  await setMeta(db, PASSWORD_KEY_VERSION_META, String(next));
  return next;
}

/** A hasher that follows the key version in the store; `initial` is the one built for `initialVersion`. */
export function versionFollowingHasher(
  db: Db,
  secretKey: Buffer,
  initial: PasswordHasher,
  initialVersion: number,
): PasswordHasher {
  let state = { version: initialVersion, hasher: initial };
  let rebuilding: Promise<PasswordHasher> | null = null;
  const current = async (): Promise<PasswordHasher> => {
    const version = await currentPasswordKeyVersion(db);
    if (version === state.version) return state.hasher;
    rebuilding ??= passwordKeys(db, secretKey)
      .then((keys) => {
        state = {
          version: keys.current,
          hasher: createPasswordHasher({ keys: keys.keys, currentKeyVersion: keys.current }),
        };
        return state.hasher;
      })
      .finally(() => {
        rebuilding = null;
      });
    return rebuilding;
  };
  return {
    hash: async (password) => (await current()).hash(password),
    verify: async (stored, password) => (await current()).verify(stored, password),
    // Only its time matters: the hasher at hand does.
    verifyDummy: (password) => state.hasher.verifyDummy(password),
  };
}
