// Browsing what the scanner built: pages of items with sorting and filters, one item with its
// children, search across the libraries a viewer may see, watch progress and "continue watching".
// Items are reached by id only; paths never leave (S71). An item of a library the viewer may not see
// is a 404 exactly like a missing one (S70).
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import {
  collectionRows,
  listLibraryRows,
  episodesInOrder,
  recentShowIds,
  showsOfEpisodes,
  type ItemFilters,
  continueWatchingRows,
  findEmbeddedCoverSource,
  findItemRow,
  findLibrary,
  findProgress,
  listItemRows,
  playableIdsUnder,
  upsertProgress,
  type ItemSort,
  type ItemViewRow,
  type LibraryRow,
  type MediaItemRow,
} from '../store/media.repository.ts';
import type { MediaItemType } from '../store/schema.ts';
import type { Caller } from '../accounts/caller.ts';
import { canSeeLibrary, requireVisibleLibrary, visibleLibraryIds } from './libraries.ts';

export const ITEM_TYPES = [
  'movie',
  'show',
  'season',
  'episode',
  'artist',
  'album',
  'track',
  'video',
  'extra',
] as const satisfies readonly MediaItemType[];
const TOP_LEVEL_TYPES: MediaItemType[] = ['movie', 'show', 'artist', 'video'];
const GROUP_TYPES = new Set<MediaItemType>(['show', 'season', 'artist', 'album']);
/** Past this share of its length, an item counts as watched. */
const WATCHED_AT = 0.9;

export interface ProgressView {
  position_seconds: number;
  watched: boolean;
  updated_at: string;
}

export interface ItemView {
  id: string;
  library_id: string;
  parent_id: string | null;
  type: MediaItemType;
  title: string;
  year: number | null;
  index: number | null;
  index_end: number | null;
  disc: number | null;
  part: number | null;
  edition: string | null;
  air_date: string | null;
  artist: string | null;
  extra_type: string | null;
  /** A file (movie, episode, track, video, extra) rather than a group (show, season, artist, album). */
  playable: boolean;
  size: number | null;
  mime: string | null;
  container: string | null;
  video_codec: string | null;
  audio_codec: string | null;
  width: number | null;
  height: number | null;
  duration_seconds: number | null;
  /** Whether current Chromium, Firefox and Safari all play the file as it is (else it needs a transcode). */
  browser_playable: boolean;
  has_artwork: boolean;
  child_count: number;
  added_at: string;
  progress: ProgressView | null;
  // ---- issue 17: metadata from NFO files and the container, versions, thumbnails ----
  version_label: string | null;
  original_title: string | null;
  plot: string | null;
  tagline: string | null;
  rating: number | null;
  certification: string | null;
  premiered: string | null;
  runtime_minutes: number | null;
  genres: string[];
  studios: string[];
  tags: string[];
  people: PersonView[];
  collection: string | null;
  external_ids: Record<string, string>;
  chapters: ChapterView[];
  /** A frame made by the thumbnail job (GET /items/:id/artwork?kind=thumb). */
  has_thumbnail: boolean;
}

export interface PersonView {
  name: string;
  role: string | null;
  kind: 'actor' | 'director' | 'writer';
  thumb: string | null;
}

export interface ChapterView {
  start_seconds: number;
  end_seconds: number | null;
  title: string | null;
}

export interface ItemDetail extends ItemView {
  children: ItemView[];
  /** A movie in several files played as one timeline: each part and where it starts. */
  parts: PartView[];
  /** A movie with several versions (this one included); the user picks one. */
  versions: ItemView[];
  /** The whole timeline of a stack (the sum of its parts), else the file's duration. */
  total_duration_seconds: number | null;
}

export interface PartView {
  id: string;
  part: number;
  offset_seconds: number;
  duration_seconds: number | null;
}

