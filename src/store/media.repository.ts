// Libraries, grants, items and watch progress. The scanner loads what it needs once per scan and
// writes in batches inside transactions; browsing reads pages with the caller's visible libraries.
import { CompiledQuery, sql, type Transaction } from 'kysely';
import type { Db } from './db.ts';
import type { Database, LibrariesTable, MediaItemsTable, MediaItemType, MediaProgressTable } from './schema.ts';

export type Executor = Db | Transaction<Database>;

export type LibraryRow = LibrariesTable;
export type MediaItemRow = MediaItemsTable;

// ---------------------------------------------------------------------------------------------------
// Libraries and grants

export async function insertLibrary(db: Executor, row: LibrariesTable): Promise<void> {
  await db.insertInto('libraries').values(row).execute();
}

export async function findLibrary(db: Executor, id: string): Promise<LibraryRow | undefined> {
  return db.selectFrom('libraries').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findLibraryByName(db: Executor, nameLower: string): Promise<LibraryRow | undefined> {
  return db.selectFrom('libraries').selectAll().where('name_lower', '=', nameLower).executeTakeFirst();
}

/** Every library, or only those in `ids` when given. */
export async function listLibraryRows(db: Executor, ids: string[] | null): Promise<LibraryRow[]> {
  let query = db.selectFrom('libraries').selectAll().orderBy('name_lower');
  if (ids !== null) query = query.where('id', 'in', ids.length > 0 ? ids : ['']);
  return query.execute();
}

export async function renameLibrary(
  db: Executor,
  id: string,
  name: string,
  nameLower: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .updateTable('libraries')
    .set({ name, name_lower: nameLower, updated_at: now })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes the library with its items, progress and grants; files on disk are never touched. */
export async function deleteLibrary(db: Db, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('media_progress')
      .where('item_id', 'in', (eb) => eb.selectFrom('media_items').select('id').where('library_id', '=', id))
      .execute();
    await trx.deleteFrom('media_items').where('library_id', '=', id).execute();
    await trx.deleteFrom('library_grants').where('library_id', '=', id).execute();
    const result = await trx.deleteFrom('libraries').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  });
}

/** Moves the library to its next scan number, unless someone else did first. */
export async function advanceScanSeq(db: Executor, id: string, from: number): Promise<void> {
  await db
    .updateTable('libraries')
    .set({ scan_seq: from + 1 })
    .where('id', '=', id)
    .where('scan_seq', '=', from)
    .execute();
}

export async function grantedLibraryIds(db: Executor, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('library_grants').select('library_id').where('user_id', '=', userId).execute();
  return rows.map((r) => r.library_id);
}

