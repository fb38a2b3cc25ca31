// Playlists and stars, per user, the same for the web app and for music apps (the Subsonic door): a playlist
// is its owner's to change; a public one may be read by others; songs outside the libraries a reader may see
// are left out for that reader (S70), and none can be added.
import type { Caller } from '../accounts/caller.ts';
import { newId, type Random } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { listLibraryRows } from '../store/media.repository.ts';
import {
  deletePlaylistRow,
  findMusicItem,
  findPlaylist,
  insertPlaylist,
  listPlaylists as listPlaylistRows,
  playlistItemIds,
  replacePlaylistEntries,
  setStars,
  songsByIds,
  updatePlaylistRow,
  type MusicScope,
  type PlaylistRow,
  type SongRow,
} from '../store/music.repository.ts';
import { visibleLibraryIds } from './libraries.ts';

export const MAX_PLAYLIST_ENTRIES = 5000;
type Who = Pick<Caller, 'userId' | 'role'>;

/** The music libraries in the caller's view, as a scope for the music queries. */
export async function musicScope(deps: Pick<Deps, 'db'>, caller: Who): Promise<MusicScope> {
  const rows = await listLibraryRows(deps.db, await visibleLibraryIds(deps, caller));
  return { userId: caller.userId, libraryIds: rows.filter((r) => r.kind === 'music').map((r) => r.id) };
}

export function cleanPlaylistName(name: string): string {
  const clean = name
    .replace(/[\u0000-\u001F\u007F\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  if (clean === '') throw new AppError('invalid_body', 'Give the playlist a name.', { field: 'name' });
  return clean;
}

/** The ids, each a song the caller may see; otherwise not_found naming none of them. */
async function checkedSongIds(deps: Pick<Deps, 'db'>, scope: MusicScope, ids: string[]): Promise<string[]> {
  if (ids.length > MAX_PLAYLIST_ENTRIES)
    throw new AppError('invalid_body', `A playlist holds at most ${MAX_PLAYLIST_ENTRIES} songs.`);
  if (ids.length === 0) return [];
  const found = new Set((await songsByIds(deps.db, scope, [...new Set(ids)])).map((r) => r.id));
  if (ids.some((id) => !found.has(id))) throw new AppError('not_found', 'A song to add was not found.');
  return ids;
}

export interface PlaylistWithSongs {
  playlist: PlaylistRow;
  songs: SongRow[];
}

export async function listPlaylists(deps: Pick<Deps, 'db'>, caller: Who): Promise<PlaylistRow[]> {
  return listPlaylistRows(deps.db, caller.userId);
}

async function readable(deps: Pick<Deps, 'db'>, caller: Who, id: string): Promise<PlaylistRow> {
  const playlist = await findPlaylist(deps.db, id);
  // Someone else's private playlist answers like a missing one.
  if (!playlist || (playlist.user_id !== caller.userId && playlist.public !== 1)) throw new AppError('not_found');
  return playlist;
}

async function own(deps: Pick<Deps, 'db'>, caller: Who, id: string): Promise<PlaylistRow> {
  const playlist = await readable(deps, caller, id);
  if (playlist.user_id !== caller.userId) throw new AppError('forbidden', 'Only its owner may change a playlist.');
  return playlist;
}

export async function getPlaylist(deps: Pick<Deps, 'db'>, caller: Who, id: string): Promise<PlaylistWithSongs> {
  const playlist = await readable(deps, caller, id);
  const scope = await musicScope(deps, caller);
  const songs = await songsByIds(deps.db, scope, await playlistItemIds(deps.db, id));
  return { playlist, songs };
}

export async function createPlaylist(
  deps: Pick<Deps, 'db'> & { random: Random },
  caller: Who,
  input: { name: string; itemIds: string[]; comment?: string | null; public?: boolean },
  now: Date,
): Promise<PlaylistWithSongs> {
  const name = cleanPlaylistName(input.name);
  const ids = await checkedSongIds(deps, await musicScope(deps, caller), input.itemIds);
  const id = newId(deps.random);
  const t = now.getTime();
  await deps.db.transaction().execute(async (trx) => {
    await insertPlaylist(trx, {
      id,
      user_id: caller.userId,
      name,
      comment: input.comment?.slice(0, 1000) ?? null,
      public: input.public ? 1 : 0,
      created_at: t,
      updated_at: t,
    });
    await replacePlaylistEntries(trx, id, ids);
  });
  return getPlaylist(deps, caller, id);
}

export interface PlaylistChange {
  name?: string;
  comment?: string | null;
  public?: boolean;
  /** Replaces every entry. */
  itemIds?: string[];
  /** Appended after removals. */
  add?: string[];
  /** Positions (0-based) in the list as it was. */
  removeIndexes?: number[];
}

export async function updatePlaylist(
  deps: Pick<Deps, 'db'>,
  caller: Who,
  id: string,
  change: PlaylistChange,
  now: Date,
): Promise<PlaylistWithSongs> {
  const playlist = await own(deps, caller, id);
  const scope = await musicScope(deps, caller);
  const replace = change.itemIds !== undefined ? await checkedSongIds(deps, scope, change.itemIds) : null;
  const add = await checkedSongIds(deps, scope, change.add ?? []);
  const name = change.name !== undefined ? cleanPlaylistName(change.name) : undefined;
  await deps.db.transaction().execute(async (trx) => {
    if (replace !== null || add.length > 0 || (change.removeIndexes?.length ?? 0) > 0) {
      const remove = new Set(change.removeIndexes ?? []);
      const current = replace ?? (await playlistItemIds(trx, playlist.id)).filter((_, i) => !remove.has(i));
      const next = [...current, ...add];
      if (next.length > MAX_PLAYLIST_ENTRIES)
        throw new AppError('invalid_body', `A playlist holds at most ${MAX_PLAYLIST_ENTRIES} songs.`);
      await replacePlaylistEntries(trx, playlist.id, next);
    }
    await updatePlaylistRow(trx, playlist.id, {
      ...(name !== undefined ? { name } : {}),
      ...(change.comment !== undefined ? { comment: change.comment?.slice(0, 1000) ?? null } : {}),
      ...(change.public !== undefined ? { public: change.public ? 1 : 0 } : {}),
      updated_at: now.getTime(),
    });
  });
  return getPlaylist(deps, caller, id);
}

export async function deletePlaylist(deps: Pick<Deps, 'db'>, caller: Who, id: string): Promise<void> {
  const playlist = await own(deps, caller, id);
  await deletePlaylistRow(deps.db, playlist.id);
}

/** Stars (or unstars) artists, albums or tracks the caller may see. */
export async function starItems(
  deps: Pick<Deps, 'db'>,
  caller: Who,
  ids: string[],
  starred: boolean,
  now: Date,
): Promise<void> {
  const scope = await musicScope(deps, caller);
  for (const id of ids) if (!(await findMusicItem(deps.db, scope, id))) throw new AppError('not_found');
  await setStars(deps.db, caller.userId, ids, starred, now.getTime());
}
