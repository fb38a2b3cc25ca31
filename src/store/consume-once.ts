// The single-use row (an invite, a mail token, a recovery code, a sign-in waiting for its last step): spent by one
// UPDATE whose condition says "not spent yet", so of two concurrent uses exactly one gets true.
import type { Kysely } from 'kysely';
import type { Db } from './db.ts';
import type { Database } from './schema.ts';

/** The tables whose rows are spent once: `used_at` is null until then. */
export type SingleUseTable = 'invites' | 'mail_tokens' | 'recovery_codes' | 'pending_sign_ins';

type Columns<T extends SingleUseTable> = Partial<Database[T]>;

export interface ConsumeOptions<T extends SingleUseTable> {
  /** Also refused once `expires_at` is reached. */
  unexpired?: boolean;
  /** Also refused once `revoked_at` is set (invites). */
  unrevoked?: boolean;
  /** More columns written with `used_at` (an invite's `used_by`). */
  set?: Columns<T>;
}

/** Marks the row matching `match` used, if it still was not; true for the one caller that did. */
export async function consumeOnce<T extends SingleUseTable>(
  db: Db,
  table: T,
  match: Columns<T>,
  now: Date,
  options: ConsumeOptions<T> = {},
): Promise<boolean> {
  // The table is a parameter: Kysely's per-table types are left for plain column names checked by Columns<T>.
  const loose = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  let query = loose.updateTable(table as string).set({ used_at: now.getTime(), ...options.set });
  for (const [column, value] of Object.entries(match)) query = query.where(column, '=', value);
  query = query.where('used_at', 'is', null);
  if (options.unrevoked) query = query.where('revoked_at', 'is', null);
  if (options.unexpired) query = query.where('expires_at', '>', now.getTime());
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
