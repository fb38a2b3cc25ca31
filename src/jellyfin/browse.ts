// Browsing through the Jellyfin door: its item queries (ParentId, IncludeItemTypes, Recursive, SortBy,
// Filters, paging) translated into Hearth's one item listing, so the same libraries, grants (S70) and
// progress answer here as in the web app.
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { ITEM_TYPES, requireVisibleItem, setProgress } from '../media/browse.ts';
import type { Caller } from '../accounts/caller.ts';
import { canSeeLibrary, visibleLibraryIds } from '../media/libraries.ts';
import {
  favoriteItemIds,
  findAncestorRows,
  recentlyWatchedShowIds,
  setFavorite,
  type AncestorRow,
} from '../store/jellyfin.repository.ts';
import {
  findLibrary,
  listItemRows,
  listLibraryRows,
  type ItemQuery,
  type ItemSort,
  type ItemViewRow,
  type LibraryRow,
} from '../store/media.repository.ts';
import type { MediaItemType } from '../store/schema.ts';
import {
  TICKS_PER_SECOND,
  baseItem,
  hearthTypes,
  libraryItem,
  queryResult,
  serverId,
  userData,
  type DtoContext,
  type Json,
} from './dto.ts';
import { fromJellyfinId } from './ids.ts';
import type { JellyfinQuery } from './query.ts';

/** Without a Limit an app gets at most this many items per answer; TotalRecordCount tells it to page. */
export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 2000;
const TOP_LEVEL: MediaItemType[] = ['movie', 'show', 'artist', 'video'];
const PLAYABLE: MediaItemType[] = ['movie', 'episode', 'video', 'extra', 'track'];
const LATEST_BY_KIND: Record<string, MediaItemType[]> = {
  movies: ['movie'],
  shows: ['show'],
  music: ['album'],
  videos: ['video'],
};

type Rows = ItemViewRow[];
export type Viewer = Pick<Caller, 'userId' | 'role'>;

/** The DTOs of a page of rows: their parents' names and the viewer's favourites in two or three queries. */
export async function toDtos(
  deps: Deps,
  viewer: Viewer,
  rows: Rows,
  options: { mediaSources?: boolean } = {},
): Promise<Json[]> {
  const ctx = await dtoContext(deps, viewer, rows);
  return rows.map((row) => baseItem(ctx, row, options));
}

async function dtoContext(deps: Deps, viewer: Viewer, rows: Rows): Promise<DtoContext> {
  const ancestors = new Map<string, AncestorRow>();
  const parentIds = [...new Set(rows.map((r) => r.parent_id).filter((id): id is string => id !== null))];
  for (const row of await findAncestorRows(deps.db, parentIds)) ancestors.set(row.id, row);
  const grandIds = [
    ...new Set(
      [...ancestors.values()].map((r) => r.parent_id).filter((id): id is string => id !== null && !ancestors.has(id)),
    ),
  ];
  for (const row of await findAncestorRows(deps.db, grandIds)) ancestors.set(row.id, row);
  const favorites = await favoriteItemIds(
    deps.db,
    viewer.userId,
    rows.map((r) => r.id),
  );
  return { serverId: serverId(deps), ancestors, favorites };
}

function sortOf(q: JellyfinQuery, fallback: ItemSort): { sort: ItemSort; descending: boolean } {
  const by = (q.list('SortBy')?.[0] ?? '').toLowerCase();
  const descending = (q.list('SortOrder')?.[0] ?? '').toLowerCase() === 'descending';
  const sorts: Record<string, ItemSort> = {
    sortname: 'title',
    name: 'title',
    seriessortname: 'title',
    albumartist: 'title',
    album: 'title',
    datecreated: 'added',
    productionyear: 'year',
    premieredate: 'year',
    dateplayed: 'played',
    indexnumber: 'index',
    parentindexnumber: 'index',
  };
  return { sort: sorts[by] ?? fallback, descending };
}

