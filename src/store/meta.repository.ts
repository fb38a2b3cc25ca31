import { compiledOnce, TableWrites, type Db, type Parameter } from './db.ts';

// Settings are read on hot paths (the password key version at every password check, the two-step policy at
// every request) and change rarely. Every write to meta is in this file: on SQLite the answer is reused until
// this process writes meta or another process commits anything.
const metaWrites = new TableWrites();

const metaValue = compiledOnce(
  (db, p: Parameter<'key'>) => db.selectFrom('meta').select('value').where('key', '=', p('key')),
  {
    reuseUntilWritten: metaWrites,
  },
);

export async function getMeta(db: Db, key: string): Promise<string | undefined> {
  const rows = await metaValue(db, { key });
  return rows[0]?.value;
}

export async function setMeta(db: Db, key: string, value: string): Promise<void> {
  await metaWrites.write(() =>
    db
      .insertInto('meta')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute(),
  );
}

export async function deleteMeta(db: Db, key: string): Promise<void> {
  await metaWrites.write(() => db.deleteFrom('meta').where('key', '=', key).execute());
}

/**
 * Deletes `key` only while it still holds `value`; true when this call removed it. Under concurrent callers
 * exactly one gets true: on PostgreSQL a second DELETE waits for the first's row lock and then finds nothing.
 */
export async function deleteMetaIfValue(db: Db, key: string, value: string): Promise<boolean> {
  const result = await metaWrites.write(() =>
    db.deleteFrom('meta').where('key', '=', key).where('value', '=', value).executeTakeFirst(),
  );
  return Number(result.numDeletedRows) === 1;
}
