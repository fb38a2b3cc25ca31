// The media half of the API client: libraries, browsing, progress and stream URLs, on the same `request`
// as the rest of the app (cookie session, JSON, ApiError). Shapes follow src/http/routes/media.routes.ts.
import { request } from '../api.ts';

export type LibraryKind = 'movies' | 'shows' | 'music' | 'videos';
export const libraryKinds: LibraryKind[] = ['movies', 'shows', 'music', 'videos'];

export type ItemType = 'movie' | 'show' | 'season' | 'episode' | 'artist' | 'album' | 'track' | 'video' | 'extra';

export interface Library {
  id: string;
  name: string;
  kind: LibraryKind;
  /** Folders on the server's disks: only admins get them. */
  paths?: string[];
  created_at: string;
}

export interface Progress {
  position_seconds: number;
  watched: boolean;
  updated_at: string;
}

export interface MediaItem {
  id: string;
  library_id: string;
  parent_id: string | null;
  type: ItemType;
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
  /** Whether current browsers play the file as it is, as the server judged it from the probe. */
  browser_playable: boolean;
  has_artwork: boolean;
  child_count: number;
  added_at: string;
  progress: Progress | null;
}

export interface MediaItemDetail extends MediaItem {
  children: MediaItem[];
}

export interface ItemPage {
  items: MediaItem[];
  total: number;
  limit: number;
  offset: number;
}

export type ItemSort = 'title' | 'added' | 'year';

export interface ItemQuery {
  parent_id?: string;
  type?: ItemType;
  q?: string;
  watched?: boolean;
  sort?: ItemSort;
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** How far a scan got, as the scanner reports it while it runs and in its result. */
export interface ScanCounts {
  phase?: 'walk' | 'write' | 'probe' | 'artwork' | 'done';
  walked?: number;
  added?: number;
  updated?: number;
  moved?: number;
  removed?: number;
  unchanged?: number;
  to_probe?: number;
  probed?: number;
  failed?: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ScanJob {
  id: string;
  type: string;
  state: JobState | string;
  progress: ScanCounts | null;
  result: (ScanCounts & { skipped?: SkippedFile[]; library_gone?: boolean }) | null;
  error: string | null;
  attempts: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

const id = encodeURIComponent;

// A progress report still on its way when the player closes would race the next page's read of the same
// item, which could then show the old position. Reads of items wait for this page's own reports first.
const progressWrites = new Set<Promise<unknown>>();

function trackWrite<T>(write: Promise<T>): Promise<T> {
  progressWrites.add(write);
  const forget = () => progressWrites.delete(write);
  write.then(forget, forget);
  return write;
}

async function afterWrites<T>(read: () => Promise<T>): Promise<T> {
  if (progressWrites.size > 0) await Promise.allSettled([...progressWrites]);
  return read();
}

function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

export const mediaApi = {
  libraries: () => request<Library[]>('GET', '/libraries'),

  library: (libraryId: string) => request<Library>('GET', `/libraries/${id(libraryId)}`),

  items: (libraryId: string, query: ItemQuery = {}) =>
    afterWrites(() => request<ItemPage>('GET', `/libraries/${id(libraryId)}/items${queryString(query)}`)),

  item: (itemId: string) => afterWrites(() => request<MediaItemDetail>('GET', `/items/${id(itemId)}`)),

  search: (q: string, limit?: number) => request<{ items: MediaItem[] }>('GET', `/search${queryString({ q, limit })}`),

  continueWatching: (limit?: number) =>
    afterWrites(() => request<{ items: MediaItem[] }>('GET', `/me/continue-watching${queryString({ limit })}`)),

  /**
   * Where the viewer is in an item; without `watched`, the server marks it watched past 90%. `keepalive`
   * for the report sent while the page goes away.
   */
  setProgress: (itemId: string, input: { position_seconds?: number; watched?: boolean }, options: { keepalive?: boolean } = {}) =>
    trackWrite(request<MediaItem>('PUT', `/items/${id(itemId)}/progress`, input, options)),

  /** A URL that plays this one item without headers (what a <video> element or a TV needs). */
  streamUrl: (itemId: string, expiresInSeconds?: number) =>
    request<{ url: string; expires_at: string }>(
      'POST',
      `/items/${id(itemId)}/stream-url`,
      expiresInSeconds === undefined ? {} : { expires_in_seconds: expiresInSeconds },
    ),

  admin: {
    createLibrary: (input: { name: string; kind: LibraryKind; paths: string[] }) => request<Library>('POST', '/libraries', input),

    renameLibrary: (libraryId: string, name: string) => request<Library>('PATCH', `/libraries/${id(libraryId)}`, { name }),

    removeLibrary: (libraryId: string) => request<{ ok: true }>('DELETE', `/libraries/${id(libraryId)}`),

    /** Queues a scan, or answers with the one already queued or running. */
    scan: (libraryId: string) => request<{ job_id: string; created: boolean }>('POST', `/libraries/${id(libraryId)}/scan`, {}),

    latestScan: (libraryId: string) => request<{ job: ScanJob | null }>('GET', `/libraries/${id(libraryId)}/scan`),

    scanJob: (libraryId: string, jobId: string) =>
      request<{ job: ScanJob }>('GET', `/libraries/${id(libraryId)}/scan/${id(jobId)}`),

    userLibraries: (userId: string) => request<{ library_ids: string[] }>('GET', `/admin/users/${id(userId)}/libraries`),

    /** Replaces the libraries a member may see. */
    setUserLibraries: (userId: string, libraryIds: string[]) =>
      request<{ library_ids: string[] }>('PUT', `/admin/users/${id(userId)}/libraries`, { library_ids: libraryIds }),
  },
};

/** The poster of an item: same-origin, the session cookie authorises it. */
export function artworkUrl(itemId: string, kind: 'poster' | 'fanart' = 'poster'): string {
  return `/api/v1/items/${id(itemId)}/artwork${kind === 'poster' ? '' : '?kind=fanart'}`;
}
