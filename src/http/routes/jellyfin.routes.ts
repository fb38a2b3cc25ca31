// The Jellyfin door: Jellyfin's HTTP API under /jellyfin, as its apps call it, translated into calls on
// Hearth's own domain. Every token goes through the one check in the auth hook (S90); tokens in URLs only on
// stream and image routes (S93); nothing lists users (S94); no administration is offered.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Deps } from '../../deps.ts';
import type { AppScope } from '../../accounts/scopes.ts';
import { AppError } from '../../errors.ts';
import { jellyfinClientInfo } from '../../jellyfin/authorization.ts';
import {
  artists,
  episodes,
  getItem,
  itemUserData,
  latestItems,
  listItems,
  markFavorite,
  markPlayed,
  nextUp,
  playableRow,
  reportPosition,
  resumeItems,
  searchHints,
  seasons,
  views,
} from '../../jellyfin/browse.ts';
import { publicSystemInfo, queryResult, serverId, userDto } from '../../jellyfin/dto.ts';
import { fromJellyfinId } from '../../jellyfin/ids.ts';
import { playbackInfo } from '../../jellyfin/playback.ts';
import { JellyfinQuery } from '../../jellyfin/query.ts';
import {
  authorizeQuickConnect,
  initiateQuickConnect,
  quickConnectState,
  signInWithQuickConnect,
} from '../../jellyfin/quick-connect.ts';
import { authenticationResult, sessionInfo, signInByName, signOutApp } from '../../jellyfin/sign-in.ts';
import { artworkSource, streamTarget } from '../../media/browse.ts';
import { libraryPaths } from '../../media/libraries.ts';
import { mediaTypeOf } from '../../media/media-types.ts';
import { embeddedCoverInside, fileResponse, type FileResponse } from '../../media/stream.ts';
import { requestContext, requireAuth } from '../auth.ts';

const PREFIX = '/jellyfin';
/** Jellyfin's bodies are PascalCase objects with many optional fields: any object is taken, and read by name. */
const LooseBody = { type: 'object' };

interface RouteOptions {
  access?: 'public' | 'user';
  scope?: AppScope;
  /** Stream and image routes: the token may come as api_key/ApiKey (S93). */
  urlToken?: boolean;
  bodyLimit?: number;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function jellyfinRoutes(fastify: FastifyInstance, deps: Deps): void {
  // A scope of its own for bodies: apps post nothing with any content type (axios says form-urlencoded), which is
  // an empty object here; anything else must be JSON.
  void fastify.register(async (app) => {
    app.removeContentTypeParser('application/json');
    const parse = (
      _request: FastifyRequest,
      body: string | Buffer,
      done: (err: Error | null, body?: unknown) => void,
    ) => {
      const text = body.toString().trim();
      if (text === '') return done(null, {});
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new AppError('invalid_json'), undefined);
      }
    };
    app.addContentTypeParser('application/json', { parseAs: 'string' }, parse);
    app.addContentTypeParser('*', { parseAs: 'string' }, parse);
    register(app, deps);
  });
}

