import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Type } from 'typebox';
import { STREAM_TOKEN_DEFAULT_SECONDS, STREAM_TOKEN_MAX_SECONDS, issueStreamToken } from '../../accounts/stream-tokens.ts';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { getJob, toJobView } from '../../jobs/runner.ts';
import {
  ITEM_TYPES,
  MAX_PAGE,
  artworkSource,
  continueWatching,
  getItem,
  listLibraryItems,
  searchItems,
  setProgress,
  streamTarget,
} from '../../media/browse.ts';
import {
  LIBRARY_KINDS,
  MAX_LIBRARY_PATHS,
  createLibrary,
  getLibrary,
  libraryPaths,
  listLibraries,
  removeLibrary,
  requireVisibleLibrary,
  setUserLibraryGrants,
  updateLibrary,
  userLibraryGrants,
} from '../../media/libraries.ts';
import { mediaTypeOf } from '../../media/media-types.ts';
import { latestScanJob, requestScan } from '../../media/scanner.ts';
import { embeddedCoverInside, fileResponse, type FileResponse } from '../../media/stream.ts';
import { requireAuth } from '../auth.ts';
import { Body, Id, IdParams, IsoDate, Label, Nullable, NullableIsoDate, Ok, errors } from '../schemas.ts';

const LibraryKindSchema = Type.Enum(LIBRARY_KINDS);
const LibrarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: LibraryKindSchema,
  paths: Type.Optional(Type.Array(Type.String(), { description: 'Admins only' })),
  created_at: IsoDate,
});
const ItemTypeSchema = Type.Enum(ITEM_TYPES);

const ProgressSchema = Type.Object({
  position_seconds: Type.Number(),
  watched: Type.Boolean(),
  updated_at: IsoDate,
});

const ItemFields = {
  id: Type.String(),
  library_id: Type.String(),
  parent_id: Nullable(Type.String()),
  type: ItemTypeSchema,
  title: Type.String(),
  year: Nullable(Type.Integer()),
  index: Nullable(Type.Integer()),
  index_end: Nullable(Type.Integer()),
  disc: Nullable(Type.Integer()),
  part: Nullable(Type.Integer()),
  edition: Nullable(Type.String()),
  air_date: Nullable(Type.String()),
  artist: Nullable(Type.String()),
  extra_type: Nullable(Type.String()),
  playable: Type.Boolean(),
  size: Nullable(Type.Integer()),
  mime: Nullable(Type.String()),
  container: Nullable(Type.String()),
  video_codec: Nullable(Type.String()),
  audio_codec: Nullable(Type.String()),
  width: Nullable(Type.Integer()),
  height: Nullable(Type.Integer()),
  duration_seconds: Nullable(Type.Number()),
  browser_playable: Type.Boolean(),
  has_artwork: Type.Boolean(),
  child_count: Type.Integer(),
  added_at: IsoDate,
  progress: Nullable(ProgressSchema),
};
const ItemSchema = Type.Object(ItemFields);
const ItemDetailSchema = Type.Object({ ...ItemFields, children: Type.Array(ItemSchema) });

const JobSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  state: Type.String(),
  progress: Nullable(Type.Record(Type.String(), Type.Unknown())),
  result: Nullable(Type.Record(Type.String(), Type.Unknown())),
  error: Nullable(Type.String()),
  attempts: Type.Integer(),
  created_at: IsoDate,
  started_at: NullableIsoDate,
  finished_at: NullableIsoDate,
});

