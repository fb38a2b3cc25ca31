// The media half of the API client: libraries, browsing, progress and stream URLs, on the same `request`
// as the rest of the app (cookie session, JSON, ApiError).
// Wire types come from the server's own declarations (type-only imports), so client and server cannot drift.
import type { JobView } from '../../../src/jobs/runner.ts';
import type { ItemDetail, ItemPage, ItemView, ProgressView } from '../../../src/media/browse.ts';
import type { LibraryView } from '../../../src/media/libraries.ts';
import type { LibraryKind } from '../../../src/media/naming.ts';
import type { ScanProgress, ScanResult, SkippedFile } from '../../../src/media/scanner.ts';
import type { JobState, MediaItemType } from '../../../src/wire/names.ts';
import { request } from '../api.ts';

export type { ItemPage, LibraryKind };
/** The kinds in the order the page offers them: the server's kinds, checked below. */
export const libraryKinds = ['movies', 'shows', 'music', 'videos'] as const satisfies readonly LibraryKind[];
/** Compiles only while libraryKinds names every kind the server has (an error names the missing ones). */
type AllKindsListed<Missing extends never = Exclude<LibraryKind, (typeof libraryKinds)[number]>> = Missing;

export type ItemType = MediaItemType;

export type Library = LibraryView;

export type Progress = ProgressView;

export type MediaItem = ItemView;

export type MediaItemDetail = ItemDetail;

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

export type { JobState, SkippedFile };

/** How far a scan got, as the scanner reports it while it runs and in its result (read as if any may be missing). */
export type ScanCounts = Partial<ScanProgress>;

/** A scan job: the server's job view, which types progress and result only as records, read as the scanner writes them. */
export interface ScanJob extends Omit<JobView, 'progress' | 'result'> {
  progress: ScanCounts | null;
  result: (ScanCounts & Partial<Pick<ScanResult, 'skipped' | 'library_gone'>>) | null;
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
  setProgress: (
    itemId: string,
    input: { position_seconds?: number; watched?: boolean },
    options: { keepalive?: boolean } = {},
  ) => trackWrite(request<MediaItem>('PUT', `/items/${id(itemId)}/progress`, input, options)),

  /** A URL that plays this one item without headers (what a <video> element or a TV needs). */
  streamUrl: (itemId: string, expiresInSeconds?: number) =>
    request<{ url: string; expires_at: string }>(
      'POST',
      `/items/${id(itemId)}/stream-url`,
      expiresInSeconds === undefined ? {} : { expires_in_seconds: expiresInSeconds },
    ),

  admin: {
    createLibrary: (input: { name: string; kind: LibraryKind; paths: string[] }) =>
      request<Library>('POST', '/libraries', input),

    renameLibrary: (libraryId: string, name: string) =>
      request<Library>('PATCH', `/libraries/${id(libraryId)}`, { name }),

    removeLibrary: (libraryId: string) => request<{ ok: true }>('DELETE', `/libraries/${id(libraryId)}`),

    /** Queues a scan, or answers with the one already queued or running. */
    scan: (libraryId: string) =>
      request<{ job_id: string; created: boolean }>('POST', `/libraries/${id(libraryId)}/scan`, {}),

    latestScan: (libraryId: string) => request<{ job: ScanJob | null }>('GET', `/libraries/${id(libraryId)}/scan`),

    scanJob: (libraryId: string, jobId: string) =>
      request<{ job: ScanJob }>('GET', `/libraries/${id(libraryId)}/scan/${id(jobId)}`),

    userLibraries: (userId: string) =>
      request<{ library_ids: string[] }>('GET', `/admin/users/${id(userId)}/libraries`),

    /** Replaces the libraries a member may see. */
    setUserLibraries: (userId: string, libraryIds: string[]) =>
      request<{ library_ids: string[] }>('PUT', `/admin/users/${id(userId)}/libraries`, { library_ids: libraryIds }),
  },
};

/** The poster of an item: same-origin, the session cookie authorises it. */
export function artworkUrl(itemId: string, kind: 'poster' | 'fanart' = 'poster'): string {
  return `/api/v1/items/${id(itemId)}/artwork${kind === 'poster' ? '' : '?kind=fanart'}`;
}
