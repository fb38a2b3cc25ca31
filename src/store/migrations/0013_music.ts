import type { Kysely } from 'kysely';

// Music done properly and the Subsonic door: the tags the scanner reads beyond names (genres, MusicBrainz ids,
// ReplayGain, compilations), each user's ratings, plays (stars are the Jellyfin door's favourites, media_favorites), playlists and play queue, and the sealed copies
// of Subsonic app passwords that token sign-in (t/s) must be able to check.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('subsonic_secrets')
    .addColumn('session_id', 'text', (c) => c.primaryKey().references('sessions.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('secret_enc', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('subsonic_secrets_user').on('subsonic_secrets').column('user_id').execute();

  await db.schema
    .createTable('music_tags')
    .addColumn('item_id', 'text', (c) => c.primaryKey().references('media_items.id').onDelete('cascade'))
    .addColumn('album_artist', 'text')
    .addColumn('compilation', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('original_year', 'integer')
    .addColumn('disc_total', 'integer')
    .addColumn('track_total', 'integer')
    .addColumn('genres', 'text')
    .addColumn('mb_track_id', 'text')
    .addColumn('mb_recording_id', 'text')
    .addColumn('mb_album_id', 'text')
    .addColumn('mb_artist_id', 'text')
    .addColumn('mb_album_artist_id', 'text')
    .addColumn('rg_track_gain', 'double precision')
    .addColumn('rg_track_peak', 'double precision')
    .addColumn('rg_album_gain', 'double precision')
    .addColumn('rg_album_peak', 'double precision')
    .addColumn('bitrate', 'integer')
    .addColumn('sample_rate', 'integer')
    .addColumn('channels', 'integer')
    .addColumn('lyrics', 'text')
    .execute();

  await db.schema
    .createTable('music_genres')
    .addColumn('item_id', 'text', (c) => c.notNull().references('media_items.id').onDelete('cascade'))
    .addColumn('genre', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('music_genres_pk', ['item_id', 'genre'])
    .execute();
  await db.schema.createIndex('music_genres_genre').on('music_genres').column('genre').execute();

  await db.schema
    .createTable('music_ratings')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('media_items.id').onDelete('cascade'))
    .addColumn('rating', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('music_ratings_pk', ['user_id', 'item_id'])
    .execute();

  await db.schema
    .createTable('music_plays')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('media_items.id').onDelete('cascade'))
    .addColumn('album_id', 'text')
    .addColumn('played_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('music_plays_user').on('music_plays').columns(['user_id', 'played_at']).execute();
  await db.schema.createIndex('music_plays_album').on('music_plays').columns(['user_id', 'album_id']).execute();

  await db.schema
    .createTable('playlists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('playlists_user').on('playlists').column('user_id').execute();

  await db.schema
    .createTable('playlist_entries')
    .addColumn('playlist_id', 'text', (c) => c.notNull().references('playlists.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull().references('media_items.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('playlist_entries_pk', ['playlist_id', 'position'])
    .execute();

  await db.schema
    .createTable('play_queues')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('item_ids', 'text', (c) => c.notNull())
    .addColumn('current_id', 'text')
    .addColumn('position_ms', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('changed_by', 'text')
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    .execute();
}
