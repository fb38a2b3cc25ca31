// Subsonic token sign-in sends md5(password + salt): the server must hold the password itself to check it.
// Hearth holds only app passwords of scope `subsonic` that way, sealed (AES-GCM) with a key derived from the
// secret key, which never enters the database (S95): a copy of the store still opens nothing.
import { createHash } from 'node:crypto';
import { decrypt, deriveKey, encrypt, safeEqual } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { insertSubsonicSecret } from '../store/subsonic.repository.ts';

const PURPOSE = 'subsonic-app-password';

const keyOf = (deps: Pick<Deps, 'config'>) => deriveKey(deps.config.secretKey, PURPOSE);

/** Called when an app password of scope `subsonic` is made; the seal is bound to its session id. */
export async function sealSubsonicPassword(
  deps: Pick<Deps, 'db' | 'random' | 'config'>,
  userId: string,
  sessionId: string,
  password: string,
  now: Date,
): Promise<void> {
  await insertSubsonicSecret(deps.db, {
    session_id: sessionId,
    user_id: userId,
    secret_enc: encrypt(keyOf(deps), password, `subsonic:${sessionId}`, deps.random),
    created_at: now.getTime(),
  });
}

export function md5Hex(value: string): string {
  return createHash('md5').update(value, 'utf8').digest('hex');
}

/**
 * The app password among the sealed ones whose md5(password + salt) is the token, or null. Every seal is
 * opened and compared whatever the earlier ones gave, so the time taken says nothing about which matched.
 */
export function matchToken(
  deps: Pick<Deps, 'config'>,
  secrets: { session_id: string; secret_enc: string }[],
  token: string,
  salt: string,
): string | null {
  const wanted = token.toLowerCase();
  let found: string | null = null;
  for (const s of secrets) {
    const password = decrypt(keyOf(deps), s.secret_enc, `subsonic:${s.session_id}`);
    if (password !== null && safeEqual(md5Hex(password + salt), wanted) && found === null) found = password;
  }
  return found;
}

/** The work of one seal opened and compared, for a name that has none (S92: unknown names cost the same). */
export function dummyTokenCheck(deps: Pick<Deps, 'config'>, salt: string, token: string): void {
  const box =
    DUMMY_BOX.get(deps.config.secretKey) ?? encrypt(keyOf(deps), 'hap_dummy', 'subsonic:dummy', () => Buffer.alloc(12));
  DUMMY_BOX.set(deps.config.secretKey, box);
  const opened = decrypt(keyOf(deps), box, 'subsonic:dummy') ?? '';
  safeEqual(md5Hex(opened + salt), token.toLowerCase());
}

const DUMMY_BOX = new WeakMap<Buffer, string>();