function page(q: JellyfinQuery): { offset: number; limit: number } {
  return { offset: q.int('StartIndex', 0, 10_000_000) ?? 0, limit: q.int('Limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT };
}

const EMPTY = (offset: number) => queryResult([], 0, offset);

/** A library the viewer may see, or undefined when the id is not a library (it may be an item). */
async function visibleLibrary(deps: Deps, viewer: Viewer, id: string): Promise<LibraryRow | undefined> {
  const library = await findLibrary(deps.db, id);
  if (!library) return undefined;
  if (!(await canSeeLibrary(deps, viewer, library.id))) throw new AppError('not_found');
  return library;
}

/** GET /Items (and /Users/{id}/Items): the query the apps build every screen from. */
export async function listItems(deps: Deps, viewer: Viewer, q: JellyfinQuery): Promise<Json> {
  const { offset, limit } = page(q);
  const query: ItemQuery = {
    libraryIds: await visibleLibraryIds(deps, viewer),
    userId: viewer.userId,
    sort: 'title',
    descending: false,
    limit,
    offset,
  };
  const recursive = q.bool('Recursive') ?? false;
  const included = q.list('IncludeItemTypes');
  let types = included ? hearthTypes(included) : undefined;
  if (types?.length === 0) return EMPTY(offset);
  const excluded = q.list('ExcludeItemTypes');
  if (excluded) {
    const drop = new Set(hearthTypes(excluded));
    types = (types ?? [...ITEM_TYPES]).filter((t) => !drop.has(t));
  }
  const mediaTypes = q.list('MediaTypes')?.map((m) => m.toLowerCase());
  if (mediaTypes) {
    const allowed = new Set<MediaItemType>([
      ...(mediaTypes.includes('video') ? (['movie', 'episode', 'video', 'extra'] as const) : []),
      ...(mediaTypes.includes('audio') ? (['track'] as const) : []),
    ]);
    types = (types ?? [...ITEM_TYPES]).filter((t) => allowed.has(t));
  }
  const search = q.string('SearchTerm') ?? q.string('NameStartsWith');
  const ids = q.ids('Ids');
  if (q.list('Ids') && ids!.length === 0) return EMPTY(offset);
  if (ids) query.ids = ids;
  // Hearth keeps no genres, studios, people or tags: a filter on them matches nothing.
  if (
    q.list('Genres') ||
    q.list('GenreIds') ||
    q.list('Studios') ||
    q.list('StudioIds') ||
    q.list('Tags') ||
    q.list('PersonIds') ||
    q.string('Person')
  )
    return EMPTY(offset);
  const years = q.list('Years')?.map(Number).filter(Number.isInteger);
  if (years) query.years = years;
  if (search !== undefined) {
    query.q = foldQuery(search);
    if (query.q === '') return EMPTY(offset);
  }
  const filters = new Set((q.list('Filters') ?? []).map((f) => f.toLowerCase()));
  if (filters.has('isplayed') || q.bool('IsPlayed') === true) query.watched = true;
  if (filters.has('isunplayed') || q.bool('IsPlayed') === false) query.watched = false;
  if (filters.has('isresumable')) query.resumable = true;
  if (filters.has('isfavorite') || filters.has('isfavoriteorlikes') || q.bool('IsFavorite') === true)
    query.favorite = true;
  if (filters.has('isfolder')) types = (types ?? [...ITEM_TYPES]).filter((t) => !PLAYABLE.includes(t));
  if (filters.has('isnotfolder')) types = (types ?? [...ITEM_TYPES]).filter((t) => PLAYABLE.includes(t));
  if (types?.length === 0) return EMPTY(offset);

  const artist = q.ids('AlbumArtistIds')?.[0] ?? q.ids('ArtistIds')?.[0];
  const rawParent = q.string('ParentId');
  const parentId = artist ?? (rawParent === undefined ? undefined : fromJellyfinId(rawParent));
  if (parentId === null) throw new AppError('not_found');
  let fallbackSort: ItemSort = 'title';
  if (parentId !== undefined) {
    const library = await visibleLibrary(deps, viewer, parentId);
    if (library) {
      query.libraryId = library.id;
      if (!recursive && types === undefined && search === undefined && !ids && !query.favorite && !query.resumable) {
        query.parentId = null;
        types = TOP_LEVEL;
      }
    } else {
      const { item } = await requireVisibleItem(deps, viewer, parentId);
      if (recursive || artist !== undefined) query.ancestorId = item.id;
      else query.parentId = item.id;
      if (item.type !== 'artist') fallbackSort = 'index';
    }
  } else if (
    !recursive &&
    types === undefined &&
    search === undefined &&
    !ids &&
    !query.favorite &&
    !query.resumable &&
    query.watched === undefined
  ) {
    // The root of the user's library: the libraries themselves.
    return views(deps, viewer);
  }
  if (types) query.types = types;
  Object.assign(query, sortOf(q, fallbackSort));
  const { rows, total } = await listItemRows(deps.db, query);
  const fields = new Set((q.list('Fields') ?? []).map((f) => f.toLowerCase()));
  return queryResult(await toDtos(deps, viewer, rows, { mediaSources: fields.has('mediasources') }), total, offset);
}

function foldQuery(q: string): string {
  return q
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** UserViews: the libraries this user was granted (all of them for an admin). */
export async function views(deps: Deps, viewer: Viewer): Promise<Json> {
  const rows = await listLibraryRows(deps.db, await visibleLibraryIds(deps, viewer));
  const ctx = { serverId: serverId(deps) };
  return queryResult(
    rows.map((row) => libraryItem(ctx, row)),
    rows.length,
    0,
  );
}

async function rowOf(deps: Deps, viewer: Viewer, itemId: string): Promise<ItemViewRow> {
  const { item } = await requireVisibleItem(deps, viewer, itemId);
  const { rows } = await listItemRows(deps.db, {
    libraryIds: null,
    only: item.id,
    userId: viewer.userId,
    sort: 'title',
    descending: false,
    limit: 1,
    offset: 0,
  });
  if (rows.length === 0) throw new AppError('not_found');
  return rows[0]!;
}

function requireId(value: string): string {
  const id = fromJellyfinId(value);
  if (id === null) throw new AppError('not_found');
  return id;
}

/** Items/{id}: an item with its media sources, or a library the viewer may see. */
export async function getItem(deps: Deps, viewer: Viewer, jellyfinId: string): Promise<Json> {
  const id = requireId(jellyfinId);
  const library = await visibleLibrary(deps, viewer, id);
  if (library) return libraryItem({ serverId: serverId(deps) }, library);
  const [dto] = await toDtos(deps, viewer, [await rowOf(deps, viewer, id)], { mediaSources: true });
  return dto!;
}

/** The row of a playable item, for playback and streaming. */
export async function playableRow(deps: Deps, viewer: Viewer, jellyfinId: string): Promise<ItemViewRow> {
  const row = await rowOf(deps, viewer, requireId(jellyfinId));
  if (!PLAYABLE.includes(row.type)) throw new AppError('not_found');
  return row;
}

export async function resumeItems(deps: Deps, viewer: Viewer, q: JellyfinQuery): Promise<Json> {
  const { offset, limit } = page(q);
  const included = q.list('IncludeItemTypes');
  let types = included ? hearthTypes(included) : (['movie', 'episode', 'video', 'extra'] as MediaItemType[]);
  if ((q.list('MediaTypes') ?? []).some((m) => m.toLowerCase() === 'audio')) types = ['track'];
  if (types.length === 0) return EMPTY(offset);
  const query: ItemQuery = {
    libraryIds: await visibleLibraryIds(deps, viewer),
    userId: viewer.userId,
    types,
    resumable: true,
    sort: 'played',
    descending: true,
    limit,
    offset,
  };
  const parent = q.id('ParentId');
  if (parent === null) throw new AppError('not_found');
  if (parent !== undefined) {
    const library = await visibleLibrary(deps, viewer, parent);
    if (!library) throw new AppError('not_found');
    query.libraryId = library.id;
  }
  const { rows, total } = await listItemRows(deps.db, query);
  return queryResult(await toDtos(deps, viewer, rows), total, offset);
}

/** Items/Latest: what was added last, as an array (not a page). */
export async function latestItems(deps: Deps, viewer: Viewer, q: JellyfinQuery): Promise<Json[]> {
  const limit = q.int('Limit', 1, 100) ?? 16;
  const parent = q.id('ParentId');
  if (parent === null) throw new AppError('not_found');
  const libraries =
    parent !== undefined
      ? [await visibleLibrary(deps, viewer, parent)]
      : await listLibraryRows(deps.db, await visibleLibraryIds(deps, viewer));
  if (libraries[0] === undefined) throw new AppError('not_found');
  const included = q.list('IncludeItemTypes');
  const rows: Rows = [];
  for (const library of libraries as LibraryRow[]) {
    const types = included ? hearthTypes(included) : (LATEST_BY_KIND[library.kind] ?? ['video']);
    if (types.length === 0) continue;
    const query: ItemQuery = {
      libraryIds: null,
      libraryId: library.id,
      userId: viewer.userId,
      types,
      sort: 'added',
      descending: true,
      limit,
      offset: 0,
    };
    if (q.bool('IsPlayed') === false) query.watched = false;
    rows.push(...(await listItemRows(deps.db, query)).rows);
  }
  rows.sort((a, b) => b.added_at - a.added_at);
  return toDtos(deps, viewer, rows.slice(0, limit));
}

export async function seasons(deps: Deps, viewer: Viewer, showJellyfinId: string): Promise<Json> {
  const { item } = await requireVisibleItem(deps, viewer, requireId(showJellyfinId));
  if (item.type !== 'show') throw new AppError('not_found');
  const { rows, total } = await listItemRows(deps.db, {
    libraryIds: null,
    parentId: item.id,
    types: ['season'],
    userId: viewer.userId,
    sort: 'index',
    descending: false,
    limit: MAX_LIMIT,
    offset: 0,
  });
  return queryResult(await toDtos(deps, viewer, rows), total, 0);
}

/** Every episode of a show in watching order (season, then episode). */
async function showEpisodes(deps: Deps, viewer: Viewer, showId: string): Promise<Rows> {
  const seasonRows = (
    await listItemRows(deps.db, {
      libraryIds: null,
      parentId: showId,
      types: ['season'],
      userId: viewer.userId,
      sort: 'index',
      descending: false,
      limit: MAX_LIMIT,
      offset: 0,
    })
  ).rows;
  const order = new Map(seasonRows.map((s, i) => [s.id, i]));
  const { rows } = await listItemRows(deps.db, {
    libraryIds: null,
    ancestorId: showId,
    types: ['episode'],
    userId: viewer.userId,
    sort: 'index',
    descending: false,
    limit: 10_000,
    offset: 0,
  });
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => (order.get(a.row.parent_id ?? '') ?? 1e9) - (order.get(b.row.parent_id ?? '') ?? 1e9) || a.i - b.i)
    .map((x) => x.row);
}

export async function episodes(deps: Deps, viewer: Viewer, showJellyfinId: string, q: JellyfinQuery): Promise<Json> {
  const { item } = await requireVisibleItem(deps, viewer, requireId(showJellyfinId));
  if (item.type !== 'show') throw new AppError('not_found');
  let rows = await showEpisodes(deps, viewer, item.id);
  const seasonId = q.id('SeasonId');
  if (seasonId === null) throw new AppError('not_found');
  if (seasonId !== undefined) rows = rows.filter((r) => r.parent_id === seasonId);
  const seasonNumber = q.int('Season', 0, 10_000);
  const dtos = await toDtos(deps, viewer, rows, {
    mediaSources: (q.list('Fields') ?? []).some((f) => f.toLowerCase() === 'mediasources'),
  });
  const filtered = seasonNumber === undefined ? dtos : dtos.filter((d) => d.ParentIndexNumber === seasonNumber);
  const { offset, limit } = page(q);
  return queryResult(filtered.slice(offset, offset + limit), filtered.length, offset);
}

/** Shows/NextUp: for each show being watched, the first unwatched episode after the last watched one. */
export async function nextUp(deps: Deps, viewer: Viewer, q: JellyfinQuery): Promise<Json> {
  const { offset, limit } = page(q);
  const series = q.id('SeriesId');
  if (series === null) throw new AppError('not_found');
  let showIds: string[];
  if (series !== undefined) {
    const { item } = await requireVisibleItem(deps, viewer, series);
    showIds = item.type === 'show' ? [item.id] : [];
  } else {
    showIds = await recentlyWatchedShowIds(
      deps.db,
      viewer.userId,
      await visibleLibraryIds(deps, viewer),
      Math.min(100, offset + limit),
    );
  }
  const next: Rows = [];
  for (const showId of showIds) {
    const rows = await showEpisodes(deps, viewer, showId);
    let last = -1;
    rows.forEach((row, i) => {
      if (row.watched === 1) last = i;
    });
    const candidate = rows.slice(last + 1).find((row) => row.watched !== 1);
    if (candidate && (last >= 0 || series !== undefined)) next.push(candidate);
  }
  return queryResult(await toDtos(deps, viewer, next.slice(offset, offset + limit)), next.length, offset);
}

/** Artists and AlbumArtists: Hearth's artists are the album artists its music libraries are filed under. */
export async function artists(deps: Deps, viewer: Viewer, q: JellyfinQuery): Promise<Json> {
  const { offset, limit } = page(q);
  const query: ItemQuery = {
    libraryIds: await visibleLibraryIds(deps, viewer),
    types: ['artist'],
    userId: viewer.userId,
    sort: 'title',
    descending: (q.list('SortOrder')?.[0] ?? '').toLowerCase() === 'descending',
    limit,
    offset,
  };
  const parent = q.id('ParentId');
  if (parent === null) throw new AppError('not_found');
  if (parent !== undefined) {
    const library = await visibleLibrary(deps, viewer, parent);
    if (!library) throw new AppError('not_found');
    query.libraryId = library.id;
  }
  const search = q.string('SearchTerm') ?? q.string('NameStartsWith');
  if (search !== undefined) query.q = foldQuery(search);
  if (query.q === '') return EMPTY(offset);
  if ((q.list('Filters') ?? []).some((f) => f.toLowerCase() === 'isfavorite')) query.favorite = true;
  const { rows, total } = await listItemRows(deps.db, query);
  return queryResult(await toDtos(deps, viewer, rows), total, offset);
}

export async function searchHints(deps: Deps, viewer: Viewer, q: JellyfinQuery): Promise<Json> {
  const term = foldQuery(q.string('SearchTerm') ?? '');
  const { offset, limit } = page(q);
  if (term === '') return { SearchHints: [], TotalRecordCount: 0 };
  const included = q.list('IncludeItemTypes');
  const types = included ? hearthTypes(included) : undefined;
  if (types?.length === 0) return { SearchHints: [], TotalRecordCount: 0 };
  const { rows, total } = await listItemRows(deps.db, {
    libraryIds: await visibleLibraryIds(deps, viewer),
    q: term,
    ...(types ? { types } : {}),
    userId: viewer.userId,
    sort: 'title',
    descending: false,
    limit: Math.min(limit, 100),
    offset,
  });
  const dtos = await toDtos(deps, viewer, rows);
  return {
    SearchHints: dtos.map((d) => ({
      ItemId: d.Id,
      Id: d.Id,
      Name: d.Name,
      ...(d.ProductionYear !== undefined ? { ProductionYear: d.ProductionYear } : {}),
      ...(d.IndexNumber !== undefined ? { IndexNumber: d.IndexNumber } : {}),
      ...(d.ParentIndexNumber !== undefined ? { ParentIndexNumber: d.ParentIndexNumber } : {}),
      ...((d.ImageTags as Record<string, string>).Primary
        ? { PrimaryImageTag: (d.ImageTags as Record<string, string>).Primary }
        : {}),
      Type: d.Type,
      IsFolder: d.IsFolder,
      ...(d.RunTimeTicks !== undefined ? { RunTimeTicks: d.RunTimeTicks } : {}),
      MediaType: d.MediaType,
      ...(d.SeriesName !== undefined ? { Series: d.SeriesName } : {}),
      ...(d.Album !== undefined ? { Album: d.Album, AlbumId: d.AlbumId } : {}),
      ...(d.AlbumArtist !== undefined ? { AlbumArtist: d.AlbumArtist } : {}),
      Artists: (d.Artists as string[] | undefined) ?? [],
    })),
    TotalRecordCount: total,
  };
}

// ---- what the apps write: progress, played, favourites ---------------------------------------------

/** Sessions/Playing, Playing/Progress and Playing/Stopped: Hearth's watch progress, as the web app writes it. */
export async function reportPosition(
  deps: Deps,
  viewer: Viewer,
  jellyfinId: string | undefined,
  positionTicks: number | undefined,
  now: Date,
): Promise<void> {
  const id = jellyfinId ? fromJellyfinId(jellyfinId) : null;
  if (id === null) throw new AppError('bad_request', 'ItemId is missing or not an id.');
  if (positionTicks === undefined) {
    await requireVisibleItem(deps, viewer, id);
    return;
  }
  const seconds = Math.max(0, Math.min(1e7, positionTicks / TICKS_PER_SECOND));
  const row = await rowOf(deps, viewer, id);
  if (!PLAYABLE.includes(row.type)) throw new AppError('not_found');
  await setProgress(deps, viewer, id, { position_seconds: seconds }, now);
}

export async function itemUserData(deps: Deps, viewer: Viewer, id: string): Promise<Json> {
  const row = await rowOf(deps, viewer, id);
  const favorites = await favoriteItemIds(deps.db, viewer.userId, [row.id]);
  return userData(row, favorites.has(row.id));
}

export async function markPlayed(
  deps: Deps,
  viewer: Viewer,
  jellyfinId: string,
  played: boolean,
  now: Date,
): Promise<Json> {
  const id = requireId(jellyfinId);
  await setProgress(deps, viewer, id, { watched: played }, now);
  return itemUserData(deps, viewer, id);
}

export async function markFavorite(
  deps: Deps,
  viewer: Viewer,
  jellyfinId: string,
  favorite: boolean,
  now: Date,
): Promise<Json> {
  const id = requireId(jellyfinId);
  await requireVisibleItem(deps, viewer, id);
  await setFavorite(deps.db, viewer.userId, id, favorite, now);
  return itemUserData(deps, viewer, id);
}
