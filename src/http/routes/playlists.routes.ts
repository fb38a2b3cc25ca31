// Playlists and stars for the web app: the same rows music apps see through the Subsonic door.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Deps } from '../../deps.ts';
import {
  MAX_PLAYLIST_ENTRIES,
  createPlaylist,
  deletePlaylist,
  getPlaylist,
  listPlaylists,
  starItems,
  updatePlaylist,
  type PlaylistWithSongs,
} from '../../media/playlists.ts';
import type { PlaylistRow, SongRow } from '../../store/music.repository.ts';
import { requireAuth } from '../auth.ts';
import { Body, Id, IdParams, IsoDate, Nullable, Ok, errors } from '../schemas.ts';

export const PlaylistSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  comment: Nullable(Type.String()),
  public: Type.Boolean(),
  owner: Type.String(),
  own: Type.Boolean(),
  song_count: Type.Integer(),
  duration_seconds: Type.Number(),
  created_at: IsoDate,
  updated_at: IsoDate,
});
export type PlaylistView = Static<typeof PlaylistSchema>;

export const PlaylistTrackSchema = Type.Object({
  id: Type.String(),
  title: Type.String(),
  artist: Nullable(Type.String()),
  album: Nullable(Type.String()),
  album_id: Nullable(Type.String()),
  disc: Nullable(Type.Integer()),
  index: Nullable(Type.Integer()),
  duration_seconds: Nullable(Type.Number()),
  starred: Type.Boolean(),
  replay_gain_track_db: Nullable(Type.Number()),
  replay_gain_album_db: Nullable(Type.Number()),
});
export type PlaylistTrack = Static<typeof PlaylistTrackSchema>;

export const PlaylistDetailSchema = Type.Object({
  ...PlaylistSchema.properties,
  tracks: Type.Array(PlaylistTrackSchema),
});
export type PlaylistDetail = Static<typeof PlaylistDetailSchema>;

function toPlaylistView(row: PlaylistRow, userId: string, songCount = row.song_count): PlaylistView {
  return {
    id: row.id,
    name: row.name,
    comment: row.comment,
    public: row.public === 1,
    owner: row.owner,
    own: row.user_id === userId,
    song_count: songCount,
    duration_seconds: row.duration ?? 0,
    created_at: new Date(Number(row.created_at)).toISOString(),
    updated_at: new Date(Number(row.updated_at)).toISOString(),
  };
}

const num = (v: number | null) => (v === null ? null : Number(v));

export function toPlaylistTrack(row: SongRow): PlaylistTrack {
  return {
    id: row.id,
    title: row.title,
    artist: row.artist ?? row.album_artist_name,
    album: row.album,
    album_id: row.parent_id,
    disc: num(row.disc_number),
    index: num(row.index_number),
    duration_seconds: num(row.duration_seconds),
    starred: row.starred_at !== null,
    replay_gain_track_db: num(row.rg_track_gain),
    replay_gain_album_db: num(row.rg_album_gain),
  };
}

function toDetail(found: PlaylistWithSongs, userId: string): PlaylistDetail {
  return { ...toPlaylistView(found.playlist, userId, found.songs.length), tracks: found.songs.map(toPlaylistTrack) };
}

const ItemIds = Type.Array(Id, { maxItems: MAX_PLAYLIST_ENTRIES });

export function playlistsRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/playlists',
    {
      config: { scope: 'media:read' },
      schema: { tags: ['music'], response: { 200: Type.Array(PlaylistSchema), ...errors(401, 403) } },
    },
    async (request) => {
      const caller = requireAuth(request);
      return (await listPlaylists(deps, caller)).map((row) => toPlaylistView(row, caller.userId));
    },
  );

  app.post(
    '/api/v1/playlists',
    {
      schema: {
        tags: ['music'],
        body: Body({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          item_ids: Type.Optional(ItemIds),
          comment: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
          public: Type.Optional(Type.Boolean()),
        }),
        response: { 201: PlaylistDetailSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const caller = requireAuth(request);
      const b = request.body;
      const found = await createPlaylist(
        deps,
        caller,
        { name: b.name, itemIds: b.item_ids ?? [], comment: b.comment ?? null, public: b.public },
        request.now,
      );
      void reply.status(201);
      return toDetail(found, caller.userId);
    },
  );

  app.get(
    '/api/v1/playlists/:id',
    {
      config: { scope: 'media:read' },
      schema: {
        tags: ['music'],
        params: IdParams,
        response: { 200: PlaylistDetailSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const caller = requireAuth(request);
      return toDetail(await getPlaylist(deps, caller, request.params.id), caller.userId);
    },
  );

  app.patch(
    '/api/v1/playlists/:id',
    {
      schema: {
        tags: ['music'],
        params: IdParams,
        body: Body({
          name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          comment: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
          public: Type.Optional(Type.Boolean()),
          item_ids: Type.Optional(ItemIds),
          add: Type.Optional(ItemIds),
          remove_indexes: Type.Optional(Type.Array(Type.Integer({ minimum: 0 }), { maxItems: MAX_PLAYLIST_ENTRIES })),
        }),
        response: { 200: PlaylistDetailSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const caller = requireAuth(request);
      const b = request.body;
      const found = await updatePlaylist(
        deps,
        caller,
        request.params.id,
        {
          name: b.name,
          comment: b.comment,
          public: b.public,
          itemIds: b.item_ids,
          add: b.add,
          removeIndexes: b.remove_indexes,
        },
        request.now,
      );
      return toDetail(found, caller.userId);
    },
  );

  app.delete(
    '/api/v1/playlists/:id',
    { schema: { tags: ['music'], params: IdParams, response: { 200: Ok, ...errors(400, 401, 403, 404) } } },
    async (request) => {
      await deletePlaylist(deps, requireAuth(request), request.params.id);
      return { ok: true as const };
    },
  );

  for (const [method, starred] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/api/v1/items/:id/star',
      schema: { tags: ['music'], params: IdParams, response: { 200: Ok, ...errors(400, 401, 403, 404) } },
      handler: async (request) => {
        await starItems(deps, requireAuth(request), [(request.params as { id: string }).id], starred, request.now);
        return { ok: true as const };
      },
    });
  }
}
