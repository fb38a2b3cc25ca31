// The Subsonic methods: each turns the request's parameters into calls on Hearth's music store and answers
// with an element of the Subsonic schema, or a file (stream, download, getCoverArt). Only the music libraries
// the caller may see are in view (S70); an id outside them answers 70, exactly like a missing one.
import type { Readable } from 'node:stream';
import { realpath } from 'node:fs/promises';
import type { Caller } from '../accounts/caller.ts';
import { newId } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { libraryPaths, visibleLibraryIds } from '../media/libraries.ts';
import { mediaTypeOf } from '../media/media-types.ts';
import { fileResponse, type FileResponse } from '../media/stream.ts';
import { isInside } from '../media/walk.ts';
import { foldText } from '../media/placement.ts';
import {
  createPlaylist,
  deletePlaylist,
  getPlaylist,
  starItems,
  updatePlaylist,
  type PlaylistWithSongs,
} from '../media/playlists.ts';
import { listLibraryRows, type LibraryRow } from '../store/media.repository.ts';
import {
  albumList,
  albumsOfArtist,
  findAlbum,
  findArtist,
  findLyrics,
  findMusicItem,
  findPlayQueue,
  findSong,
  genreCounts,
  insertPlay,
  listArtists,
  listPlaylists,
  playCounts,
  randomSongs,
  savePlayQueueRow,
  searchAlbums,
  searchArtists,
  searchSongs,
  setRating,
  songsByGenre,
  songsByIds,
  songsOfAlbum,
  starredAlbums,
  starredArtists,
  starredSongs,
  type AlbumListType,
  type MusicScope,
  type PlaylistRow,
  type SongRow,
} from '../store/music.repository.ts';
import { findCover, resizeCover, type CoverBytes } from './cover.ts';
import { readSidecarLyrics, structuredLyrics } from './lyrics.ts';
import { ERROR, SubsonicError, type Node } from './render.ts';
import { startTranscode, type TargetFormat } from './transcode.ts';
import { acquireEncoderSlot } from '../playback/hls.ts';
import { IGNORED_ARTICLES, albumNode, artistNode, indexOf, songNode } from './views.ts';

/** The request's parameters, every value of each name (Subsonic repeats names: id=1&id=2). */
export type Params = Map<string, string[]>;

export interface HttpFacts {
  method: string;
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
}

export interface Call {
  deps: Deps;
  auth: Caller;
  params: Params;
  now: Date;
  http: HttpFacts;
  /** The client's name (`c`), for now-playing. */
  client: string;
}

export type MethodResult =
  | { kind: 'body'; body: Node }
  | { kind: 'file'; response: FileResponse }
  | { kind: 'bytes'; contentType: string; data: Buffer }
  | { kind: 'stream'; contentType: string; body: Readable; stop(): void };

type Method = (call: Call) => Promise<MethodResult>;

// ---- parameters -----------------------------------------------------------------------------------------------

const one = (call: Call, name: string): string | undefined => call.params.get(name)?.[0];
const all = (call: Call, name: string): string[] => call.params.get(name) ?? [];

function required(call: Call, name: string): string {
  const value = one(call, name);
  if (value === undefined || value === '')
    throw new SubsonicError(ERROR.missingParameter, `Required parameter is missing: ${name}`);
  return value;
}