const ItemsQuery = Type.Object(
  {
    parent_id: Type.Optional(Id),
    type: Type.Optional(ItemTypeSchema),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    watched: Type.Optional(Type.Boolean()),
    sort: Type.Optional(Type.Union([Type.Literal('title'), Type.Literal('added'), Type.Literal('year')])),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function sendBytes(reply: FastifyReply, headers: Record<string, string>, bytes: Buffer) {
  return reply.headers(headers).send(bytes);
}

function sendFile(reply: FastifyReply, response: FileResponse, streaming?: Set<ServerResponse>) {
  void reply.headers(response.headers);
  if (response.status === 416) throw new AppError('range_not_satisfiable');
  void reply.status(response.status);
  if (response.body === null) return reply.send();
  if (streaming) {
    const res = reply.raw;
    streaming.add(res);
    res.once('close', () => streaming.delete(res));
  }
  return reply.send(response.body);
}

export function mediaRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // A film being watched is one response for hours: stopping the server ends it rather than wait for it.
  const streaming = new Set<ServerResponse>();
  fastify.addHook('preClose', async () => {
    for (const res of streaming) res.destroy();
  });
  const viewer = requireAuth;

  // ---- libraries ----------------------------------------------------------------------------------

  app.get(
    '/api/v1/libraries',
    { config: { scope: 'media:read' }, schema: { tags: ['media'], response: { 200: Type.Array(LibrarySchema), ...errors(401, 403) } } },
    async (request) => listLibraries(deps, viewer(request)),
  );

  app.post(
    '/api/v1/libraries',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['media'],
        body: Body({
          name: Label({ minLength: 1, maxLength: 100 }),
          kind: LibraryKindSchema,
          paths: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { minItems: 1, maxItems: MAX_LIBRARY_PATHS }),
        }),
        response: { 201: LibrarySchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await createLibrary(deps, request.body, request.now)),
  );

  app.get(
    '/api/v1/libraries/:id',
    { config: { scope: 'media:read' }, schema: { tags: ['media'], params: IdParams, response: { 200: LibrarySchema, ...errors(401, 403, 404) } } },
    async (request) => getLibrary(deps, viewer(request), request.params.id),
  );

  app.patch(
    '/api/v1/libraries/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['media'],
        params: IdParams,
        body: Body({ name: Type.Optional(Label({ minLength: 1, maxLength: 100 })) }),
        response: { 200: LibrarySchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => updateLibrary(deps, request.params.id, request.body, request.now),
  );

  app.delete(
    '/api/v1/libraries/:id',
    {
      config: { access: 'admin' },
      schema: { tags: ['media'], description: 'Forgets the library; its files are never touched.', params: IdParams, response: { 200: Ok, ...errors(401, 403, 404) } },
    },
    async (request) => {
      await removeLibrary(deps, request.params.id);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/libraries/:id/scan',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['media'],
        description: 'Queues a scan, or returns the one already queued or running for this library.',
        params: IdParams,
        body: Body({ probe: Type.Optional(Type.Boolean({ description: 'false: names only, no file is opened' })) }),
        response: { 202: Type.Object({ job_id: Type.String(), created: Type.Boolean() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const queued = await requestScan(deps, request.params.id, { probe: request.body.probe, createdBy: auth.userId }, request.now);
      if (!queued) throw new AppError('not_found');
      return reply.status(202).send({ job_id: queued.jobId, created: queued.created });
    },
  );

  app.get(
    '/api/v1/libraries/:id/scan',
    {
      config: { access: 'admin' },
      schema: { tags: ['media'], params: IdParams, response: { 200: Type.Object({ job: Nullable(JobSchema) }), ...errors(401, 403, 404) } },
    },
    async (request) => {
      const library = await requireVisibleLibrary(deps, viewer(request), request.params.id);
      const job = await latestScanJob(deps, library);
      return { job: job ? toJobView(job) : null };
    },
  );

  app.get(
    '/api/v1/libraries/:id/scan/:jobId',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['media'],
        params: Type.Object({ id: Id, jobId: Id }),
        response: { 200: Type.Object({ job: JobSchema }), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const job = await getJob(deps, request.params.jobId);
      if (job?.type !== 'library.scan' || (JSON.parse(job.payload) as { libraryId?: string }).libraryId !== request.params.id) {
        throw new AppError('not_found');
      }
      return { job: toJobView(job) };
    },
  );

  app.get(
    '/api/v1/admin/users/:id/libraries',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], params: IdParams, response: { 200: Type.Object({ library_ids: Type.Array(Type.String()) }), ...errors(401, 403, 404) } },
    },
    async (request) => ({ library_ids: await userLibraryGrants(deps, request.params.id) }),
  );

  app.put(
    '/api/v1/admin/users/:id/libraries',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        description: 'Replaces the libraries a member may see.',
        params: IdParams,
        body: Body({ library_ids: Type.Array(Id, { maxItems: 1000 }) }),
        response: { 200: Type.Object({ library_ids: Type.Array(Type.String()) }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => ({ library_ids: await setUserLibraryGrants(deps, request.params.id, request.body.library_ids, request.now) }),
  );

  // ---- browsing -----------------------------------------------------------------------------------

  app.get(
    '/api/v1/libraries/:id/items',
    {
      config: { scope: 'media:read' },
      schema: {
        tags: ['media'],
        description:
          'Without parent_id, type or q: the top of the library (movies, shows, artists, videos). parent_id lists its children in order.',
        params: IdParams,
        querystring: ItemsQuery,
        response: {
          200: Type.Object({ items: Type.Array(ItemSchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const q = request.query;
      return listLibraryItems(deps, viewer(request), request.params.id, {
        parentId: q.parent_id,
        type: q.type,
        q: q.q,
        watched: q.watched,
        sort: q.sort,
        order: q.order,
        limit: q.limit,
        offset: q.offset,
      });
    },
  );

  app.get(
    '/api/v1/items/:id',
    { config: { scope: 'media:read' }, schema: { tags: ['media'], params: IdParams, response: { 200: ItemDetailSchema, ...errors(401, 403, 404) } } },
    async (request) => getItem(deps, viewer(request), request.params.id),
  );

  app.get(
    '/api/v1/search',
    {
      config: { scope: 'media:read' },
      schema: {
        tags: ['media'],
        querystring: Type.Object(
          { q: Type.String({ minLength: 1, maxLength: 200 }), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(ItemSchema) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => ({ items: await searchItems(deps, viewer(request), request.query.q, request.query.limit) }),
  );

  app.put(
    '/api/v1/items/:id/progress',
    {
      config: { scope: 'media:stream' },
      schema: {
        tags: ['media'],
        params: IdParams,
        body: Body({
          position_seconds: Type.Optional(Type.Number({ minimum: 0, maximum: 1e7 })),
          watched: Type.Optional(Type.Boolean()),
        }),
        response: { 200: ItemSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => setProgress(deps, viewer(request), request.params.id, request.body, request.now),
  );

  app.get(
    '/api/v1/me/continue-watching',
    {
      config: { scope: 'media:read' },
      schema: {
        tags: ['media'],
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(ItemSchema) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => ({ items: await continueWatching(deps, viewer(request), request.query.limit) }),
  );

  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/v1/items/:id/artwork',
    config: { scope: 'media:read' },
    schema: {
      tags: ['media'],
      params: IdParams,
      querystring: Type.Object({ kind: Type.Optional(Type.Union([Type.Literal('poster'), Type.Literal('fanart')])) }, { additionalProperties: false }),
      response: errors(400, 401, 403, 404),
    },
    handler: async (request, reply) => {
      const source = await artworkSource(deps, viewer(request), request.params.id, request.query.kind ?? 'poster');
      const caching = { 'cache-control': 'private, max-age=3600' };
      if (source.embeddedIn !== null) {
        const cover = await embeddedCoverInside(source.embeddedIn, libraryPaths(source.library));
        if (!cover) throw new AppError('not_found');
        return sendBytes(reply, { ...caching, 'content-type': cover.mime }, Buffer.from(cover.data));
      }
      const response = await fileResponse({
        path: source.file!,
        roots: libraryPaths(source.library),
        method: request.method,
        contentType: mediaTypeOf(source.file!)?.mime ?? 'application/octet-stream',
        ifNoneMatch: headerOf(request, 'if-none-match'),
        random: deps.random,
        headers: caching,
      });
      if (!response) throw new AppError('not_found');
      return sendFile(reply, response);
    },
  });

  // ---- streaming ----------------------------------------------------------------------------------

  app.post(
    '/api/v1/items/:id/stream-url',
    {
      config: { scope: 'media:stream' },
      schema: {
        tags: ['media'],
        description: `A URL for players that cannot send headers: it plays this item only, for at most ${STREAM_TOKEN_MAX_SECONDS / 3600} hours, and stops working when this session ends.`,
        params: IdParams,
        body: Body({ expires_in_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: STREAM_TOKEN_MAX_SECONDS })) }),
        response: { 200: Type.Object({ url: Type.String(), expires_at: IsoDate }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const { item } = await streamTarget(deps, auth, request.params.id);
      const { token, expiresAt } = issueStreamToken(deps, auth, item.id, request.now, request.body.expires_in_seconds ?? STREAM_TOKEN_DEFAULT_SECONDS);
      const url = new URL(`/api/v1/items/${encodeURIComponent(item.id)}/stream`, deps.config.publicUrl);
      url.searchParams.set('st', token);
      return { url: url.toString(), expires_at: expiresAt.toISOString() };
    },
  );

  // HEAD is declared, not derived from GET: a derived HEAD route would answer Content-Length: 0.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/v1/items/:id/stream',
    // Players that cannot send headers use `?st=` (POST /items/:id/stream-url); the auth hook checks it.
    config: { scope: 'media:stream', urlToken: true },
    schema: {
      tags: ['media'],
      description: 'The file, with HTTP ranges. Signed in (scope media:stream), or `?st=` from POST /items/:id/stream-url.',
      params: IdParams,
      querystring: Type.Object({ st: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })) }),
      response: errors(400, 401, 403, 404, 416),
    },
    handler: async (request, reply) => {
      const { item, library, path } = await streamTarget(deps, requireAuth(request), request.params.id);
      const response = await fileResponse({
        path,
        roots: libraryPaths(library),
        method: request.method,
        contentType: item.mime ?? mediaTypeOf(path)?.mime ?? 'application/octet-stream',
        range: headerOf(request, 'range'),
        ifRange: headerOf(request, 'if-range'),
        ifNoneMatch: headerOf(request, 'if-none-match'),
        random: deps.random,
        headers: { 'cache-control': 'private, no-cache' },
      });
      if (!response) throw new AppError('not_found');
      return sendFile(reply, response, streaming);
    },
  });
}