function jsonOf<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toItemView(row: ItemViewRow): ItemView {
  return {
    id: row.id,
    library_id: row.library_id,
    parent_id: row.parent_id,
    type: row.type,
    title: row.title,
    year: row.year,
    index: row.index_number,
    index_end: row.index_end,
    disc: row.disc_number,
    part: row.part,
    edition: row.edition,
    air_date: row.air_date,
    artist: row.artist,
    extra_type: row.extra_type,
    playable: !GROUP_TYPES.has(row.type),
    size: row.size,
    mime: row.mime,
    container: row.container,
    video_codec: row.video_codec,
    audio_codec: row.audio_codec,
    width: row.width,
    height: row.height,
    duration_seconds: row.duration_seconds,
    browser_playable: row.browser_playable === 1,
    has_artwork:
      row.poster_path !== null ||
      row.thumb_path !== null ||
      row.embedded_cover === 1 ||
      (row.type === 'album' && row.child_covers > 0),
    child_count: row.child_count,
    added_at: new Date(row.added_at).toISOString(),
    progress:
      row.position_seconds === null
        ? null
        : {
            position_seconds: row.position_seconds,
            watched: row.watched === 1,
            updated_at: new Date(row.progress_updated_at ?? 0).toISOString(),
          },
    version_label: row.version_label,
    original_title: row.original_title,
    plot: row.plot,
    tagline: row.tagline,
    rating: row.rating === null ? null : Number(row.rating),
    certification: row.certification,
    premiered: row.premiered,
    runtime_minutes: row.runtime_minutes,
    genres: jsonOf(row.genres, []),
    studios: jsonOf(row.studios, []),
    tags: jsonOf(row.tags, []),
    people: jsonOf(row.people, []),
    collection: row.collection,
    external_ids: jsonOf(row.external_ids, {}),
    chapters: jsonOf(row.chapters, []),
    has_thumbnail: row.thumb_path !== null,
  };
}

