// Playlists and stars: the same rows music apps see through the Subsonic door. Wire types are the server's.
import type { PlaylistDetail, PlaylistTrack, PlaylistView } from '../../../src/http/routes/playlists.routes.ts';
import { request } from '../api.ts';

export type { PlaylistDetail, PlaylistTrack, PlaylistView };

const id = encodeURIComponent;

export const playlistsApi = {
  list: () => request<PlaylistView[]>('GET', '/playlists'),
  get: (playlistId: string) => request<PlaylistDetail>('GET', `/playlists/${id(playlistId)}`),
  create: (name: string, itemIds: string[] = []) =>
    request<PlaylistDetail>('POST', '/playlists', { name, item_ids: itemIds }),
  update: (
    playlistId: string,
    change: { name?: string; item_ids?: string[]; add?: string[]; remove_indexes?: number[]; public?: boolean },
  ) => request<PlaylistDetail>('PATCH', `/playlists/${id(playlistId)}`, change),
  remove: (playlistId: string) => request<{ ok: true }>('DELETE', `/playlists/${id(playlistId)}`),
  star: (itemId: string, starred: boolean) =>
    request<{ ok: true }>(starred ? 'PUT' : 'DELETE', `/items/${id(itemId)}/star`, {}),
};
