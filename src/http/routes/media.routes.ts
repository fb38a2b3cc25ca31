import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Type } from 'typebox';
import {
  STREAM_TOKEN_DEFAULT_SECONDS,
  STREAM_TOKEN_MAX_SECONDS,
  issueStreamToken,
} from '../../accounts/stream-tokens.ts';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { getJob, toJobView } from '../../jobs/runner.ts';
import {
  ITEM_TYPES,
  MAX_PAGE,
  artworkSource,
  continueWatching,
  homeRows,
  listCollections,
  withShows,
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
import { IMAGE_FITS, IMAGE_FORMATS, MAX_IMAGE_SIDE, resizedImage, type ResizedImage } from '../../media/images.ts';
import { mediaTypeOf } from '../../media/media-types.ts';
import { thumbnailRoot } from '../../media/thumbnails.ts';
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
  // issue 17: NFO and container metadata, versions, thumbnails
  version_label: Nullable(Type.String()),
  original_title: Nullable(Type.String()),
  plot: Nullable(Type.String()),
  tagline: Nullable(Type.String()),
  rating: Nullable(Type.Number()),
  certification: Nullable(Type.String()),
  premiered: Nullable(Type.String()),
  runtime_minutes: Nullable(Type.Integer()),
  genres: Type.Array(Type.String()),
  studios: Type.Array(Type.String()),
  tags: Type.Array(Type.String()),
  people: Type.Array(
    Type.Object({
      name: Type.String(),
      role: Nullable(Type.String()),
      kind: Type.Union([Type.Literal('actor'), Type.Literal('director'), Type.Literal('writer')]),
      thumb: Nullable(Type.String()),
    }),
  ),
  collection: Nullable(Type.String()),
  external_ids: Type.Record(Type.String(), Type.String()),
  chapters: Type.Array(
    Type.Object({ start_seconds: Type.Number(), end_seconds: Nullable(Type.Number()), title: Nullable(Type.String()) }),
  ),
  has_thumbnail: Type.Boolean(),
};
const ItemSchema = Type.Object(ItemFields);
const HomeItemSchema = Type.Object({
  ...ItemFields,
  show_id: Nullable(Type.String()),
  show_title: Nullable(Type.String()),
  season: Nullable(Type.Integer()),
});
const ItemDetailSchema = Type.Object({
  ...ItemFields,
  children: Type.Array(ItemSchema),
  parts: Type.Array(
    Type.Object({
      id: Type.String(),
      part: Type.Integer(),
      offset_seconds: Type.Number(),
      duration_seconds: Nullable(Type.Number()),
    }),
  ),
  versions: Type.Array(ItemSchema),
  total_duration_seconds: Nullable(Type.Number()),
});

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
    sort: Type.Optional(
      Type.Union([Type.Literal('title'), Type.Literal('added'), Type.Literal('year'), Type.Literal('rating')]),
    ),
    genre: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    year: Type.Optional(Type.Integer({ minimum: 1800, maximum: 2200 })),
    min_rating: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
    person: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Anyone credited: cast, director, writer' }),
    ),
    director: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    collection: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

const ArtworkQuery = Type.Object(
  {
    kind: Type.Optional(Type.Union([Type.Literal('poster'), Type.Literal('fanart'), Type.Literal('thumb')])),
    width: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_IMAGE_SIDE })),
    height: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_IMAGE_SIDE })),
    format: Type.Optional(Type.Enum(IMAGE_FORMATS)),
    quality: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    fit: Type.Optional(Type.Enum(IMAGE_FITS)),
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