function int(call: Call, name: string, fallback: number, min: number, max: number): number {
  const raw = one(call, name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new SubsonicError(ERROR.generic, `Parameter ${name} must be a number.`);
  return Math.max(min, Math.min(max, Math.trunc(n)));
}

function optionalInt(call: Call, name: string): number | undefined {
  const raw = one(call, name);
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new SubsonicError(ERROR.generic, `Parameter ${name} must be a whole number.`);
  return n;
}

const bool = (call: Call, name: string, fallback: boolean) => {
  const raw = one(call, name);
  return raw === undefined ? fallback : raw === 'true' || raw === '1';
};

const notFound = (what: string) => new SubsonicError(ERROR.notFound, `${what} not found`);
const body = (node: Node): MethodResult => ({ kind: 'body', body: node });

// ---- what the caller may see --------------------------------------------------------------------------------

interface View {
  scope: MusicScope;
  libraries: LibraryRow[];
}

const views = new WeakMap<Call, Promise<View>>();

/** The caller's music libraries, numbered as Subsonic's integer folder ids (in order of creation). */
async function musicLibraries(call: Call): Promise<LibraryRow[]> {
  const visible = await visibleLibraryIds(call.deps, call.auth);
  const rows = await listLibraryRows(call.deps.db, visible);
  return rows.filter((r) => r.kind === 'music').sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
}

async function allMusicLibraries(call: Call): Promise<LibraryRow[]> {
  const rows = await listLibraryRows(call.deps.db, null);
  return rows.filter((r) => r.kind === 'music').sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
}

function view(call: Call): Promise<View> {
  let v = views.get(call);
  if (!v) {
    v = (async () => {
      let libraries = await musicLibraries(call);
      const folder = one(call, 'musicFolderId');
      if (folder !== undefined && folder !== '') {
        // Folder numbers are counted over all music libraries, so one's number never depends on who asks.
        const numbered = await allMusicLibraries(call);
        const wanted = numbered[Number(folder) - 1];
        libraries = libraries.filter((l) => l.id === wanted?.id);
      }
      return { scope: { userId: call.auth.userId, libraryIds: libraries.map((l) => l.id) }, libraries };
    })();
    views.set(call, v);
  }
  return v;
}

async function rootsOf(call: Call): Promise<(libraryId: string) => string[]> {
  const { libraries } = await view(call);
  const byId = new Map(libraries.map((l) => [l.id, libraryPaths(l)]));
  return (id) => byId.get(id) ?? [];
}

async function songsWithPlays(call: Call, rows: SongRow[]): Promise<Node[]> {
  const plays = await playCounts(
    call.deps.db,
    call.auth.userId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => songNode(r, plays.get(r.id)));
}

function words(query: string): string[] {
  return foldText(query.replace(/^"|"$/g, ''))
    .split(/\s+/)
    .filter((w) => w !== '')
    .slice(0, 8);
}

// ---- system -------------------------------------------------------------------------------------------------

export const EXTENSIONS: Node[] = [
  { name: 'apiKeyAuthentication', versions: [1] },
  { name: 'formPost', versions: [1] },
  { name: 'songLyrics', versions: [1] },
];

const methods: Record<string, Method> = {
  ping: async () => body({}),
  getLicense: async () => body({ license: { valid: true } }),
  getOpenSubsonicExtensions: async () => body({ openSubsonicExtensions: EXTENSIONS }),

  getUser: async (call) => {
    const name = required(call, 'username');
    // Only oneself: a Subsonic app never learns about other accounts (S94).
    if (name.toLowerCase() !== call.auth.username.toLowerCase())
      throw new SubsonicError(ERROR.notAuthorized, 'You may only look up your own user.');
    const numbered = await allMusicLibraries(call);
    const mine = new Set((await musicLibraries(call)).map((l) => l.id));
    const admin = call.auth.role !== 'member';
    return body({
      user: {
        username: call.auth.username,
        email: call.auth.email,
        scrobblingEnabled: true,
        adminRole: admin,
        settingsRole: false,
        downloadRole: true,
        uploadRole: false,
        playlistRole: true,
        coverArtRole: true,
        commentRole: false,
        podcastRole: false,
        streamRole: true,
        jukeboxRole: false,
        shareRole: false,
        videoConversionRole: false,
        folder: numbered.flatMap((l, i) => (mine.has(l.id) ? [i + 1] : [])),
      },
    });
  },

  // ---- browsing by folders ----------------------------------------------------------------------------------

  getMusicFolders: async (call) => {
    const numbered = await allMusicLibraries(call);
    const mine = new Set((await musicLibraries(call)).map((l) => l.id));
    return body({
      musicFolders: { musicFolder: numbered.flatMap((l, i) => (mine.has(l.id) ? [{ id: i + 1, name: l.name }] : [])) },
    });
  },

  getIndexes: async (call) => {
    const { scope, libraries } = await view(call);
    const rows = await listArtists(call.deps.db, scope);
    const lastModified = Math.max(0, ...libraries.map((l) => Number(l.updated_at)));
    return body({
      indexes: {
        lastModified,
        ignoredArticles: IGNORED_ARTICLES,
        index: indexOf(rows, (r) => ({
          id: r.id,
          name: r.title,
          starred: r.starred_at ? new Date(Number(r.starred_at)).toISOString() : undefined,
        })),
      },
    });
  },

  getMusicDirectory: async (call) => {
    const id = required(call, 'id');
    const { scope } = await view(call);
    const item = await findMusicItem(call.deps.db, scope, id);
    if (!item || item.type === 'track') throw notFound('Directory');
    if (item.type === 'artist') {
      const artist = await findArtist(call.deps.db, scope, id);
      const albums = await albumsOfArtist(call.deps.db, scope, id);
      return body({
        directory: {
          id,
          name: artist?.title ?? '',
          child: albums.map((a) => ({ ...albumNode(a), parent: id, isDir: true })),
        },
      });
    }
    const album = await findAlbum(call.deps.db, scope, id);
    const songs = await songsOfAlbum(call.deps.db, scope, id);
    return body({
      directory: {
        id,
        parent: album?.artist_id ?? undefined,
        name: album?.title ?? '',
        child: await songsWithPlays(call, songs),
      },
    });
  },

  // ---- browsing by tags -------------------------------------------------------------------------------------

  getArtists: async (call) => {
    const { scope } = await view(call);
    const rows = await listArtists(call.deps.db, scope);
    return body({ artists: { ignoredArticles: IGNORED_ARTICLES, index: indexOf(rows, artistNode) } });
  },

  getArtist: async (call) => {
    const id = required(call, 'id');
    const { scope } = await view(call);
    const artist = await findArtist(call.deps.db, scope, id);
    if (!artist) throw notFound('Artist');
    const albums = await albumsOfArtist(call.deps.db, scope, id);
    return body({ artist: { ...artistNode(artist), album: albums.map(albumNode) } });
  },

  getAlbum: async (call) => {
    const id = required(call, 'id');
    const { scope } = await view(call);
    const album = await findAlbum(call.deps.db, scope, id);
    if (!album) throw notFound('Album');
    const songs = await songsOfAlbum(call.deps.db, scope, id);
    return body({ album: { ...albumNode(album), song: await songsWithPlays(call, songs) } });
  },

  getSong: async (call) => {
    const id = required(call, 'id');
    const { scope } = await view(call);
    const song = await findSong(call.deps.db, scope, id);
    if (!song) throw notFound('Song');
    return body({ song: (await songsWithPlays(call, [song]))[0]! });
  },

  getAlbumList2: async (call) => albumListOf(call, 'albumList2'),
  getAlbumList: async (call) => albumListOf(call, 'albumList'),

  getRandomSongs: async (call) => {
    const { scope } = await view(call);
    const rows = await randomSongs(call.deps.db, scope, {
      size: int(call, 'size', 10, 1, 500),
      genre: one(call, 'genre'),
      fromYear: optionalInt(call, 'fromYear'),
      toYear: optionalInt(call, 'toYear'),
    });
    return body({ randomSongs: { song: await songsWithPlays(call, rows) } });
  },

  getSongsByGenre: async (call) => {
    const { scope } = await view(call);
    const rows = await songsByGenre(
      call.deps.db,
      scope,
      required(call, 'genre'),
      int(call, 'count', 10, 1, 500),
      int(call, 'offset', 0, 0, 1e9),
    );
    return body({ songsByGenre: { song: await songsWithPlays(call, rows) } });
  },

  getGenres: async (call) => {
    const { scope } = await view(call);
    const rows = await genreCounts(call.deps.db, scope);
    return body({ genres: { genre: rows.map((g) => ({ songCount: g.songs, albumCount: g.albums, value: g.genre })) } });
  },

  search3: async (call) => searchOf(call, 'searchResult3'),
  search2: async (call) => searchOf(call, 'searchResult2'),

  // ---- files --------------------------------------------------------------------------------------------------

  stream: async (call) => {
    const song = await songForFile(call);
    const format = (one(call, 'format') ?? '').toLowerCase();
    const maxBitRate = int(call, 'maxBitRate', 0, 0, 10_000);
    const bitrate = song.row.bitrate === null ? null : Number(song.row.bitrate);
    const wantsFormat =
      format !== '' && format !== 'raw' && format !== (song.row.rel_path?.split('.').pop() ?? '').toLowerCase();
    const tooRich = maxBitRate > 0 && (bitrate === null || bitrate > maxBitRate);
    if (!wantsFormat && !tooRich) return fileOf(call, song);
    const target: TargetFormat = format === 'opus' || format === 'ogg' ? 'opus' : 'mp3';
    const real = await realpath(song.path).catch(() => null);
    if (real === null || !song.roots.some((root) => isInside(root, real))) throw notFound('Song');
    const kbps = maxBitRate > 0 ? maxBitRate : target === 'opus' ? 128 : 192;
    let slot;
    try {
      slot = acquireEncoderSlot(call.deps, `subsonic:${call.auth.username}`);
    } catch {
      throw new SubsonicError(ERROR.generic, 'Every encoder is busy: try again shortly, or play the original format.');
    }
    const transcode = startTranscode(slot, real, target, kbps, int(call, 'timeOffset', 0, 0, 24 * 3600));
    return { kind: 'stream', contentType: transcode.contentType, body: transcode.body, stop: transcode.stop };
  },

  download: async (call) => fileOf(call, await songForFile(call)),

  getCoverArt: async (call) => {
    const id = required(call, 'id');
    const size = optionalInt(call, 'size');
    const { scope } = await view(call);
    const key = `${call.auth.userId}:${id}:${size ?? 0}`;
    let cover = coverCache.get(key);
    if (!cover) {
      const found = await findCover(call.deps, scope, id, await rootsOf(call));
      if (!found) throw notFound('Cover art');
      cover = size !== undefined && size > 0 ? await resizeCover(found, Math.min(size, 3000)) : found;
      // Only scaled covers are kept: they are small, and the ones apps ask for again and again.
      if (size !== undefined && size > 0) remember(key, cover);
    }
    return { kind: 'bytes', contentType: cover.contentType, data: cover.data };
  },

  getLyricsBySongId: async (call) => {
    const id = required(call, 'id');
    const { scope } = await view(call);
    const song = await findSong(call.deps.db, scope, id);
    if (!song) throw notFound('Song');
    const list: Node[] = [];
    const embedded = await findLyrics(call.deps.db, id);
    const artist = song.artist ?? song.album_artist_name ?? undefined;
    if (embedded) list.push(structuredLyrics(embedded, artist, song.title));
    const item = await findMusicItem(call.deps.db, scope, id);
    if (item?.path) {
      const sidecar = await readSidecarLyrics(item.path, (await rootsOf(call))(item.library_id));
      if (sidecar) list.push(structuredLyrics(sidecar, artist, song.title));
    }
    // Synced first: apps show the first entry.
    list.sort((a, b) => Number(b.synced) - Number(a.synced));
    return body({ lyricsList: { structuredLyrics: list } });
  },

  // ---- the user's marks ---------------------------------------------------------------------------------------

  star: async (call) => marks(call, true),
  unstar: async (call) => marks(call, false),

  getStarred2: async (call) => starredOf(call, 'starred2'),
  getStarred: async (call) => starredOf(call, 'starred'),

  setRating: async (call) => {
    const id = required(call, 'id');
    const rating = Number(required(call, 'rating'));
    if (!Number.isInteger(rating) || rating < 0 || rating > 5)
      throw new SubsonicError(ERROR.generic, 'The rating must be between 0 and 5.');
    const { scope } = await view(call);
    if (!(await findMusicItem(call.deps.db, scope, id))) throw notFound('Item');
    await setRating(call.deps.db, call.auth.userId, id, rating);
    return body({});
  },

  scrobble: async (call) => {
    const { scope } = await view(call);
    const submission = bool(call, 'submission', true);
    const times = all(call, 'time');
    for (const [i, id] of all(call, 'id').entries()) {
      const song = await findSong(call.deps.db, scope, id);
      if (!song) throw notFound('Song');
      if (submission) {
        const at = Number(times[i] ?? NaN);
        await insertPlay(call.deps.db, {
          id: newId(call.deps.random),
          user_id: call.auth.userId,
          item_id: id,
          album_id: song.parent_id,
          played_at: Number.isFinite(at) && at > 0 && at <= call.now.getTime() ? Math.trunc(at) : call.now.getTime(),
        });
      } else {
        nowPlaying.set(call.auth.userId, { itemId: id, at: call.now.getTime(), client: call.client });
      }
    }
    return body({});
  },

  getNowPlaying: async (call) => {
    // Only the caller's own: what others listen to is theirs.
    const mine = nowPlaying.get(call.auth.userId);
    const fresh = mine && call.now.getTime() - mine.at < NOW_PLAYING_MS ? mine : null;
    const { scope } = await view(call);
    const song = fresh ? await findSong(call.deps.db, scope, fresh.itemId) : undefined;
    const entry = song
      ? [
          {
            ...songNode(song),
            username: call.auth.username,
            minutesAgo: Math.floor((call.now.getTime() - fresh!.at) / 60_000),
            playerId: 0,
            playerName: fresh!.client,
          },
        ]
      : [];
    return body({ nowPlaying: { entry } });
  },

  // ---- playlists ----------------------------------------------------------------------------------------------

  getPlaylists: async (call) => {
    const username = one(call, 'username');
    if (username !== undefined && username.toLowerCase() !== call.auth.username.toLowerCase()) {
      throw new SubsonicError(ERROR.notAuthorized, 'You may only list your own playlists.');
    }
    const rows = await listPlaylists(call.deps.db, call.auth.userId);
    return body({ playlists: { playlist: rows.map((r) => playlistNode(r)) } });
  },

  getPlaylist: async (call) => playlistAnswer(call, await getPlaylist(call.deps, call.auth, required(call, 'id'))),

  createPlaylist: async (call) => {
    const existing = one(call, 'playlistId');
    const songIds = all(call, 'songId');
    if (existing !== undefined && existing !== '') {
      const name = one(call, 'name');
      return playlistAnswer(
        call,
        await updatePlaylist(call.deps, call.auth, existing, { itemIds: songIds, ...(name ? { name } : {}) }, call.now),
      );
    }
    return playlistAnswer(
      call,
      await createPlaylist(call.deps, call.auth, { name: required(call, 'name'), itemIds: songIds }, call.now),
    );
  },

  updatePlaylist: async (call) => {
    const name = one(call, 'name');
    const comment = one(call, 'comment');
    const pub = one(call, 'public');
    await updatePlaylist(
      call.deps,
      call.auth,
      required(call, 'playlistId'),
      {
        add: all(call, 'songIdToAdd'),
        removeIndexes: all(call, 'songIndexToRemove').map(Number).filter(Number.isInteger),
        ...(name !== undefined && name !== '' ? { name } : {}),
        ...(comment !== undefined ? { comment } : {}),
        ...(pub !== undefined ? { public: pub === 'true' } : {}),
      },
      call.now,
    );
    return body({});
  },

  deletePlaylist: async (call) => {
    await deletePlaylist(call.deps, call.auth, required(call, 'id'));
    return body({});
  },

  // ---- play queue ---------------------------------------------------------------------------------------------

  getPlayQueue: async (call) => {
    const row = await findPlayQueue(call.deps.db, call.auth.userId);
    if (!row) return body({});
    const { scope } = await view(call);
    const songs = await songsByIds(call.deps.db, scope, JSON.parse(row.item_ids) as string[]);
    return body({
      playQueue: {
        current: row.current_id ?? undefined,
        position: Number(row.position_ms),
        username: call.auth.username,
        changed: new Date(Number(row.changed_at)).toISOString(),
        changedBy: row.changed_by ?? '',
        entry: await songsWithPlays(call, songs),
      },
    });
  },

  savePlayQueue: async (call) => {
    const { scope } = await view(call);
    const ids = (await songsByIds(call.deps.db, scope, all(call, 'id').slice(0, 5000))).map((r) => r.id);
    const current = one(call, 'current');
    await savePlayQueueRow(call.deps.db, {
      user_id: call.auth.userId,
      item_ids: JSON.stringify(ids),
      current_id: current !== undefined && ids.includes(current) ? current : (ids[0] ?? null),
      position_ms: int(call, 'position', 0, 0, 1e12),
      changed_by: call.client.slice(0, 100),
      changed_at: call.now.getTime(),
    });
    return body({});
  },
};

export function findMethod(name: string): Method | undefined {
  return Object.hasOwn(methods, name) ? methods[name] : undefined;
}

export const METHOD_NAMES = Object.keys(methods);

/** Methods that answer before anyone has signed in (OpenSubsonic asks this one to be public). */
export const PUBLIC_METHODS = new Set(['getOpenSubsonicExtensions']);

// ---- helpers of the methods above -----------------------------------------------------------------------------

const ALBUM_LIST_TYPES = new Set<AlbumListType>([
  'random',
  'newest',
  'frequent',
  'recent',
  'alphabeticalByName',
  'alphabeticalByArtist',
  'byYear',
  'byGenre',
  'starred',
  'highest',
]);

async function albumListOf(call: Call, element: string): Promise<MethodResult> {
  const type = required(call, 'type') as AlbumListType;
  if (!ALBUM_LIST_TYPES.has(type)) throw new SubsonicError(ERROR.generic, `Unknown list type: ${type}`);
  const q = { type, size: int(call, 'size', 10, 1, 500), offset: int(call, 'offset', 0, 0, 1e9) } as Parameters<
    typeof albumList
  >[2];
  if (type === 'byYear') {
    q.fromYear = Number(required(call, 'fromYear'));
    q.toYear = Number(required(call, 'toYear'));
  }
  if (type === 'byGenre') q.genre = required(call, 'genre');
  const { scope } = await view(call);
  const rows = await albumList(call.deps.db, scope, q);
  return body({ [element]: { album: rows.map(albumNode) } });
}

async function searchOf(call: Call, element: string): Promise<MethodResult> {
  const { scope } = await view(call);
  const w = words(one(call, 'query') ?? '');
  const db = call.deps.db;
  const artistCount = int(call, 'artistCount', 20, 0, 500);
  const albumCount = int(call, 'albumCount', 20, 0, 500);
  const songCount = int(call, 'songCount', 20, 0, 500);
  const [artists, albums, songs] = await Promise.all([
    artistCount > 0 ? searchArtists(db, scope, w, artistCount, int(call, 'artistOffset', 0, 0, 1e9)) : [],
    albumCount > 0 ? searchAlbums(db, scope, w, albumCount, int(call, 'albumOffset', 0, 0, 1e9)) : [],
    songCount > 0 ? searchSongs(db, scope, w, songCount, int(call, 'songOffset', 0, 0, 1e9)) : [],
  ]);
  return body({
    [element]: {
      artist: artists.map(artistNode),
      album: albums.map(albumNode),
      song: await songsWithPlays(call, songs),
    },
  });
}

async function starredOf(call: Call, element: string): Promise<MethodResult> {
  const { scope } = await view(call);
  const [artists, albums, songs] = await Promise.all([
    starredArtists(call.deps.db, scope),
    starredAlbums(call.deps.db, scope),
    starredSongs(call.deps.db, scope),
  ]);
  return body({
    [element]: {
      artist: artists.map(artistNode),
      album: albums.map(albumNode),
      song: await songsWithPlays(call, songs),
    },
  });
}

async function marks(call: Call, starred: boolean): Promise<MethodResult> {
  await starItems(
    call.deps,
    call.auth,
    [...all(call, 'id'), ...all(call, 'albumId'), ...all(call, 'artistId')],
    starred,
    call.now,
  );
  return body({});
}

async function songForFile(call: Call): Promise<{ row: SongRow; path: string; roots: string[] }> {
  const id = required(call, 'id');
  const { scope } = await view(call);
  const row = await findSong(call.deps.db, scope, id);
  const item = row ? await findMusicItem(call.deps.db, scope, id) : undefined;
  if (!row || !item?.path) throw notFound('Song');
  return { row, path: item.path, roots: (await rootsOf(call))(item.library_id) };
}

async function fileOf(call: Call, song: { row: SongRow; path: string; roots: string[] }): Promise<MethodResult> {
  const response = await fileResponse({
    path: song.path,
    roots: song.roots,
    method: call.http.method,
    contentType: song.row.mime ?? mediaTypeOf(song.path)?.mime ?? 'application/octet-stream',
    range: call.http.range,
    ifRange: call.http.ifRange,
    ifNoneMatch: call.http.ifNoneMatch,
    random: call.deps.random,
    headers: { 'cache-control': 'private, max-age=3600' },
  });
  if (!response) throw notFound('Song');
  return { kind: 'file', response };
}

function playlistNode(r: PlaylistRow): Node {
  return {
    id: r.id,
    name: r.name,
    comment: r.comment ?? undefined,
    owner: r.owner,
    public: r.public === 1,
    songCount: r.song_count,
    duration: Math.round(r.duration ?? 0),
    created: new Date(Number(r.created_at)).toISOString(),
    changed: new Date(Number(r.updated_at)).toISOString(),
  };
}

async function playlistAnswer(call: Call, found: PlaylistWithSongs): Promise<MethodResult> {
  return body({
    playlist: {
      ...playlistNode(found.playlist),
      songCount: found.songs.length,
      entry: await songsWithPlays(call, found.songs),
    },
  });
}

// ---- small in-process state -----------------------------------------------------------------------------------

const NOW_PLAYING_MS = 15 * 60_000;
const nowPlaying = new Map<string, { itemId: string; at: number; client: string }>();

const COVER_CACHE_MAX = 256;
const coverCache = new Map<string, CoverBytes>();
function remember(key: string, cover: CoverBytes): void {
  if (coverCache.size >= COVER_CACHE_MAX) coverCache.delete(coverCache.keys().next().value!);
  coverCache.set(key, cover);
}