export interface ListItemsInput extends ItemFilters {
  parentId?: string;
  type?: MediaItemType;
  q?: string;
  watched?: boolean;
  sort?: 'title' | 'added' | 'year' | 'rating';
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

export interface ItemPage {
  items: ItemView[];
  total: number;
  limit: number;
  offset: number;
}

export const MAX_PAGE = 500;

export async function listLibraryItems(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  libraryId: string,
  input: ListItemsInput,
): Promise<ItemPage> {
  await requireVisibleLibrary(deps, viewer, libraryId);
  const limit = Math.min(MAX_PAGE, Math.max(1, input.limit ?? 50));
  const offset = Math.max(0, input.offset ?? 0);
  let parentId: string | null | undefined;
  let types: MediaItemType[] | undefined;
  if (input.parentId !== undefined) {
    const parent = await findItemRow(deps.db, input.parentId);
    if (!parent || parent.library_id !== libraryId) throw new AppError('not_found');
    parentId = parent.id;
    types = input.type ? [input.type] : undefined;
  } else if (input.type !== undefined) {
    types = [input.type];
  } else if (input.q === undefined && !hasFilters(input)) {
    // The top of a library: movies, shows, artists and loose videos; the rest is reached through them.
    parentId = null;
    types = TOP_LEVEL_TYPES;
  } else if (input.q === undefined) {
    types = FILTERED_TYPES;
  }
  const q = input.q === undefined ? undefined : foldQuery(input.q);
  // Nothing searchable in the words (only punctuation): nothing matches, rather than everything.
  if (q === '') return { items: [], total: 0, limit, offset };
  const sort: ItemSort = input.sort ?? (parentId ? 'index' : 'title');
  const { rows, total } = await listItemRows(deps.db, {
    libraryIds: null,
    libraryId,
    parentId,
    types,
    q,
    watched: input.watched,
    filters: filtersOf(input),
    userId: viewer.userId,
    sort,
    descending: input.order === 'desc',
    limit,
    offset,
  });
  return { items: rows.map(toItemView), total, limit, offset };
}

function filtersOf(input: ItemFilters): ItemFilters {
  const { genre, year, minRating, person, director, collection } = input;
  return { genre, year, minRating, person, director, collection };
}

function hasFilters(input: ItemFilters): boolean {
  return Object.values(filtersOf(input)).some((v) => v !== undefined);
}

/** With filters and no type, a library lists what its top holds and what is filtered: films, shows, videos, episodes. */
export const FILTERED_TYPES: MediaItemType[] = ['movie', 'show', 'video', 'episode', 'album', 'artist'];

/** A library's collections (Kodi sets) and their sizes. */
export async function listCollections(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  libraryId: string,
) {
  await requireVisibleLibrary(deps, viewer, libraryId);
  return collectionRows(deps.db, libraryId);
}

/** An item as the home rows show it: an episode carries its show's name and its season. */
export interface HomeItemView extends ItemView {
  show_id: string | null;
  show_title: string | null;
  season: number | null;
}

export async function withShows(deps: Pick<Deps, 'db'>, items: ItemView[]): Promise<HomeItemView[]> {
  const seasonIds = [
    ...new Set(items.filter((i) => i.type === 'episode' && i.parent_id !== null).map((i) => i.parent_id!)),
  ];
  const shows = seasonIds.length > 0 ? await showsOfEpisodes(deps.db, seasonIds) : new Map();
  return items.map((i) => {
    const show = i.type === 'episode' && i.parent_id !== null ? shows.get(i.parent_id) : undefined;
    return { ...i, show_id: show?.showId ?? null, show_title: show?.showTitle ?? null, season: show?.season ?? null };
  });
}

export interface HomeRows {
  continue_watching: HomeItemView[];
  next_up: HomeItemView[];
  recently_added: { library_id: string; library_name: string; kind: string; items: HomeItemView[] }[];
}

/**
 * The home page's rows: what the viewer is in the middle of; the next episode of each show they are
 * watching (after the last one they finished, not already in "continue watching"); and the newest
 * films, episodes and albums of each library they may see.
 */
export async function homeRows(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  limit = 20,
): Promise<HomeRows> {
  const libraryIds = await visibleLibraryIds(deps, viewer);
  const continuing = await continueWatching(deps, viewer, limit);
  const inProgress = new Set(continuing.map((i) => i.id));
  const nextIds: string[] = [];
  for (const showId of await recentShowIds(deps.db, viewer.userId, libraryIds, limit)) {
    const episodes = await episodesInOrder(deps.db, showId, viewer.userId);
    let last = -1;
    episodes.forEach((e, i) => {
      if (e.watched === 1) last = i;
    });
    const next = episodes.slice(last + 1).find((e) => e.watched !== 1);
    if (next !== undefined && !inProgress.has(next.id)) nextIds.push(next.id);
  }
  const nextUp: ItemView[] = [];
  for (const id of nextIds) {
    const row = await findItemRow(deps.db, id);
    if (row) nextUp.push(await viewOf(deps, viewer, row));
  }
  const recently: HomeRows['recently_added'] = [];
  const libraries = await listLibraryRows(deps.db, libraryIds);
  for (const library of libraries) {
    const { rows } = await listItemRows(deps.db, {
      libraryIds: null,
      libraryId: library.id,
      types: ['movie', 'episode', 'video', 'album'],
      userId: viewer.userId,
      sort: 'added',
      descending: true,
      limit,
      offset: 0,
    });
    recently.push({
      library_id: library.id,
      library_name: library.name,
      kind: library.kind,
      items: await withShows(deps, rows.map(toItemView)),
    });
  }
  return {
    continue_watching: await withShows(deps, continuing),
    next_up: await withShows(deps, nextUp),
    recently_added: recently,
  };
}

function foldQuery(q: string): string {
  return q
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** An item with its library, or the same 404 whether it is missing or not the viewer's to see. */
export async function requireVisibleItem(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  itemId: string,
): Promise<{ item: MediaItemRow; library: LibraryRow }> {
  const item = await findItemRow(deps.db, itemId);
  if (!item || item.probe_state === 'failed') throw new AppError('not_found');
  const library = await findLibrary(deps.db, item.library_id);
  if (!library || !(await canSeeLibrary(deps, viewer, library.id))) throw new AppError('not_found');
  return { item, library };
}

async function viewOf(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  item: MediaItemRow,
): Promise<ItemView> {
  const { rows } = await listItemRows(deps.db, {
    libraryIds: null,
    libraryId: item.library_id,
    only: item.id,
    userId: viewer.userId,
    sort: 'title',
    descending: false,
    limit: 1,
    offset: 0,
  });
  if (rows.length === 0) throw new AppError('not_found');
  return toItemView(rows[0]!);
}

export async function getItem(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  itemId: string,
): Promise<ItemDetail> {
  const { item } = await requireVisibleItem(deps, viewer, itemId);
  const view = await viewOf(deps, viewer, item);
  let children: ItemView[] = [];
  if (view.child_count > 0) {
    const { rows } = await listItemRows(deps.db, {
      libraryIds: null,
      libraryId: item.library_id,
      parentId: item.id,
      userId: viewer.userId,
      sort: 'index',
      descending: false,
      limit: 2000,
      offset: 0,
    });
    children = rows.map(toItemView);
  }
  const { parts, versions, total } = await stackOf(deps, viewer, item);
  return { ...view, children, parts, versions, total_duration_seconds: total ?? view.duration_seconds };
}

/** The files shown as one item with `item` (its parts or versions), in order; empty for a single file. */
async function membersOf(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  item: MediaItemRow,
): Promise<ItemView[]> {
  const primaryId = item.primary_id ?? item.id;
  const { rows } = await listItemRows(deps.db, {
    libraryIds: null,
    libraryId: item.library_id,
    members: primaryId,
    userId: viewer.userId,
    sort: 'title',
    descending: false,
    limit: 100,
    offset: 0,
  });
  return rows.length < 2 ? [] : rows.map(toItemView);
}

async function stackOf(deps: Pick<Deps, 'db'>, viewer: Pick<Caller, 'userId' | 'role'>, item: MediaItemRow) {
  const members = await membersOf(deps, viewer, item);
  if (members.length === 0) return { parts: [] as PartView[], versions: [] as ItemView[], total: null, members };
  if (members.every((m) => m.part !== null)) {
    const sorted = [...members].sort((a, b) => a.part! - b.part!);
    let offset = 0;
    let known = true;
    const parts = sorted.map((m) => {
      const part = { id: m.id, part: m.part!, offset_seconds: offset, duration_seconds: m.duration_seconds };
      if (m.duration_seconds === null) known = false;
      offset += m.duration_seconds ?? 0;
      return part;
    });
    return { parts, versions: [] as ItemView[], total: known ? offset : null, members };
  }
  const versions = [...members].sort((a, b) => (a.version_label ?? '').localeCompare(b.version_label ?? ''));
  return { parts: [] as PartView[], versions, total: null, members };
}

/** The version a client plays without converting, the sharpest first; then the sharpest at all. */
export function bestVersion<T extends { browser_playable: boolean; height: number | null; size: number | null }>(
  versions: T[],
  playsDirectly: (v: T) => boolean = (v) => v.browser_playable,
): T {
  return [...versions].sort(
    (a, b) =>
      Number(playsDirectly(b)) - Number(playsDirectly(a)) ||
      (b.height ?? 0) - (a.height ?? 0) ||
      (b.size ?? 0) - (a.size ?? 0),
  )[0]!;
}

export async function searchItems(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  q: string,
  limit = 50,
): Promise<ItemView[]> {
  const folded = foldQuery(q);
  if (folded === '') return [];
  const { rows } = await listItemRows(deps.db, {
    libraryIds: await visibleLibraryIds(deps, viewer),
    q: folded,
    userId: viewer.userId,
    sort: 'title',
    descending: false,
    limit: Math.min(MAX_PAGE, Math.max(1, limit)),
    offset: 0,
  });
  return rows.map(toItemView);
}

export interface ProgressInput {
  position_seconds?: number;
  watched?: boolean;
}

/**
 * Records where the viewer is in an item. Without an explicit `watched`, reaching 90% marks it
 * watched. On a show, season, artist or album only `watched` makes sense: it applies to every file below.
 */
export async function setProgress(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  itemId: string,
  input: ProgressInput,
  now: Date,
): Promise<ItemView> {
  let { item } = await requireVisibleItem(deps, viewer, itemId);
  // Progress is per item: a part or version records it on the item shown for them, and a stack's
  // position runs across its parts' one timeline.
  if (item.primary_id !== null) item = (await findItemRow(deps.db, item.primary_id)) ?? item;
  const stack = item.path !== null ? await stackOf(deps, viewer, item) : null;
  if (stack !== null && stack.parts.length > 0) item = { ...item, duration_seconds: stack.total };
  else if (stack !== null && stack.versions.length > 0)
    item = { ...item, duration_seconds: Math.max(...stack.versions.map((v) => v.duration_seconds ?? 0)) || null };
  if (input.position_seconds === undefined && input.watched === undefined) {
    throw new AppError('invalid_body', 'Give position_seconds, watched, or both.');
  }
  const t = now.getTime();
  if (item.path === null) {
    if (input.watched === undefined || input.position_seconds !== undefined) {
      throw new AppError('invalid_body', 'A group of items takes only "watched".');
    }
    const ids = await playableIdsUnder(deps.db, item.id);
    await upsertProgress(
      deps.db,
      ids.map((id) => ({
        user_id: viewer.userId,
        item_id: id,
        position_seconds: 0,
        watched: input.watched ? 1 : 0,
        updated_at: t,
      })),
    );
    return viewOf(deps, viewer, item);
  }
  const previous = await findProgress(deps.db, viewer.userId, item.id);
  let position = input.position_seconds ?? previous?.position_seconds ?? 0;
  if (item.duration_seconds !== null) position = Math.min(position, item.duration_seconds);
  const watched =
    input.watched ??
    (item.duration_seconds !== null && item.duration_seconds > 0 && position >= item.duration_seconds * WATCHED_AT
      ? true
      : (previous?.watched ?? 0) === 1);
  // Finishing an item starts it over next time.
  if (input.watched === true && input.position_seconds === undefined) position = 0;
  await upsertProgress(deps.db, [
    { user_id: viewer.userId, item_id: item.id, position_seconds: position, watched: watched ? 1 : 0, updated_at: t },
  ]);
  return viewOf(deps, viewer, item);
}

export async function continueWatching(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  limit = 20,
): Promise<ItemView[]> {
  const rows = await continueWatchingRows(
    deps.db,
    viewer.userId,
    await visibleLibraryIds(deps, viewer),
    Math.min(100, Math.max(1, limit)),
  );
  return rows.map(toItemView);
}

/** Where an item's bytes are, for the stream route: only files, only the viewer's. */
export interface StreamChoice {
  /** A stack's part, 1-based. */
  part?: number;
  /** One of the item's versions, by its id. */
  version?: string;
}

/**
 * Where an item's bytes are, for the stream route: only files, only the viewer's. An item shown for
 * several files plays its first part (or `part`), or the chosen version, else the best version this
 * client plays directly.
 */
export async function streamTarget(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  itemId: string,
  choice: StreamChoice = {},
) {
  const { item, library } = await requireVisibleItem(deps, viewer, itemId);
  if (item.path === null) throw new AppError('not_found');
  if (choice.part === undefined && choice.version === undefined && item.primary_id !== null)
    return { item, library, path: item.path };
  const { parts, versions } = await stackOf(deps, viewer, item);
  let chosen: string = item.id;
  if (choice.part !== undefined) {
    const part =
      parts.find((p) => p.part === choice.part) ??
      (parts.length === 0 && choice.part === 1 ? { id: item.id } : undefined);
    if (part === undefined) throw new AppError('not_found');
    chosen = part.id;
  } else if (choice.version !== undefined) {
    if (choice.version !== item.id && !versions.some((v) => v.id === choice.version)) throw new AppError('not_found');
    chosen = choice.version;
  } else if (parts.length > 0) {
    chosen = parts[0]!.id;
  } else if (versions.length > 0) {
    chosen = bestVersion(versions).id;
  }
  if (chosen === item.id) return { item, library, path: item.path };
  const row = await findItemRow(deps.db, chosen);
  if (!row || row.path === null || row.library_id !== library.id) throw new AppError('not_found');
  return { item: row, library, path: row.path };
}

export type ArtworkKindName = 'poster' | 'fanart' | 'thumb';

/**
 * Where an item's artwork comes from: a local image file, a cover embedded in a track, or the
 * thumbnail the job made (under the data folder: `inThumbnails`). A poster asked of a film or episode
 * without one is its thumbnail; a track without a cover shows its album's (carried down).
 */
export async function artworkSource(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  itemId: string,
  kind: ArtworkKindName,
): Promise<{ library: LibraryRow; file: string | null; embeddedIn: string | null; inThumbnails: boolean }> {
  const { item, library } = await requireVisibleItem(deps, viewer, itemId);
  const file = kind === 'fanart' ? item.fanart_path : kind === 'poster' ? item.poster_path : null;
  if (file !== null) return { library, file, embeddedIn: null, inThumbnails: false };
  if (kind !== 'fanart' && item.thumb_path !== null)
    return { library, file: item.thumb_path, embeddedIn: null, inThumbnails: true };
  if (kind === 'poster' && (item.type === 'track' || item.type === 'album' || item.type === 'artist')) {
    const source = await findEmbeddedCoverSource(deps.db, item.id);
    if (source !== undefined && source.library_id === library.id)
      return { library, file: null, embeddedIn: source.path, inThumbnails: false };
    // A track without a cover of its own: its album's folder art.
    if (item.type === 'track' && item.parent_id !== null) {
      const album = await findItemRow(deps.db, item.parent_id);
      if (album?.poster_path != null && album.library_id === library.id)
        return { library, file: album.poster_path, embeddedIn: null, inThumbnails: false };
    }
  }
  throw new AppError('not_found');
}