export async function isLibraryGranted(db: Executor, userId: string, libraryId: string): Promise<boolean> {
  const row = await db
    .selectFrom('library_grants')
    .select('library_id')
    .where('user_id', '=', userId)
    .where('library_id', '=', libraryId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function countExistingLibraries(db: Executor, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const row = await db
    .selectFrom('libraries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('id', 'in', ids)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function replaceGrants(db: Db, userId: string, libraryIds: string[], now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('library_grants').where('user_id', '=', userId).execute();
    if (libraryIds.length > 0) {
      await trx
        .insertInto('library_grants')
        .values(libraryIds.map((library_id) => ({ user_id: userId, library_id, created_at: now })))
        .execute();
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// The scanner's view

/** What the scanner keeps in memory for each item of a library: enough to diff, place and dress it. */
export const scanColumns = [
  'id',
  'parent_id',
  'type',
  'index_number',
  'group_key',
  'folder',
  'path',
  'rel_path',
  'size',
  'mtime_ms',
  'ino',
  'fingerprint',
  'probe_state',
  'poster_path',
  'fanart_path',
  'search_text',
  'nfo_stamp',
  'primary_id',
] as const;

export type ScanItemRow = Pick<MediaItemsTable, (typeof scanColumns)[number]>;

export interface FileIndexRow {
  id: string;
  path: string;
  size: number | null;
  mtime_ms: number | null;
  ino: string | null;
  probe_state: MediaItemsTable['probe_state'];
}

/** Every file of a library with what the diff compares: the whole load of a rescan that finds no change. */
export async function loadFileIndex(db: Executor, libraryId: string): Promise<FileIndexRow[]> {
  return (await db
    .selectFrom('media_items')
    .select(['id', 'path', 'size', 'mtime_ms', 'ino', 'probe_state'])
    .where('library_id', '=', libraryId)
    .where('path', 'is not', null)
    .execute()) as FileIndexRow[];
}

export async function setScanSignature(db: Executor, libraryId: string, signature: string | null): Promise<void> {
  await db.updateTable('libraries').set({ scan_signature: signature }).where('id', '=', libraryId).execute();
}

export async function loadScanItems(db: Executor, libraryId: string): Promise<ScanItemRow[]> {
  return db.selectFrom('media_items').select(scanColumns).where('library_id', '=', libraryId).execute();
}

// Stays below SQLite's 32,766 bound parameters and PostgreSQL's 65,535 with every column filled in.
const INSERT_CHUNK = 400;
const ID_CHUNK = 500;

/**
 * Inserts in multi-row statements. Columns that are null in every row of a chunk are left out (they
 * default to null): a names-only scan fills half the columns, and every bound value costs.
 */
export async function insertItems(db: Executor, rows: MediaItemsTable[]): Promise<void> {
  // How this dialect writes a parameter tells the shapes of one dialect from another's.
  const dialect = db.selectFrom('media_items').select('id').where('id', '=', '').compile().sql;
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    const columns = (Object.keys(chunk[0]!) as (keyof MediaItemsTable)[]).filter((column) =>
      chunk.some((row) => row[column] !== null),
    );
    const parameters = chunk.flatMap((row) => columns.map((column) => row[column]));
    // Kysely writes the statement once per shape (columns, rows) and dialect; a scan of 100,000 files
    // sends the same few shapes hundreds of times, with new values each time.
    const shape = `${columns.join(',')}:${chunk.length}`;
    const key = `${dialect}\n${shape}`;
    let compiled = insertShapes.get(key);
    if (compiled === undefined) {
      const values = chunk.map(
        (row) => Object.fromEntries(columns.map((column) => [column, row[column]])) as unknown as MediaItemsTable,
      );
      compiled = db.insertInto('media_items').values(values).compile();
      if (insertShapes.size < 256) insertShapes.set(key, compiled);
    }
    await db.executeQuery(CompiledQuery.raw(compiled.sql, parameters));
  }
}

const insertShapes = new Map<string, CompiledQuery>();

export type ItemPatch = Partial<Omit<MediaItemsTable, 'id' | 'library_id' | 'added_at'>>;

export async function updateItem(db: Executor, id: string, patch: ItemPatch): Promise<void> {
  await db.updateTable('media_items').set(patch).where('id', '=', id).execute();
}

export async function deleteItems(db: Executor, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    await db.deleteFrom('media_progress').where('item_id', 'in', chunk).execute();
    await db.deleteFrom('media_items').where('id', 'in', chunk).execute();
  }
}

/**
 * Removes groups (seasons, then shows; albums, then artists) left without children that can be shown (a
 * corrupt file does not keep its album alive); returns their ids.
 */
export async function deleteEmptyGroups(db: Executor, libraryId: string): Promise<string[]> {
  const removed: string[] = [];
  for (const types of [
    ['season', 'album'],
    ['show', 'artist'],
  ] as MediaItemType[][]) {
    const rows = await db
      .selectFrom('media_items as g')
      .select('g.id')
      .where('g.library_id', '=', libraryId)
      .where('g.type', 'in', types)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('media_items as c')
              .select('c.id')
              .whereRef('c.parent_id', '=', 'g.id')
              .where('c.probe_state', '!=', 'failed'),
          ),
        ),
      )
      .execute();
    const ids = rows.map((r) => r.id);
    await deleteItems(db, ids);
    removed.push(...ids);
  }
  return removed;
}

/** Extras whose owner went away lose their parent rather than point at nothing. */
export async function orphanChildrenOf(db: Executor, parentIds: string[]): Promise<void> {
  for (let i = 0; i < parentIds.length; i += ID_CHUNK) {
    await db
      .updateTable('media_items')
      .set({ parent_id: null })
      .where('parent_id', 'in', parentIds.slice(i, i + ID_CHUNK))
      .execute();
  }
}

