// First owner (S13): no default account. While the server has no users it holds a one-time setup
// token (printed at start, stored only as a hash); the first claim with it creates the owner.
import { newToken, safeEqual, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { deleteMeta, deleteMetaIfValue, getMeta, setMeta } from '../store/meta.repository.ts';
import { countUsers } from '../store/users.repository.ts';
import { recordSecurityEvent } from './security-log.ts';
import type { RequestContext } from './caller.ts';
import type { UserView } from '../wire/common.ts';
import { insertNewUser, prepareNewUser, toUserView } from './users.ts';
import { findUserById } from '../store/users.repository.ts';

const SETUP_META = 'setup_token_hash';

/** Returns the token to print when the server still needs its owner, else null. */
export async function prepareSetupToken(deps: Pick<Deps, 'db' | 'config' | 'random'>): Promise<string | null> {
  if ((await countUsers(deps.db)) > 0) {
    await deleteMeta(deps.db, SETUP_META);
    return null;
  }
  const token = deps.config.setupToken ?? newToken(deps.random, 'setup_', 24);
  await setMeta(deps.db, SETUP_META, sha256(token));
  return token;
}

export async function isSetupDone(deps: Pick<Deps, 'db'>): Promise<boolean> {
  return (await countUsers(deps.db)) > 0;
}

export async function claimSetup(
  deps: Pick<Deps, 'db' | 'passwords' | 'random'>,
  input: { setupToken: string; username: string; email: string; password: string },
  ctx: RequestContext,
  now: Date,
): Promise<UserView> {
  if ((await countUsers(deps.db)) > 0) throw new AppError('setup_done');
  const expected = await getMeta(deps.db, SETUP_META);
  if (!expected || !safeEqual(sha256(input.setupToken), expected)) throw new AppError('invalid_setup_token');
  const prepared = await prepareNewUser(deps, { ...input, role: 'owner' });
  const id = await deps.db.transaction().execute(async (trx) => {
    // Two claims at once: only one removes the token (a read of it would let both through under READ COMMITTED,
    // while a second DELETE waits for the first's row lock and then finds nothing).
    if (!(await deleteMetaIfValue(trx, SETUP_META, expected)) || (await countUsers(trx)) > 0)
      throw new AppError('setup_done');
    const userId = await insertNewUser(deps, trx, prepared, 'owner', false, now);
    await recordSecurityEvent(deps, { userId, type: 'setup' }, ctx, now, trx);
    return userId;
  });
  return toUserView((await findUserById(deps.db, id))!);
}
