// Music queries for the Subsonic door and the web app's playlists: artists, albums and songs of the music
// libraries a viewer may see, with the viewer's stars, ratings and plays; playlists and the play queue.
import { sql, type ExpressionBuilder } from 'kysely';
import type { Executor } from './media.repository.ts';
import type { MusicTagsTable, PlaylistsTable } from './schema.ts';

export interface MusicScope {
  userId: string;
  /** The music libraries in view (never empty: a viewer with none gets [''], which matches nothing). */
  libraryIds: string[];
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const ids = (list: string[]) => (list.length > 0 ? list : ['']);

// ---- songs ------------------------------------------------------------------------------------------------

function songsBase(db: Executor, scope: MusicScope) {
  return db
    .selectFrom('media_items as t')
    .leftJoin('media_items as al', 'al.id', 't.parent_id')
    .leftJoin('media_items as ar', 'ar.id', 'al.parent_id')
    .leftJoin('music_tags as mt', 'mt.item_id', 't.id')
    .leftJoin('media_favorites as st', (j) => j.onRef('st.item_id', '=', 't.id').on('st.user_id', '=', scope.userId))
    .leftJoin('music_ratings as rt', (j) => j.onRef('rt.item_id', '=', 't.id').on('rt.user_id', '=', scope.userId))
    .select([
      't.id',
      't.parent_id',
      't.library_id',
      't.title',
      't.year',
      't.index_number',
      't.disc_number',
      't.artist',
      't.size',
      't.mime',
      't.container',
      't.audio_codec',
      't.duration_seconds',
      't.rel_path',
      't.added_at',
      't.embedded_cover',
      't.poster_path',
      'al.title as album',
      'al.poster_path as album_poster',
      'ar.id as artist_id',
      'ar.title as album_artist_name',
      'mt.album_artist',
      'mt.compilation',
      'mt.original_year',
      'mt.genres',
      'mt.mb_track_id',
      'mt.mb_recording_id',
      'mt.mb_album_id',
      'mt.mb_artist_id',
      'mt.mb_album_artist_id',
      'mt.rg_track_gain',
      'mt.rg_track_peak',
      'mt.rg_album_gain',
      'mt.rg_album_peak',
      'mt.bitrate',
      'mt.sample_rate',
      'mt.channels',
      'st.created_at as starred_at',
      'rt.rating',
    ])
    .where('t.type', '=', 'track')
    .where('t.probe_state', '!=', 'failed')
    .where('t.library_id', 'in', ids(scope.libraryIds));
}

export type SongRow = Awaited<ReturnType<ReturnType<typeof songsBase>['execute']>>[number];

const songOrder = <Q extends { orderBy: (...a: any[]) => Q }>(q: Q): Q =>
  q
    .orderBy(sql`coalesce(t.disc_number, 0)`)
    .orderBy(sql`coalesce(t.index_number, 0)`)
    .orderBy('t.sort_title' as any);

export async function findSong(db: Executor, scope: MusicScope, id: string): Promise<SongRow | undefined> {
  return songsBase(db, scope).where('t.id', '=', id).executeTakeFirst();
}

export async function songsOfAlbum(db: Executor, scope: MusicScope, albumId: string): Promise<SongRow[]> {
  return songOrder(songsBase(db, scope).where('t.parent_id', '=', albumId)).execute();
}

export async function songsByIds(db: Executor, scope: MusicScope, idList: string[]): Promise<SongRow[]> {
  if (idList.length === 0) return [];
  const rows = await songsBase(db, scope).where('t.id', 'in', idList).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return idList.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}

export async function randomSongs(
  db: Executor,
  scope: MusicScope,
  q: { size: number; genre?: string; fromYear?: number; toYear?: number },
): Promise<SongRow[]> {
  let query = songsBase(db, scope);
  if (q.genre !== undefined)
    query = query.where('t.id', 'in', db.selectFrom('music_genres').select('item_id').where('genre', '=', q.genre));
  if (q.fromYear !== undefined) query = query.where('t.year', '>=', q.fromYear);
  if (q.toYear !== undefined) query = query.where('t.year', '<=', q.toYear);
  return query.orderBy(sql`random()`).limit(q.size).execute();
}

export async function songsByGenre(
  db: Executor,
  scope: MusicScope,
  genre: string,
  count: number,
  offset: number,
): Promise<SongRow[]> {
  return songsBase(db, scope)
    .where('t.id', 'in', db.selectFrom('music_genres').select('item_id').where('genre', '=', genre))
    .orderBy('t.sort_title')
    .limit(count)
    .offset(offset)
    .execute();
}

export async function searchSongs(
  db: Executor,
  scope: MusicScope,
  words: string[],
  count: number,
  offset: number,
): Promise<SongRow[]> {
  let query = songsBase(db, scope);
  for (const w of words) query = query.where(sql<boolean>`t.search_text like ${`%${escapeLike(w)}%`} escape '\\'`);
  return query.orderBy('t.sort_title').orderBy('t.id').limit(count).offset(offset).execute();
}

export async function starredSongs(db: Executor, scope: MusicScope): Promise<SongRow[]> {
  return songsBase(db, scope).where('st.created_at', 'is not', null).orderBy('st.created_at', 'desc').execute();
}

/** Plays of these songs by the user: how many, and the last. */
export async function playCounts(
  db: Executor,
  userId: string,
  idList: string[],
): Promise<Map<string, { count: number; last: number }>> {
  const out = new Map<string, { count: number; last: number }>();
  if (idList.length === 0) return out;
  const rows = await db
    .selectFrom('music_plays')
    .select(['item_id', sql<number>`count(*)`.as('n'), sql<number>`max(played_at)`.as('last')])
    .where('user_id', '=', userId)
    .where('item_id', 'in', idList)
    .groupBy('item_id')
    .execute();
  for (const r of rows) out.set(r.item_id, { count: Number(r.n), last: Number(r.last) });
  return out;
}

// ---- albums -------------------------------------------------------------------------------------------------

function albumsBase(db: Executor, scope: MusicScope) {
  return db
    .selectFrom('media_items as al')
    .leftJoin('media_items as ar', 'ar.id', 'al.parent_id')
    .leftJoin('media_favorites as st', (j) => j.onRef('st.item_id', '=', 'al.id').on('st.user_id', '=', scope.userId))
    .leftJoin('music_ratings as rt', (j) => j.onRef('rt.item_id', '=', 'al.id').on('rt.user_id', '=', scope.userId))
    .select((eb) => [
      'al.id',
      'al.title',
      'al.year',
      'al.added_at',
      'al.poster_path',
      'al.library_id',
      'ar.id as artist_id',
      'ar.title as artist',
      'st.created_at as starred_at',
      'rt.rating',
      eb
        .selectFrom('media_items as x')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('x.parent_id', '=', 'al.id')
        .where('x.type', '=', 'track')
        .as('song_count'),
      eb
        .selectFrom('media_items as x')
        .select(sql<number>`sum(x.duration_seconds)`.as('d'))
        .whereRef('x.parent_id', '=', 'al.id')
        .where('x.type', '=', 'track')
        .as('duration'),
      eb
        .selectFrom('media_items as x')
        .innerJoin('music_tags as m', 'm.item_id', 'x.id')
        .select('m.genres')
        .whereRef('x.parent_id', '=', 'al.id')
        .where('m.genres', 'is not', null)
        .limit(1)
        .as('genres'),
      eb
        .selectFrom('media_items as x')
        .innerJoin('music_tags as m', 'm.item_id', 'x.id')
        .select(sql<string>`max(m.mb_album_id)`.as('mb'))
        .whereRef('x.parent_id', '=', 'al.id')
        .as('mb_album_id'),
      eb
        .selectFrom('media_items as x')
        .innerJoin('music_tags as m', 'm.item_id', 'x.id')
        .select(sql<number>`max(m.compilation)`.as('c'))
        .whereRef('x.parent_id', '=', 'al.id')
        .as('compilation'),
      eb
        .selectFrom('media_items as x')
        .innerJoin('music_tags as m', 'm.item_id', 'x.id')
        .select(sql<number>`min(m.original_year)`.as('oy'))
        .whereRef('x.parent_id', '=', 'al.id')
        .as('original_year'),
    ])
    .where('al.type', '=', 'album')
    .where('al.library_id', 'in', ids(scope.libraryIds));
}

export type AlbumRow = Awaited<ReturnType<ReturnType<typeof albumsBase>['execute']>>[number];

export async function findAlbum(db: Executor, scope: MusicScope, id: string): Promise<AlbumRow | undefined> {
  return albumsBase(db, scope).where('al.id', '=', id).executeTakeFirst();
}

export async function albumsOfArtist(db: Executor, scope: MusicScope, artistId: string): Promise<AlbumRow[]> {
  return albumsBase(db, scope)
    .where('al.parent_id', '=', artistId)
    .orderBy(sql`coalesce(al.year, 0)`)
    .orderBy('al.sort_title')
    .execute();
}

export type AlbumListType =
  | 'random'
  | 'newest'
  | 'frequent'
  | 'recent'
  | 'alphabeticalByName'
  | 'alphabeticalByArtist'
  | 'byYear'
  | 'byGenre'
  | 'starred'
  | 'highest';

export async function albumList(
  db: Executor,
  scope: MusicScope,
  q: { type: AlbumListType; size: number; offset: number; fromYear?: number; toYear?: number; genre?: string },
): Promise<AlbumRow[]> {
  let query = albumsBase(db, scope);
  const plays = (eb: ExpressionBuilder<any, any>, what: 'count' | 'last') =>
    eb
      .selectFrom('music_plays as p')
      .select(what === 'count' ? sql<number>`count(*)`.as('v') : sql<number>`max(p.played_at)`.as('v'))
      .whereRef('p.album_id', '=', 'al.id')
      .where('p.user_id', '=', scope.userId);
  switch (q.type) {
    case 'random':
      query = query.orderBy(sql`random()`);
      break;
    case 'newest':
      query = query.orderBy('al.added_at', 'desc').orderBy('al.id');
      break;
    case 'frequent':
      query = query
        .where((eb) => eb.exists(plays(eb, 'count')))
        .orderBy((eb) => plays(eb, 'count'), 'desc')
        .orderBy('al.id');
      query = query.where((eb) => eb(plays(eb, 'count'), '>', 0));
      break;
    case 'recent':
      query = query
        .where((eb) => eb(plays(eb, 'last'), 'is not', null))
        .orderBy((eb) => plays(eb, 'last'), 'desc')
        .orderBy('al.id');
      break;
    case 'alphabeticalByName':
      query = query.orderBy('al.sort_title').orderBy('al.id');
      break;
    case 'alphabeticalByArtist':
      query = query.orderBy('ar.sort_title').orderBy('al.sort_title').orderBy('al.id');
      break;
    case 'byYear': {
      const from = q.fromYear ?? 0;
      const to = q.toYear ?? 9999;
      query = query.where('al.year', '>=', Math.min(from, to)).where('al.year', '<=', Math.max(from, to));
      query = query
        .orderBy('al.year', from > to ? 'desc' : 'asc')
        .orderBy('al.sort_title')
        .orderBy('al.id');
      break;
    }
    case 'byGenre':
      query = query
        .where(
          'al.id',
          'in',
          db
            .selectFrom('music_genres as g')
            .innerJoin('media_items as x', 'x.id', 'g.item_id')
            .select('x.parent_id')
            .where('g.genre', '=', q.genre ?? ''),
        )
        .orderBy('al.sort_title')
        .orderBy('al.id');
      break;
    case 'starred':
      query = query.where('st.created_at', 'is not', null).orderBy('st.created_at', 'desc').orderBy('al.id');
      break;
    case 'highest':
      query = query.where('rt.rating', 'is not', null).orderBy('rt.rating', 'desc').orderBy('al.id');
      break;
  }
  return query.limit(q.size).offset(q.offset).execute();
}

export async function searchAlbums(
  db: Executor,
  scope: MusicScope,
  words: string[],
  count: number,
  offset: number,
): Promise<AlbumRow[]> {
  let query = albumsBase(db, scope);
  for (const w of words) query = query.where(sql<boolean>`al.search_text like ${`%${escapeLike(w)}%`} escape '\\'`);
  return query.orderBy('al.sort_title').orderBy('al.id').limit(count).offset(offset).execute();
}

export async function starredAlbums(db: Executor, scope: MusicScope): Promise<AlbumRow[]> {
  return albumsBase(db, scope).where('st.created_at', 'is not', null).orderBy('st.created_at', 'desc').execute();
}

// ---- artists ------------------------------------------------------------------------------------------------

function artistsBase(db: Executor, scope: MusicScope) {
  return db
    .selectFrom('media_items as ar')
    .leftJoin('media_favorites as st', (j) => j.onRef('st.item_id', '=', 'ar.id').on('st.user_id', '=', scope.userId))
    .select((eb) => [
      'ar.id',
      'ar.title',
      'ar.sort_title',
      'ar.poster_path',
      'ar.library_id',
      'st.created_at as starred_at',
      eb
        .selectFrom('media_items as x')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('x.parent_id', '=', 'ar.id')
        .where('x.type', '=', 'album')
        .as('album_count'),
    ])
    .where('ar.type', '=', 'artist')
    .where('ar.library_id', 'in', ids(scope.libraryIds));
}

export type ArtistRow = Awaited<ReturnType<ReturnType<typeof artistsBase>['execute']>>[number];

export async function listArtists(db: Executor, scope: MusicScope): Promise<ArtistRow[]> {
  return artistsBase(db, scope).orderBy('ar.sort_title').orderBy('ar.id').execute();
}

export async function findArtist(db: Executor, scope: MusicScope, id: string): Promise<ArtistRow | undefined> {
  return artistsBase(db, scope).where('ar.id', '=', id).executeTakeFirst();
}

export async function searchArtists(
  db: Executor,
  scope: MusicScope,
  words: string[],
  count: number,
  offset: number,
): Promise<ArtistRow[]> {
  let query = artistsBase(db, scope);
  for (const w of words) query = query.where(sql<boolean>`ar.search_text like ${`%${escapeLike(w)}%`} escape '\\'`);
  return query.orderBy('ar.sort_title').orderBy('ar.id').limit(count).offset(offset).execute();
}

export async function starredArtists(db: Executor, scope: MusicScope): Promise<ArtistRow[]> {
  return artistsBase(db, scope).where('st.created_at', 'is not', null).orderBy('st.created_at', 'desc').execute();
}

/** Any music item (artist, album, track) in view, for ids that may name any of them. */
export async function findMusicItem(db: Executor, scope: MusicScope, id: string) {
  return db
    .selectFrom('media_items')
    .select(['id', 'type', 'parent_id', 'library_id', 'path', 'poster_path', 'embedded_cover', 'mime', 'rel_path'])
    .where('id', '=', id)
    .where('type', 'in', ['artist', 'album', 'track'])
    .where('library_id', 'in', ids(scope.libraryIds))
    .executeTakeFirst();
}

export async function genreCounts(
  db: Executor,
  scope: MusicScope,
): Promise<{ genre: string; songs: number; albums: number }[]> {
  const rows = await db
    .selectFrom('music_genres as g')
    .innerJoin('media_items as t', 't.id', 'g.item_id')
    .select(['g.genre', sql<number>`count(*)`.as('songs'), sql<number>`count(distinct t.parent_id)`.as('albums')])
    .where('t.library_id', 'in', ids(scope.libraryIds))
    .groupBy('g.genre')
    .orderBy('g.genre')
    .execute();
  return rows.map((r) => ({ genre: r.genre, songs: Number(r.songs), albums: Number(r.albums) }));
}

// ---- the user's marks ---------------------------------------------------------------------------------------

export async function setStars(
  db: Executor,
  userId: string,
  itemIds: string[],
  starred: boolean,
  now: number,
): Promise<void> {
  if (itemIds.length === 0) return;
  if (!starred) {
    await db.deleteFrom('media_favorites').where('user_id', '=', userId).where('item_id', 'in', itemIds).execute();
    return;
  }
  await db
    .insertInto('media_favorites')
    .values(itemIds.map((item_id) => ({ user_id: userId, item_id, created_at: now })))
    .onConflict((oc) => oc.columns(['user_id', 'item_id']).doNothing())
    .execute();
}

export async function setRating(db: Executor, userId: string, itemId: string, rating: number): Promise<void> {
  if (rating === 0) {
    await db.deleteFrom('music_ratings').where('user_id', '=', userId).where('item_id', '=', itemId).execute();
    return;
  }
  await db
    .insertInto('music_ratings')
    .values({ user_id: userId, item_id: itemId, rating })
    .onConflict((oc) => oc.columns(['user_id', 'item_id']).doUpdateSet({ rating }))
    .execute();
}

export async function insertPlay(
  db: Executor,
  row: { id: string; user_id: string; item_id: string; album_id: string | null; played_at: number },
): Promise<void> {
  await db.insertInto('music_plays').values(row).execute();
}

// ---- playlists ----------------------------------------------------------------------------------------------

export type PlaylistRow = PlaylistsTable & { owner: string; song_count: number; duration: number | null };

function playlistsBase(db: Executor) {
  return db
    .selectFrom('playlists as pl')
    .innerJoin('users as u', 'u.id', 'pl.user_id')
    .select((eb) => [
      'pl.id',
      'pl.user_id',
      'pl.name',
      'pl.comment',
      'pl.public',
      'pl.created_at',
      'pl.updated_at',
      'u.username as owner',
      eb
        .selectFrom('playlist_entries as e')
        .select(sql<number>`count(*)`.as('n'))
        .whereRef('e.playlist_id', '=', 'pl.id')
        .as('song_count'),
      eb
        .selectFrom('playlist_entries as e')
        .innerJoin('media_items as x', 'x.id', 'e.item_id')
        .select(sql<number>`sum(x.duration_seconds)`.as('d'))
        .whereRef('e.playlist_id', '=', 'pl.id')
        .as('duration'),
    ]);
}

/** The user's own playlists and the public ones of others. */
export async function listPlaylists(db: Executor, userId: string): Promise<PlaylistRow[]> {
  const rows = await playlistsBase(db)
    .where((eb) => eb.or([eb('pl.user_id', '=', userId), eb('pl.public', '=', 1)]))
    .orderBy('pl.name')
    .orderBy('pl.id')
    .execute();
  return rows.map((r) => ({
    ...r,
    song_count: Number(r.song_count ?? 0),
    duration: r.duration === null ? null : Number(r.duration),
  }));
}

export async function findPlaylist(db: Executor, id: string): Promise<PlaylistRow | undefined> {
  const r = await playlistsBase(db).where('pl.id', '=', id).executeTakeFirst();
  return (
    r && { ...r, song_count: Number(r.song_count ?? 0), duration: r.duration === null ? null : Number(r.duration) }
  );
}

export async function playlistItemIds(db: Executor, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('playlist_entries')
    .select('item_id')
    .where('playlist_id', '=', id)
    .orderBy('position')
    .execute();
  return rows.map((r) => r.item_id);
}

export async function insertPlaylist(db: Executor, row: PlaylistsTable): Promise<void> {
  await db.insertInto('playlists').values(row).execute();
}

export async function updatePlaylistRow(
  db: Executor,
  id: string,
  patch: Partial<Pick<PlaylistsTable, 'name' | 'comment' | 'public' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('playlists').set(patch).where('id', '=', id).execute();
}

export async function replacePlaylistEntries(db: Executor, id: string, itemIds: string[]): Promise<void> {
  await db.deleteFrom('playlist_entries').where('playlist_id', '=', id).execute();
  for (let i = 0; i < itemIds.length; i += 500) {
    const chunk = itemIds.slice(i, i + 500);
    await db
      .insertInto('playlist_entries')
      .values(chunk.map((item_id, j) => ({ playlist_id: id, position: i + j, item_id })))
      .execute();
  }
}

export async function deletePlaylistRow(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('playlists').where('id', '=', id).execute();
}

// ---- play queue ---------------------------------------------------------------------------------------------

export async function findPlayQueue(db: Executor, userId: string) {
  return db.selectFrom('play_queues').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export async function savePlayQueueRow(
  db: Executor,
  row: {
    user_id: string;
    item_ids: string;
    current_id: string | null;
    position_ms: number;
    changed_by: string | null;
    changed_at: number;
  },
): Promise<void> {
  await db
    .insertInto('play_queues')
    .values(row)
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        item_ids: row.item_ids,
        current_id: row.current_id,
        position_ms: row.position_ms,
        changed_by: row.changed_by,
        changed_at: row.changed_at,
      }),
    )
    .execute();
}

// ---- tags written by the scanner ----------------------------------------------------------------------------

export async function upsertMusicTags(db: Executor, row: MusicTagsTable, genres: string[]): Promise<void> {
  const { item_id, ...rest } = row;
  await db
    .insertInto('music_tags')
    .values(row)
    .onConflict((oc) => oc.column('item_id').doUpdateSet(rest))
    .execute();
  await db.deleteFrom('music_genres').where('item_id', '=', item_id).execute();
  if (genres.length > 0)
    await db
      .insertInto('music_genres')
      .values(genres.map((genre) => ({ item_id, genre })))
      .execute();
}

export async function findLyrics(db: Executor, itemId: string): Promise<string | null> {
  const row = await db.selectFrom('music_tags').select('lyrics').where('item_id', '=', itemId).executeTakeFirst();
  return row?.lyrics ?? null;
}