// ---------------------------------------------------------------------------------------------------
// Browsing

export const viewColumns = [
  'media_items.id',
  'media_items.library_id',
  'media_items.parent_id',
  'media_items.type',
  'media_items.title',
  'media_items.year',
  'media_items.index_number',
  'media_items.index_end',
  'media_items.disc_number',
  'media_items.part',
  'media_items.edition',
  'media_items.air_date',
  'media_items.artist',
  'media_items.extra_type',
  'media_items.size',
  'media_items.mime',
  'media_items.container',
  'media_items.video_codec',
  'media_items.audio_codec',
  'media_items.width',
  'media_items.height',
  'media_items.pix_fmt',
  'media_items.duration_seconds',
  'media_items.browser_playable',
  'media_items.embedded_cover',
  'media_items.poster_path',
  'media_items.fanart_path',
  'media_items.probe_state',
  'media_items.added_at',
  // issue 17
  'media_items.version_label',
  'media_items.primary_id',
  'media_items.original_title',
  'media_items.plot',
  'media_items.tagline',
  'media_items.rating',
  'media_items.certification',
  'media_items.premiered',
  'media_items.runtime_minutes',
  'media_items.genres',
  'media_items.studios',
  'media_items.tags',
  'media_items.people',
  'media_items.collection',
  'media_items.external_ids',
  'media_items.chapters',
  'media_items.thumb_path',
] as const;

export type ItemViewRow = Pick<
  MediaItemsTable,
  (typeof viewColumns)[number] extends `media_items.${infer C}` ? C & keyof MediaItemsTable : never
> & {
  child_count: number;
  child_covers: number;
  position_seconds: number | null;
  watched: number | null;
  progress_updated_at: number | null;
};

export interface ItemFilters {
  genre?: string;
  year?: number;
  minRating?: number;
  /** Anyone credited (cast, director, writer), by exact name. */
  person?: string;
  director?: string;
  collection?: string;
}

/** JSON text of a string, as the scanner wrote it into a JSON column, for LIKE. */
function jsonLike(value: string): string {
  return escapeLike(JSON.stringify(value).toLowerCase());
}

export type ItemSort = 'title' | 'added' | 'year' | 'index' | 'rating' | 'played';

