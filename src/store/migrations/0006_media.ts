import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('libraries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_lower', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('paths', 'text', (c) => c.notNull())
    .addColumn('scan_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('scan_signature', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('library_grants')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('library_id', 'text', (c) => c.notNull().references('libraries.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('library_grants_pk', ['user_id', 'library_id'])
    .execute();
  await db.schema.createIndex('library_grants_library').on('library_grants').column('library_id').execute();

  await db.schema
    .createTable('media_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('library_id', 'text', (c) => c.notNull().references('libraries.id').onDelete('cascade'))
    .addColumn('parent_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('sort_title', 'text', (c) => c.notNull())
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('year', 'integer')
    .addColumn('index_number', 'integer')
    .addColumn('index_end', 'integer')
    .addColumn('disc_number', 'integer')
    .addColumn('part', 'integer')
    .addColumn('edition', 'text')
    .addColumn('air_date', 'text')
    .addColumn('artist', 'text')
    .addColumn('extra_type', 'text')
    .addColumn('group_key', 'text')
    .addColumn('folder', 'text')
    .addColumn('path', 'text')
    .addColumn('rel_path', 'text')
    .addColumn('size', 'bigint')
    .addColumn('mtime_ms', 'bigint')
    .addColumn('ino', 'text')
    .addColumn('fingerprint', 'text')
    .addColumn('mime', 'text')
    .addColumn('container', 'text')
    .addColumn('video_codec', 'text')
    .addColumn('audio_codec', 'text')
    .addColumn('width', 'integer')
    .addColumn('height', 'integer')
    .addColumn('pix_fmt', 'text')
    .addColumn('duration_seconds', 'double precision')
    .addColumn('browser_playable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('embedded_cover', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('poster_path', 'text')
    .addColumn('fanart_path', 'text')
    .addColumn('probe_state', 'text', (c) => c.notNull())
    .addColumn('probe_error', 'text')
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('media_items_parent').on('media_items').columns(['parent_id', 'sort_title']).execute();
  await db.schema
    .createIndex('media_items_library')
    .on('media_items')
    .columns(['library_id', 'type', 'sort_title'])
    .execute();
  // Only groups have a key; files stay out of this index.
  await db.schema
    .createIndex('media_items_group')
    .on('media_items')
    .columns(['library_id', 'group_key'])
    .unique()
    .where('group_key', 'is not', null)
    .execute();

  await db.schema
    .createTable('media_progress')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('media_items.id').onDelete('cascade'))
    .addColumn('position_seconds', 'double precision', (c) => c.notNull())
    .addColumn('watched', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('media_progress_pk', ['user_id', 'item_id'])
    .execute();
  await db.schema
    .createIndex('media_progress_recent')
    .on('media_progress')
    .columns(['user_id', 'updated_at'])
    .execute();
  await db.schema.createIndex('media_progress_item').on('media_progress').column('item_id').execute();
}
