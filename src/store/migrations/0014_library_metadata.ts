import type { Kysely } from 'kysely';

// Issue 17: what a real collection tells beyond the file name. Versions and parts of one movie or episode
// point at the item shown for them (primary_id); NFO metadata, chapters and the generated thumbnail sit
// beside the item. Lists (genres, studios, tags, people, chapters, ids) are JSON text, so SQLite and
// PostgreSQL read them alike.
const COLUMNS: [string, 'text' | 'integer' | 'real'][] = [
  ['version_label', 'text'],
  ['primary_id', 'text'],
  ['original_title', 'text'],
  ['plot', 'text'],
  ['tagline', 'text'],
  ['rating', 'real'],
  ['certification', 'text'],
  ['premiered', 'text'],
  ['runtime_minutes', 'integer'],
  ['genres', 'text'],
  ['studios', 'text'],
  ['tags', 'text'],
  ['people', 'text'],
  ['collection', 'text'],
  ['external_ids', 'text'],
  ['nfo_stamp', 'text'],
  ['chapters', 'text'],
  ['thumb_path', 'text'],
  ['thumb_stamp', 'text'],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [name, type] of COLUMNS) await db.schema.alterTable('media_items').addColumn(name, type).execute();
  await db.schema.createIndex('media_items_primary').on('media_items').column('primary_id').execute();
  await db.schema
    .createIndex('media_items_collection')
    .on('media_items')
    .columns(['library_id', 'collection'])
    .execute();
}
