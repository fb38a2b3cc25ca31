import type { Kysely } from 'kysely';

// Favourites, as the Jellyfin apps mark them (a heart on an item): per user, per item.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('media_favorites')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('media_items.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('media_favorites_pk', ['user_id', 'item_id'])
    .execute();
  await db.schema.createIndex('media_favorites_item').on('media_favorites').column('item_id').execute();
}