export interface ItemQuery {
  libraryIds: string[] | null;
  libraryId?: string;
  /** One item by id (its view with progress and child count). */
  only?: string;
  /** An item shown for several files, and its parts or versions. */
  members?: string;
  /** Issue 17's filters: NFO genres, year, rating, people, collection. */
  filters?: ItemFilters;
  /** undefined = any level; null = the top level only. */
  parentId?: string | null;
  types?: MediaItemType[];
  /** Words that must all appear in the title (or artist). */
  q?: string;
  watched?: boolean;
  /** Only these items (the Jellyfin door's `Ids`). */
  ids?: string[];
  /** Children and grandchildren of this item (a show's episodes, an artist's tracks). */
  ancestorId?: string;
  years?: number[];
  /** Started and not finished by the user. */
  resumable?: boolean;
  /** Marked as a favourite by the user. */
  favorite?: boolean;
  userId: string;
  sort: ItemSort;
  descending: boolean;
  limit: number;
  offset: number;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function itemsQuery(db: Executor, q: ItemQuery) {
  let query = db
    .selectFrom('media_items')
    .leftJoin('media_progress', (join) =>
      join.onRef('media_progress.item_id', '=', 'media_items.id').on('media_progress.user_id', '=', q.userId),
    )
    // A file the scanner could not read is listed in the scan's result, not offered to players.
    .where('media_items.probe_state', '!=', 'failed');
  if (q.libraryIds !== null)
    query = query.where('media_items.library_id', 'in', q.libraryIds.length > 0 ? q.libraryIds : ['']);
  if (q.libraryId !== undefined) query = query.where('media_items.library_id', '=', q.libraryId);
  if (q.only !== undefined) query = query.where('media_items.id', '=', q.only);
  // Later parts and other versions of a movie are reached through the item shown for them.
  else if (q.members === undefined) query = query.where('media_items.primary_id', 'is', null);
  if (q.members !== undefined)
    query = query.where((eb) =>
      eb.or([eb('media_items.primary_id', '=', q.members!), eb('media_items.id', '=', q.members!)]),
    );
  if (q.parentId === null) query = query.where('media_items.parent_id', 'is', null);
  else if (q.parentId !== undefined) query = query.where('media_items.parent_id', '=', q.parentId);
  if (q.types !== undefined) query = query.where('media_items.type', 'in', q.types);
  for (const word of (q.q ?? '')
    .split(/\s+/)
    .filter((w) => w !== '')
    .slice(0, 8)) {
    query = query.where(sql<boolean>`media_items.search_text like ${`%${escapeLike(word)}%`} escape '\\'`);
  }
  const f = q.filters;
  if (f !== undefined) {
    if (f.genre !== undefined)
      query = query.where(sql<boolean>`lower(media_items.genres) like ${`%${jsonLike(f.genre)}%`} escape '\\'`);
    if (f.year !== undefined) query = query.where('media_items.year', '=', f.year);
    if (f.minRating !== undefined) query = query.where('media_items.rating', '>=', f.minRating);
    if (f.person !== undefined)
      query = query.where(
        sql<boolean>`lower(media_items.people) like ${`%"name":${jsonLike(f.person)},%`} escape '\\'`,
      );
    if (f.director !== undefined) {
      query = query.where(
        sql<boolean>`lower(media_items.people) like ${`%"name":${jsonLike(f.director)},"role":null,"kind":"director"%`} escape '\\'`,
      );
    }
    if (f.collection !== undefined) query = query.where('media_items.collection', '=', f.collection);
  }
  if (q.ids !== undefined) query = query.where('media_items.id', 'in', q.ids.length > 0 ? q.ids : ['']);
  if (q.ancestorId !== undefined) {
    const ancestor = q.ancestorId;
    query = query.where((eb) =>
      eb.or([
        eb('media_items.parent_id', '=', ancestor),
        eb(
          'media_items.parent_id',
          'in',
          eb.selectFrom('media_items as a').select('a.id').where('a.parent_id', '=', ancestor),
        ),
      ]),
    );
  }
  if (q.years !== undefined) query = query.where('media_items.year', 'in', q.years.length > 0 ? q.years : [-1]);
  if (q.resumable)
    query = query.where('media_progress.watched', '=', 0).where('media_progress.position_seconds', '>', 0);
  if (q.favorite) {
    query = query.where('media_items.id', 'in', (eb) =>
      eb
        .selectFrom('media_favorites')
        .select('media_favorites.item_id')
        .where('media_favorites.user_id', '=', q.userId),
    );
  }
  if (q.watched === true) query = query.where('media_progress.watched', '=', 1);
  if (q.watched === false)
    query = query.where((eb) =>
      eb.or([eb('media_progress.watched', 'is', null), eb('media_progress.watched', '=', 0)]),
    );
  return query;
}

export async function listItemRows(db: Executor, q: ItemQuery): Promise<{ rows: ItemViewRow[]; total: number }> {
  const base = itemsQuery(db, q);
  const direction = q.descending ? 'desc' : 'asc';
  let page = base.select([
    ...viewColumns,
    'media_progress.position_seconds',
    'media_progress.watched',
    'media_progress.updated_at as progress_updated_at',
    // Counted as the listing lists them: a child that failed its probe is not one.
    (eb) =>
      eb
        .selectFrom('media_items as c')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('c.parent_id', '=', 'media_items.id')
        .where('c.probe_state', '!=', 'failed')
        .as('child_count'),
    // An album shows the cover embedded in its tracks.
    (eb) =>
      eb
        .selectFrom('media_items as c')
        .select((e) => e.fn.countAll<number>().as('n'))
        .whereRef('c.parent_id', '=', 'media_items.id')
        .where('c.embedded_cover', '=', 1)
        .where('c.probe_state', '!=', 'failed')
        .as('child_covers'),
  ]);
  if (q.sort === 'added') page = page.orderBy('media_items.added_at', direction);
  else if (q.sort === 'played') page = page.orderBy(sql`coalesce(media_progress.updated_at, 0)`, direction);
  else if (q.sort === 'year') page = page.orderBy(sql`coalesce(media_items.year, 0)`, direction);
  else if (q.sort === 'rating') page = page.orderBy(sql`coalesce(media_items.rating, -1)`, direction);
  else if (q.sort === 'index') {
    page = page
      .orderBy(sql`coalesce(media_items.disc_number, 0)`, direction)
      .orderBy(sql`coalesce(media_items.index_number, 0)`, direction)
      .orderBy('media_items.air_date', direction);
  }
  // Parts of one movie, and remakes sharing a title, keep a stable order.
  page = page
    .orderBy('media_items.sort_title', direction)
    .orderBy(sql`coalesce(media_items.year, 0)`, direction)
    .orderBy(sql`coalesce(media_items.part, 0)`, direction)
    .orderBy('media_items.id');
  const [rows, count] = await Promise.all([
    page.limit(q.limit).offset(q.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows.map(numberFields) as ItemViewRow[], total: Number(count.n) };
}

function numberFields<T extends { child_count?: unknown; child_covers?: unknown }>(row: T): T {
  return { ...row, child_count: Number(row.child_count ?? 0), child_covers: Number(row.child_covers ?? 0) };
}

export async function findItemRow(db: Executor, id: string): Promise<MediaItemsTable | undefined> {
  return db.selectFrom('media_items').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The first listed track below an item (itself, an album or an artist) that carries an embedded cover. */
export async function findEmbeddedCoverSource(
  db: Executor,
  itemId: string,
): Promise<{ path: string; library_id: string } | undefined> {
  const row = await db
    .selectFrom('media_items as t')
    .select(['t.path', 't.library_id'])
    .where('t.embedded_cover', '=', 1)
    .where('t.path', 'is not', null)
    .where('t.probe_state', '!=', 'failed')
    .where((eb) =>
      eb.or([
        eb('t.id', '=', itemId),
        eb('t.parent_id', '=', itemId),
        eb('t.parent_id', 'in', eb.selectFrom('media_items as a').select('a.id').where('a.parent_id', '=', itemId)),
      ]),
    )
    .orderBy(sql`coalesce(t.disc_number, 0)`)
    .orderBy(sql`coalesce(t.index_number, 0)`)
    .limit(1)
    .executeTakeFirst();
  return row?.path ? { path: row.path, library_id: row.library_id } : undefined;
}

/** The items that hold files below an item (itself, or its children and grandchildren). */
export async function playableIdsUnder(db: Executor, itemId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('media_items as t')
    .select('t.id')
    .where('t.path', 'is not', null)
    .where('t.probe_state', '!=', 'failed')
    .where((eb) =>
      eb.or([
        eb('t.id', '=', itemId),
        eb('t.parent_id', '=', itemId),
        eb('t.parent_id', 'in', eb.selectFrom('media_items as a').select('a.id').where('a.parent_id', '=', itemId)),
      ]),
    )
    .execute();
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------------
// Watch progress

export async function upsertProgress(db: Executor, rows: MediaProgressTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += ID_CHUNK) {
    await db
      .insertInto('media_progress')
      .values(rows.slice(i, i + ID_CHUNK))
      .onConflict((oc) =>
        oc.columns(['user_id', 'item_id']).doUpdateSet((eb) => ({
          position_seconds: eb.ref('excluded.position_seconds'),
          watched: eb.ref('excluded.watched'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

export async function findProgress(
  db: Executor,
  userId: string,
  itemId: string,
): Promise<MediaProgressTable | undefined> {
  return db
    .selectFrom('media_progress')
    .selectAll()
    .where('user_id', '=', userId)
    .where('item_id', '=', itemId)
    .executeTakeFirst();
}

/** Started and not finished, most recent first, within the libraries given (null = all). */
export async function continueWatchingRows(
  db: Executor,
  userId: string,
  libraryIds: string[] | null,
  limit: number,
): Promise<ItemViewRow[]> {
  let query = db
    .selectFrom('media_progress')
    .innerJoin('media_items', 'media_items.id', 'media_progress.item_id')
    .select([
      ...viewColumns,
      'media_progress.position_seconds',
      'media_progress.watched',
      'media_progress.updated_at as progress_updated_at',
      sql<number>`0`.as('child_count'),
      sql<number>`0`.as('child_covers'),
    ])
    .where('media_progress.user_id', '=', userId)
    .where('media_progress.watched', '=', 0)
    .where('media_progress.position_seconds', '>', 0)
    .where('media_items.probe_state', '!=', 'failed')
    .where('media_items.primary_id', 'is', null);
  if (libraryIds !== null)
    query = query.where('media_items.library_id', 'in', libraryIds.length > 0 ? libraryIds : ['']);
  const rows = await query.orderBy('media_progress.updated_at', 'desc').limit(limit).execute();
  return rows.map(numberFields) as ItemViewRow[];
}

// ---------------------------------------------------------------------------------------------------
// Home rows and collections (issue 17)

/** Collections (Kodi sets) of a library with how many items each holds. */
export async function collectionRows(db: Executor, libraryId: string): Promise<{ name: string; count: number }[]> {
  const rows = await db
    .selectFrom('media_items')
    .select(['collection', (eb) => eb.fn.countAll<number>().as('n')])
    .where('library_id', '=', libraryId)
    .where('collection', 'is not', null)
    .where('primary_id', 'is', null)
    .groupBy('collection')
    .orderBy('collection')
    .execute();
  return rows.map((r) => ({ name: r.collection as string, count: Number(r.n) }));
}

/** Each episode's season number and show (id, title), for labelling episodes outside their show. */
export async function showsOfEpisodes(
  db: Executor,
  seasonIds: string[],
): Promise<Map<string, { season: number | null; showId: string | null; showTitle: string | null }>> {
  const out = new Map<string, { season: number | null; showId: string | null; showTitle: string | null }>();
  for (let i = 0; i < seasonIds.length; i += ID_CHUNK) {
    const rows = await db
      .selectFrom('media_items as season')
      .leftJoin('media_items as show', 'show.id', 'season.parent_id')
      .select(['season.id as id', 'season.index_number as season', 'show.id as show_id', 'show.title as show_title'])
      .where('season.id', 'in', seasonIds.slice(i, i + ID_CHUNK))
      .execute();
    for (const r of rows) out.set(r.id, { season: r.season, showId: r.show_id, showTitle: r.show_title });
  }
  return out;
}

/** The shows a user watched episodes of lately (most recent first), by id. */
export async function recentShowIds(
  db: Executor,
  userId: string,
  libraryIds: string[] | null,
  limit: number,
): Promise<string[]> {
  let query = db
    .selectFrom('media_progress')
    .innerJoin('media_items as ep', 'ep.id', 'media_progress.item_id')
    .innerJoin('media_items as season', 'season.id', 'ep.parent_id')
    .select(['season.parent_id as show_id', (eb) => eb.fn.max('media_progress.updated_at').as('last')])
    .where('media_progress.user_id', '=', userId)
    .where('ep.type', '=', 'episode')
    .where((eb) => eb.or([eb('media_progress.watched', '=', 1), eb('media_progress.position_seconds', '>', 0)]))
    .groupBy('season.parent_id');
  if (libraryIds !== null) query = query.where('ep.library_id', 'in', libraryIds.length > 0 ? libraryIds : ['']);
  const rows = await query.orderBy('last', 'desc').limit(limit).execute();
  return rows.map((r) => r.show_id).filter((id): id is string => id !== null);
}

/** A show's episodes in watching order, with the user's watched flag. */
export async function episodesInOrder(
  db: Executor,
  showId: string,
  userId: string,
): Promise<{ id: string; watched: number | null; position: number | null }[]> {
  return (
    db
      .selectFrom('media_items as ep')
      .innerJoin('media_items as season', 'season.id', 'ep.parent_id')
      .leftJoin('media_progress', (join) =>
        join.onRef('media_progress.item_id', '=', 'ep.id').on('media_progress.user_id', '=', userId),
      )
      .select(['ep.id as id', 'media_progress.watched as watched', 'media_progress.position_seconds as position'])
      .where('season.parent_id', '=', showId)
      .where('ep.type', '=', 'episode')
      .where('ep.probe_state', '!=', 'failed')
      // Specials last: they are not "next" after the finale of a season.
      .orderBy(sql`case when coalesce(season.index_number, 0) = 0 then 1 else 0 end`)
      .orderBy(sql`coalesce(season.index_number, 0)`)
      .orderBy(sql`coalesce(ep.index_number, 0)`)
      .orderBy('ep.air_date')
      .orderBy('ep.sort_title')
      .execute()
  );
}