function register(app: FastifyInstance, deps: Deps): void {
  const streaming = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of streaming) res.destroy();
  });

  const route = (
    methods: HTTPMethods | HTTPMethods[],
    paths: string | string[],
    options: RouteOptions,
    handler: Handler,
  ) => {
    const list = [methods].flat();
    // Reading and writing methods are separate routes: only the writing ones take a body.
    const groups = [list.filter((m) => m === 'GET' || m === 'HEAD'), list.filter((m) => m !== 'GET' && m !== 'HEAD')];
    for (const path of [paths].flat()) {
      for (const [i, group] of groups.entries()) {
        if (group.length === 0) continue;
        app.route({
          method: group,
          url: PREFIX + path.toLowerCase(),
          bodyLimit: options.bodyLimit,
          config: {
            access: options.access ?? 'user',
            scope: options.scope,
            jellyfin: true,
            appUrlToken: options.urlToken,
          },
          schema: { hide: true, ...(i === 1 ? { body: LooseBody } : {}) },
          handler,
        });
      }
    }
  };
  const viewer = requireAuth;
  const query = (request: FastifyRequest) => new JellyfinQuery(request.query);
  const body = (request: FastifyRequest) => new JellyfinQuery(request.body);
  const param = (request: FastifyRequest, name: string) => (request.params as Record<string, string>)[name] ?? '';
  /** A path's user id must be the caller's own: nobody reads another user's data through it. */
  const sameUser = (request: FastifyRequest) => {
    const userId = (request.params as Record<string, string>).userid;
    if (userId !== undefined && fromJellyfinId(userId) !== requireAuth(request).userId) throw new AppError('not_found');
  };
  const noContent = (reply: FastifyReply) => reply.status(204).send();
  const read: RouteOptions = { scope: 'media:read' };
  const play: RouteOptions = { scope: 'media:stream' };
  const empty = async (request: FastifyRequest) => {
    sameUser(request);
    return queryResult([], 0, 0);
  };

  // ---- without a token ---------------------------------------------------------------------------
  route('GET', '/System/Info/Public', { access: 'public' }, async () => publicSystemInfo(deps));
  route(['GET', 'POST'], '/System/Ping', { access: 'public' }, async () => 'Jellyfin Server');
  route('GET', '/Branding/Configuration', { access: 'public' }, async () => ({
    LoginDisclaimer: '',
    CustomCss: '',
    SplashscreenEnabled: false,
  }));
  route('GET', ['/Branding/Css', '/Branding/Css.css'], { access: 'public' }, async (_request, reply) =>
    reply.type('text/css').send(''),
  );
  // S94: nobody is listed to someone who has not signed in.
  route('GET', '/Users/Public', { access: 'public' }, async () => []);
  route('GET', '/QuickConnect/Enabled', { access: 'public' }, async () => true);

  route('POST', '/Users/AuthenticateByName', { access: 'public' }, async (request) => {
    const input = body(request);
    const username = input.string('Username');
    if (username === undefined) throw new AppError('bad_request', 'Username is required.');
    const client = jellyfinClientInfo(request.headers);
    const signedIn = await signInByName(
      deps,
      { username, pw: input.string('Pw') ?? '' },
      client,
      signInContext(request),
      request.now,
    );
    return authenticationResult(deps, signedIn, client, request.now);
  });

  route(['GET', 'POST'], '/QuickConnect/Initiate', { access: 'public' }, async (request) =>
    initiateQuickConnect(deps, jellyfinClientInfo(request.headers), requestContext(request), request.now),
  );
  route('GET', '/QuickConnect/Connect', { access: 'public' }, async (request) => {
    const secret = query(request).string('Secret');
    if (secret === undefined) throw new AppError('bad_request', 'Secret is required.');
    return quickConnectState(deps, secret, request.now);
  });
  route('POST', '/Users/AuthenticateWithQuickConnect', { access: 'public' }, async (request) => {
    const secret = body(request).string('Secret');
    if (secret === undefined) throw new AppError('bad_request', 'Secret is required.');
    const client = jellyfinClientInfo(request.headers);
    const signedIn = await signInWithQuickConnect(deps, secret, requestContext(request), request.now);
    return authenticationResult(deps, signedIn, client, request.now);
  });

  // ---- the signed-in app -------------------------------------------------------------------------
  route('POST', '/QuickConnect/Authorize', {}, async (request) => {
    const code = query(request).string('Code') ?? body(request).string('Code');
    if (code === undefined) throw new AppError('bad_request', 'Code is required.');
    return authorizeQuickConnect(deps, requireAuth(request), code, requestContext(request), request.now);
  });
  route('POST', '/Sessions/Logout', read, async (request, reply) => {
    await signOutApp(deps, requireAuth(request), signInContext(request), request.now);
    return noContent(reply);
  });
  route('GET', '/System/Info', read, async () => ({
    ...publicSystemInfo(deps),
    OperatingSystemDisplayName: '',
    HasPendingRestart: false,
    IsShuttingDown: false,
    SupportsLibraryMonitor: false,
    CanSelfRestart: false,
    CanLaunchWebBrowser: false,
    HasUpdateAvailable: false,
    TranscodingTempPath: '',
    CachePath: '',
    LogPath: '',
    InternalMetadataPath: '',
    ItemsByNamePath: '',
    ProgramDataPath: '',
    WebSocketPortNumber: 0,
    CompletedInstallations: [],
    EncoderLocation: 'System',
    SystemArchitecture: 'X64',
  }));
  route('GET', ['/Users/Me', '/Users/:userId'], read, async (request) => {
    sameUser(request);
    const auth = requireAuth(request);
    return userDto(serverId(deps), auth.user, auth.createdAt);
  });
  // An admin's list in Jellyfin; here only the caller, so no app door enumerates users.
  route('GET', '/Users', read, async (request) => {
    const auth = requireAuth(request);
    return [userDto(serverId(deps), auth.user, auth.createdAt)];
  });
  route('GET', '/Sessions', read, async (request) => {
    const auth = requireAuth(request);
    return [sessionInfo(serverId(deps), auth, jellyfinClientInfo(request.headers), request.now)];
  });
  route('POST', ['/Sessions/Capabilities', '/Sessions/Capabilities/Full'], read, async (_request, reply) =>
    noContent(reply),
  );

  route('GET', ['/UserViews', '/Users/:userId/Views'], read, async (request) => {
    sameUser(request);
    return views(deps, viewer(request));
  });
  route('GET', ['/UserViews/GroupingOptions', '/Users/:userId/GroupingOptions'], read, async (request) => {
    sameUser(request);
    return [];
  });
  route('GET', ['/Items', '/Users/:userId/Items'], read, async (request) => {
    sameUser(request);
    return listItems(deps, viewer(request), query(request));
  });
  route('GET', ['/UserItems/Resume', '/Users/:userId/Items/Resume'], read, async (request) => {
    sameUser(request);
    return resumeItems(deps, viewer(request), query(request));
  });
  route('GET', ['/Items/Latest', '/Users/:userId/Items/Latest'], read, async (request) => {
    sameUser(request);
    return latestItems(deps, viewer(request), query(request));
  });
  route('GET', ['/Items/:itemId', '/Users/:userId/Items/:itemId'], read, async (request) => {
    sameUser(request);
    return getItem(deps, viewer(request), param(request, 'itemid'));
  });
  route('GET', ['/UserItems/:itemId/UserData', '/Users/:userId/Items/:itemId/UserData'], read, async (request) => {
    sameUser(request);
    const id = fromJellyfinId(param(request, 'itemid'));
    if (id === null) throw new AppError('not_found');
    return itemUserData(deps, viewer(request), id);
  });
  route('GET', '/Shows/NextUp', read, async (request) => nextUp(deps, viewer(request), query(request)));
  route('GET', '/Shows/:seriesId/Seasons', read, async (request) =>
    seasons(deps, viewer(request), param(request, 'seriesid')),
  );
  route('GET', '/Shows/:seriesId/Episodes', read, async (request) =>
    episodes(deps, viewer(request), param(request, 'seriesid'), query(request)),
  );
  route('GET', ['/Artists', '/Artists/AlbumArtists'], read, async (request) =>
    artists(deps, viewer(request), query(request)),
  );
  route('GET', '/Search/Hints', read, async (request) => searchHints(deps, viewer(request), query(request)));

  // Hearth keeps no genres, studios, people, trailers or similar-item data: empty, as Jellyfin answers with none.
  route(
    'GET',
    [
      '/Genres',
      '/MusicGenres',
      '/Studios',
      '/Persons',
      '/Shows/Upcoming',
      '/Movies/Recommendations',
      '/Items/Suggestions',
      '/Items/:itemId/Similar',
      '/Shows/:seriesId/Similar',
      '/Movies/:itemId/Similar',
      '/Items/:itemId/Intros',
      '/Users/:userId/Items/:itemId/Intros',
    ],
    read,
    empty,
  );
  route(
    'GET',
    [
      '/Items/:itemId/SpecialFeatures',
      '/Items/:itemId/LocalTrailers',
      '/Users/:userId/Items/:itemId/SpecialFeatures',
      '/Users/:userId/Items/:itemId/LocalTrailers',
    ],
    read,
    async (request) => {
      sameUser(request);
      return [];
    },
  );
  route('GET', '/Items/Filters', read, async () => ({ Genres: [], Tags: [], OfficialRatings: [], Years: [] }));
  route('GET', '/Items/Filters2', read, async () => ({ Genres: [], Tags: [] }));
  route('GET', '/DisplayPreferences/:id', read, async (request) => ({
    Id: param(request, 'id'),
    SortBy: 'SortName',
    RememberIndexing: false,
    PrimaryImageHeight: 0,
    PrimaryImageWidth: 0,
    CustomPrefs: {},
    ScrollDirection: 'Horizontal',
    ShowBackdrop: true,
    RememberSorting: false,
    SortOrder: 'Ascending',
    ShowSidebar: false,
    Client: query(request).string('Client') ?? '',
  }));
  // Display preferences are not kept: the app's own defaults return next time.
  route('POST', '/DisplayPreferences/:id', read, async (_request, reply) => noContent(reply));

  // ---- playing -----------------------------------------------------------------------------------
  route(['GET', 'POST'], '/Items/:itemId/PlaybackInfo', { ...play, bodyLimit: 512 * 1024 }, async (request) => {
    const input = body(request);
    const profile =
      (request.body as Record<string, unknown> | undefined)?.DeviceProfile ??
      (request.body as Record<string, unknown> | undefined)?.deviceProfile;
    const q = query(request);
    return playbackInfo(deps, viewer(request), param(request, 'itemid'), {
      profile,
      enableDirectPlay: input.bool('EnableDirectPlay') ?? q.bool('EnableDirectPlay'),
      enableDirectStream: input.bool('EnableDirectStream') ?? q.bool('EnableDirectStream'),
      enableTranscoding: input.bool('EnableTranscoding') ?? q.bool('EnableTranscoding'),
      maxStreamingBitrate: input.number('MaxStreamingBitrate', 1, 1e12) ?? q.number('MaxStreamingBitrate', 1, 1e12),
      startTimeTicks: input.number('StartTimeTicks', 0, 1e15) ?? q.number('StartTimeTicks', 0, 1e15),
      playSessionId: deps.random(16).toString('hex'),
    });
  });
  const position = async (request: FastifyRequest) => {
    const input = body(request);
    const ticks = input.number('PositionTicks', 0, 1e15) ?? query(request).number('PositionTicks', 0, 1e15);
    await reportPosition(deps, viewer(request), input.string('ItemId') ?? param(request, 'itemid'), ticks, request.now);
  };
  route(
    'POST',
    ['/Sessions/Playing', '/Sessions/Playing/Progress', '/Sessions/Playing/Stopped'],
    play,
    async (request, reply) => {
      await position(request);
      return noContent(reply);
    },
  );
  route('POST', '/Sessions/Playing/Ping', play, async (_request, reply) => noContent(reply));
  route(
    ['POST', 'DELETE'],
    [
      '/Users/:userId/PlayingItems/:itemId',
      '/PlayingItems/:itemId',
      '/Users/:userId/PlayingItems/:itemId/Progress',
      '/PlayingItems/:itemId/Progress',
    ],
    play,
    async (request, reply) => {
      sameUser(request);
      await position(request);
      return noContent(reply);
    },
  );
  route(
    ['POST', 'DELETE'],
    ['/UserPlayedItems/:itemId', '/Users/:userId/PlayedItems/:itemId'],
    play,
    async (request) => {
      sameUser(request);
      return markPlayed(deps, viewer(request), param(request, 'itemid'), request.method === 'POST', request.now);
    },
  );
  route(
    ['POST', 'DELETE'],
    ['/UserFavoriteItems/:itemId', '/Users/:userId/FavoriteItems/:itemId'],
    read,
    async (request) => {
      sameUser(request);
      return markFavorite(deps, viewer(request), param(request, 'itemid'), request.method === 'POST', request.now);
    },
  );

  // The file as it is, with ranges: what Jellyfin calls direct play (static=true) and direct stream.
  const stream: Handler = async (request, reply) => {
    const name = param(request, 'file').toLowerCase();
    if (name !== 'universal' && name !== 'stream' && !/^stream\.[a-z0-9]{1,8}$/.test(name))
      throw new AppError('not_found');
    const row = await playableRow(deps, viewer(request), param(request, 'itemid'));
    const { item, library, path } = await streamTarget(deps, viewer(request), row.id);
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
  };
  route(['GET', 'HEAD'], ['/Videos/:itemId/:file', '/Audio/:itemId/:file'], { ...play, urlToken: true }, stream);

  // Artwork as the library holds it (Primary = poster or cover, Backdrop and Thumb = fan art).
  const image: Handler = async (request, reply) => {
    const type = param(request, 'type').toLowerCase();
    const kind = type === 'primary' ? 'poster' : type === 'backdrop' || type === 'thumb' ? 'fanart' : null;
    const id = fromJellyfinId(param(request, 'itemid'));
    if (kind === null || id === null) throw new AppError('not_found');
    const source = await artworkSource(deps, viewer(request), id, kind);
    const caching = { 'cache-control': 'private, max-age=3600' };
    if (source.embeddedIn !== null) {
      const cover = await embeddedCoverInside(source.embeddedIn, libraryPaths(source.library));
      if (!cover) throw new AppError('not_found');
      return reply.headers({ ...caching, 'content-type': cover.mime }).send(Buffer.from(cover.data));
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
  };
  route(
    ['GET', 'HEAD'],
    ['/Items/:itemId/Images/:type', '/Items/:itemId/Images/:type/:index'],
    { ...read, urlToken: true },
    image,
  );
}

function signInContext(request: FastifyRequest) {
  return { ...requestContext(request), userAgent: headerOf(request, 'user-agent') };
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
