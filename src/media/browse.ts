// Browsing what the scanner built: pages of items with sorting and filters, one item with its
// children, search across the libraries a viewer may see, watch progress and "continue watching".
// Items are reached by id only; paths never leave (S71). An item of a library the viewer may not see
// is a 404 exactly like a missing one (S70).
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import {
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

export const ITEM_TYPES = ['movie', 'show', 'season', 'episode', 'artist', 'album', 'track', 'video', 'extra'] as const satisfies readonly MediaItemType[];
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
}

export interface ItemDetail extends ItemView {
  children: ItemView[];
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
    has_artwork: row.poster_path !== null || row.embedded_cover === 1 || (row.type === 'album' && row.child_covers > 0),
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
  };
}

export interface ListItemsInput {
  parentId?: string;
  type?: MediaItemType;
  q?: string;
  watched?: boolean;
  sort?: 'title' | 'added' | 'year';
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
  } else if (input.q === undefined) {
    // The top of a library: movies, shows, artists and loose videos; the rest is reached through them.
    parentId = null;
    types = TOP_LEVEL_TYPES;
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
    userId: viewer.userId,
    sort,
    descending: input.order === 'desc',
    limit,
    offset,
  });
  return { items: rows.map(toItemView), total, limit, offset };
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

async function viewOf(deps: Pick<Deps, 'db'>, viewer: Pick<Caller, 'userId' | 'role'>, item: MediaItemRow): Promise<ItemView> {
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

export async function getItem(deps: Pick<Deps, 'db'>, viewer: Pick<Caller, 'userId' | 'role'>, itemId: string): Promise<ItemDetail> {
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
  return { ...view, children };
}

export async function searchItems(deps: Pick<Deps, 'db'>, viewer: Pick<Caller, 'userId' | 'role'>, q: string, limit = 50): Promise<ItemView[]> {
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
export async function setProgress(deps: Pick<Deps, 'db'>, viewer: Pick<Caller, 'userId' | 'role'>, itemId: string, input: ProgressInput, now: Date): Promise<ItemView> {
  const { item } = await requireVisibleItem(deps, viewer, itemId);
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
      ids.map((id) => ({ user_id: viewer.userId, item_id: id, position_seconds: 0, watched: input.watched ? 1 : 0, updated_at: t })),
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
  await upsertProgress(deps.db, [{ user_id: viewer.userId, item_id: item.id, position_seconds: position, watched: watched ? 1 : 0, updated_at: t }]);
  return viewOf(deps, viewer, item);
}

export async function continueWatching(deps: Pick<Deps, 'db'>, viewer: Pick<Caller, 'userId' | 'role'>, limit = 20): Promise<ItemView[]> {
  const rows = await continueWatchingRows(deps.db, viewer.userId, await visibleLibraryIds(deps, viewer), Math.min(100, Math.max(1, limit)));
  return rows.map(toItemView);
}

/** Where an item's bytes are, for the stream route: only files, only the viewer's. */
export async function streamTarget(deps: Pick<Deps, 'db'>, viewer: Pick<Caller, 'userId' | 'role'>, itemId: string) {
  const { item, library } = await requireVisibleItem(deps, viewer, itemId);
  if (item.path === null) throw new AppError('not_found');
  return { item, library, path: item.path };
}

export type ArtworkKindName = 'poster' | 'fanart';

/** Where an item's artwork comes from: a local image file, or a cover embedded in a track. */
export async function artworkSource(
  deps: Pick<Deps, 'db'>,
  viewer: Pick<Caller, 'userId' | 'role'>,
  itemId: string,
  kind: ArtworkKindName,
): Promise<{ library: LibraryRow; file: string | null; embeddedIn: string | null }> {
  const { item, library } = await requireVisibleItem(deps, viewer, itemId);
  const file = kind === 'fanart' ? item.fanart_path : item.poster_path;
  if (file !== null) return { library, file, embeddedIn: null };
  if (kind === 'poster' && (item.type === 'track' || item.type === 'album' || item.type === 'artist')) {
    const source = await findEmbeddedCoverSource(deps.db, item.id);
    if (source !== undefined && source.library_id === library.id) return { library, file: null, embeddedIn: source.path };
  }
  throw new AppError('not_found');
}
