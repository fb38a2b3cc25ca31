// Playback routes: the decision, the HLS playlist and segments, subtitles as WebVTT, and the admin's
// "Now playing". Playlists, segments and subtitles take the item-bound URL token (`?st=`, `urlToken` in the
// auth hook) so players need no headers; the one door checks it against the store on every request, so a
// revoked session is refused (S73).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { playbackOf } from '../../playback/hls.ts';
import { callerPlayback, decidePlayback, playlistFor, subtitleVtt } from '../../playback/playback.ts';
import { requireAuth } from '../auth.ts';
import { Body, Id, IdParams, Nullable, Ok, errors } from '../schemas.ts';
import { NowPlayingListSchema, PlaybackSchema } from '../../wire/playback.ts';

const Name = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,32}$' });
const TokenQuery = Type.Object({ st: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })) });
const PlayId = Type.String({ pattern: '^[A-Za-z0-9_-]{8,32}$' });

/** A body that is not JSON (playlist, segment, WebVTT): the route declares only its errors. */
function sendRaw(reply: FastifyReply, type: string, body: string | Buffer) {
  return reply.type(type).send(body);
}

export function playbackRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/v1/items/:id/playback',
    {
      config: { scope: 'media:stream' },
      schema: {
        tags: ['media'],
        description:
          'How this client plays the item: direct (the file), remux (video copied) or transcode (H.264), with every audio track and subtitle. `url` and subtitle `url`s work without headers.',
        params: IdParams,
        body: Body({
          video: Type.Array(Name, { maxItems: 32 }),
          audio: Type.Array(Name, { maxItems: 32 }),
          containers: Type.Array(Name, { maxItems: 32 }),
          maxHeight: Type.Optional(Type.Integer({ minimum: 144, maximum: 4320 })),
          maxBitrate: Type.Optional(Type.Integer({ minimum: 100_000, maximum: 1_000_000_000 })),
          audioTrack: Type.Optional(Type.Integer({ minimum: 0, maximum: 999 })),
          subtitle: Type.Optional(Nullable(Type.String({ pattern: '^[ex][0-9]{1,4}$' }))),
          burnIn: Type.Optional(Type.Boolean()),
          startSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 1e7 })),
        }),
        response: { 200: PlaybackSchema, ...errors(400, 401, 403, 404, 502, 503) },
      },
    },
    async (request) => decidePlayback(deps, requireAuth(request), request.params.id, request.body),
  );

  app.get(
    '/api/v1/items/:id/hls/:playId/:file',
    {
      config: { scope: 'media:stream', urlToken: true },
      schema: {
        tags: ['media'],
        description: 'The HLS playlist (index.m3u8) and its segments (<n>.ts) of a playback.',
        params: Type.Object({
          id: Id,
          playId: PlayId,
          file: Type.String({ pattern: '^(index\\.m3u8|[0-9]{1,7}\\.ts)$' }),
        }),
        querystring: TokenQuery,
        response: errors(400, 401, 403, 404, 409, 502, 503),
      },
    },
    async (request, reply) => {
      const caller = requireAuth(request);
      const session = await callerPlayback(deps, caller, request.params.id, request.params.playId);
      void reply.header('cache-control', 'private, no-cache');
      if (request.params.file === 'index.m3u8') {
        return sendRaw(reply, 'application/vnd.apple.mpegurl', playlistFor(deps, session));
      }
      const n = Number(request.params.file.slice(0, -3));
      // The player gave up on this request (it seeked elsewhere): stop waiting for it.
      const gone = new AbortController();
      reply.raw.once('close', () => gone.abort());
      const file = await playbackOf(deps).segment(session, n, gone.signal);
      const bytes = await readFile(file).catch(() => null);
      if (bytes === null) throw new AppError('not_found');
      return sendRaw(reply, 'video/mp2t', bytes);
    },
  );

  app.delete(
    '/api/v1/items/:id/hls/:playId',
    {
      config: { scope: 'media:stream', urlToken: true },
      schema: {
        tags: ['media'],
        description: 'Ends a playback and its encoder (the player left).',
        params: Type.Object({ id: Id, playId: PlayId }),
        querystring: TokenQuery,
        response: { 200: Ok, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const caller = requireAuth(request);
      const session = await callerPlayback(deps, caller, request.params.id, request.params.playId);
      await playbackOf(deps).end(session);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/items/:id/subtitles/:file',
    {
      config: { scope: 'media:stream', urlToken: true },
      schema: {
        tags: ['media'],
        description: 'A subtitle as UTF-8 WebVTT: e<n> embedded, x<n> a file beside the video.',
        params: Type.Object({ id: Id, file: Type.String({ pattern: '^[ex][0-9]{1,4}\\.vtt$' }) }),
        querystring: TokenQuery,
        response: errors(400, 401, 403, 404, 502),
      },
    },
    async (request, reply) => {
      const caller = requireAuth(request);
      const vtt = await subtitleVtt(deps, caller, request.params.id, request.params.file.slice(0, -4));
      void reply.header('cache-control', 'private, max-age=300');
      return sendRaw(reply, 'text/vtt; charset=utf-8', vtt);
    },
  );

  app.get(
    '/api/v1/admin/playback',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        description: 'What is playing now through the encoders: who, what, method, reason, encoder speed.',
        response: {
          200: NowPlayingListSchema,
          ...errors(401, 403),
        },
      },
    },
    async () => {
      const service = playbackOf(deps);
      return {
        streams: service.list().map((s) => service.view(s)),
        encoders: { active: service.pool.active, max: service.pool.max },
        cache_bytes: service.cacheSize,
      };
    },
  );

  app.delete(
    '/api/v1/admin/playback/:playId',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        description: 'Stops a playback and its encoder.',
        params: Type.Object({ playId: PlayId }),
        response: { 200: Ok, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const service = playbackOf(deps);
      const session = service.get(request.params.playId);
      if (!session) throw new AppError('not_found');
      deps.log.info({ play: session.id, by: requireAuth(request).userId }, 'playback stopped by an admin');
      await service.end(session);
      return { ok: true as const };
    },
  );
}
