import { compiledOnce, type Db, type Parameter } from './db.ts';

// Settings are read on hot paths (the password key version at every password check, the two-step policy at
// every request) and change rarely: on SQLite the answer is reused until anything is committed.
const metaValue = compiledOnce((db, p: Parameter<'key'>) => db.selectFrom('meta').select('value').where('key', '=', p('key')), {
  reuseWhileUnchanged: true,
});

export async function getMeta(db: Db, key: string): Promise<string | undefined> {
  const rows = await metaValue(db, { key });
  return rows[0]?.value;
}

export async function setMeta(db: Db, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export async function deleteMeta(db: Db, key: string): Promise<void> {
  await db.deleteFrom('meta').where('key', '=', key).execute();
}