function sendEmpty(reply: FastifyReply, status: number, headers: Record<string, string>) {
  return reply.status(status).headers(headers).send();
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
    {
      config: { scope: 'media:read' },
      schema: { tags: ['media'], response: { 200: Type.Array(LibrarySchema), ...errors(401, 403) } },
    },
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
          paths: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
            minItems: 1,
            maxItems: MAX_LIBRARY_PATHS,
          }),
        }),
        response: { 201: LibrarySchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await createLibrary(deps, request.body, request.now)),
  );

  app.get(
    '/api/v1/libraries/:id',
    {
      config: { scope: 'media:read' },
      schema: { tags: ['media'], params: IdParams, response: { 200: LibrarySchema, ...errors(401, 403, 404) } },
    },
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
      schema: {
        tags: ['media'],
        description: 'Forgets the library; its files are never touched.',
        params: IdParams,
        response: { 200: Ok, ...errors(401, 403, 404) },
      },
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
        response: {
          202: Type.Object({ job_id: Type.String(), created: Type.Boolean() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const queued = await requestScan(
        deps,
        request.params.id,
        { probe: request.body.probe, createdBy: auth.userId },
        request.now,
      );
      if (!queued) throw new AppError('not_found');
      return reply.status(202).send({ job_id: queued.jobId, created: queued.created });
    },
  );

  app.get(
    '/api/v1/libraries/:id/scan',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['media'],
        params: IdParams,
        response: { 200: Type.Object({ job: Nullable(JobSchema) }), ...errors(401, 403, 404) },
      },
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
      if (
        job?.type !== 'library.scan' ||
        (JSON.parse(job.payload) as { libraryId?: string }).libraryId !== request.params.id
      ) {
        throw new AppError('not_found');
      }
      return { job: toJobView(job) };
    },
  );

  app.get(
    '/api/v1/admin/users/:id/libraries',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        params: IdParams,
        response: { 200: Type.Object({ library_ids: Type.Array(Type.String()) }), ...errors(401, 403, 404) },
      },
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
    async (request) => ({
      library_ids: await setUserLibraryGrants(deps, request.params.id, request.body.library_ids, request.now),
    }),
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
          200: Type.Object({
            items: Type.Array(ItemSchema),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
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
        genre: q.genre,
        year: q.year,
        minRating: q.min_rating,
        person: q.person,
        director: q.director,
        collection: q.collection,
        limit: q.limit,
        offset: q.offset,
      });
    },
  );

  app.get(
    '/api/v1/items/:id',
    {
      config: { scope: 'media:read' },
      schema: { tags: ['media'], params: IdParams, response: { 200: ItemDetailSchema, ...errors(401, 403, 404) } },
    },
    async (request) => getItem(deps, viewer(request), request.params.id),
  );

  app.get(
    '/api/v1/search',
    {
      config: { scope: 'media:read' },
      schema: {
        tags: ['media'],
        querystring: Type.Object(
          {
            q: Type.String({ minLength: 1, maxLength: 200 }),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })),
          },
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
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(HomeItemSchema) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => ({
      items: await withShows(deps, await continueWatching(deps, viewer(request), request.query.limit)),
    }),
  );

  app.get(
    '/api/v1/me/home',
    {
      config: { scope: 'media:read' },
      schema: {
        tags: ['media'],
        description:
          'The home rows: continue watching, next up (the next episode of each show in progress), recently added per library.',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            continue_watching: Type.Array(HomeItemSchema),
            next_up: Type.Array(HomeItemSchema),
            recently_added: Type.Array(
              Type.Object({
                library_id: Type.String(),
                library_name: Type.String(),
                kind: Type.String(),
                items: Type.Array(HomeItemSchema),
              }),
            ),
          }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => homeRows(deps, viewer(request), request.query.limit),
  );

  app.get(
    '/api/v1/libraries/:id/collections',
    {
      config: { scope: 'media:read' },
      schema: {
        tags: ['media'],
        description: 'Collections (Kodi sets from NFO files); list one with GET /libraries/:id/items?collection=',
        params: IdParams,
        response: {
          200: Type.Object({ collections: Type.Array(Type.Object({ name: Type.String(), count: Type.Integer() })) }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => ({ collections: await listCollections(deps, viewer(request), request.params.id) }),
  );

  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/v1/items/:id/artwork',
    config: { scope: 'media:read' },
    schema: {
      tags: ['media'],
      params: IdParams,
      description: 'The original image; with width, height, format or quality, a copy made to measure (cached).',
      querystring: ArtworkQuery,
      response: errors(400, 401, 403, 404),
    },
    handler: async (request, reply) => {
      const q = request.query;
      const source = await artworkSource(deps, viewer(request), request.params.id, q.kind ?? 'poster');
      const caching = { 'cache-control': 'private, max-age=3600' };
      const roots = source.inThumbnails ? [await thumbnailRoot(deps)] : libraryPaths(source.library);
      if (q.width !== undefined || q.height !== undefined || q.format !== undefined || q.quality !== undefined) {
        const options = { width: q.width, height: q.height, format: q.format, quality: q.quality, fit: q.fit };
        let image: ResizedImage | null;
        if (source.embeddedIn !== null) {
          const cover = await embeddedCoverInside(source.embeddedIn, roots);
          image = cover
            ? await resizedImage(deps, { bytes: Buffer.from(cover.data), identity: source.embeddedIn }, options)
            : null;
        } else {
          image = await resizedImage(deps, { path: source.file!, roots }, options);
        }
        if (!image) throw new AppError('not_found');
        const headers = { ...caching, 'content-type': image.mime, etag: image.etag };
        if (
          headerOf(request, 'if-none-match')
            ?.split(',')
            .some((t) => t.trim().replace(/^W\//, '') === image.etag)
        ) {
          return sendEmpty(reply, 304, headers);
        }
        if (request.method === 'HEAD')
          return sendEmpty(reply, 200, { ...headers, 'content-length': String(image.data.length) });
        return sendBytes(reply, headers, image.data);
      }
      if (source.embeddedIn !== null) {
        const cover = await embeddedCoverInside(source.embeddedIn, roots);
        if (!cover) throw new AppError('not_found');
        return sendBytes(reply, { ...caching, 'content-type': cover.mime }, Buffer.from(cover.data));
      }
      const response = await fileResponse({
        path: source.file!,
        roots,
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
        body: Body({
          expires_in_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: STREAM_TOKEN_MAX_SECONDS })),
        }),
        response: { 200: Type.Object({ url: Type.String(), expires_at: IsoDate }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const { item } = await streamTarget(deps, auth, request.params.id);
      const { token, expiresAt } = issueStreamToken(
        deps,
        auth,
        item.id,
        request.now,
        request.body.expires_in_seconds ?? STREAM_TOKEN_DEFAULT_SECONDS,
      );
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
      description:
        'The file, with HTTP ranges. Signed in (scope media:stream), or `?st=` from POST /items/:id/stream-url.',
      params: IdParams,
      querystring: Type.Object({
        st: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
        part: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 99, description: 'A part of a movie in several files' }),
        ),
        version: Type.Optional(Id),
      }),
      response: errors(400, 401, 403, 404, 416),
    },
    handler: async (request, reply) => {
      const { item, library, path } = await streamTarget(deps, requireAuth(request), request.params.id, {
        part: request.query.part,
        version: request.query.version,
      });
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
