// The one-use tokens that mails carry (S30): 256 random bits, bound to one user and one purpose,
// expiring, stored only as SHA-256, spent by a conditional UPDATE so two uses cannot both win.
import { newId, newToken, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import type { Db } from '../store/db.ts';
import { findLiveMailToken, insertMailToken } from '../store/mail.repository.ts';
import type { MailTokenPurpose } from '../store/schema.ts';
import { NOT_ME_DAYS, RESET_MINUTES, VERIFY_EMAIL_HOURS } from '../mail/templates.ts';

const prefixes: Record<MailTokenPurpose, string> = { verify_email: 'hv_', password_reset: 'hr_', not_me: 'hn_' };

export const tokenLifetimeMs: Record<MailTokenPurpose, number> = {
  verify_email: VERIFY_EMAIL_HOURS * 3600_000,
  password_reset: RESET_MINUTES * 60_000,
  not_me: NOT_ME_DAYS * 24 * 3600_000,
};

export async function issueMailToken(
  deps: Pick<Deps, 'random'>,
  db: Db,
  input: { userId: string; purpose: MailTokenPurpose; email: string | null },
  now: Date,
): Promise<string> {
  const token = newToken(deps.random, prefixes[input.purpose]);
  await insertMailToken(db, {
    id: newId(deps.random),
    user_id: input.userId,
    purpose: input.purpose,
    token_hash: sha256(token),
    email: input.email,
    created_at: now.getTime(),
    expires_at: now.getTime() + tokenLifetimeMs[input.purpose],
    used_at: null,
  });
  return token;
}

/** The live token of this purpose, or null (unknown, used, expired, or made for another purpose). */
export async function findMailToken(db: Db, purpose: MailTokenPurpose, token: string, now: Date) {
  if (!token.startsWith(prefixes[purpose]) || token.length > 100) return null;
  return (await findLiveMailToken(db, purpose, sha256(token), now)) ?? null;
}
