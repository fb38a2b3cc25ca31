// The auth hook: finds the caller's credential (Bearer header, session cookie, or a URL token on a route that
// allows one), asks the one door in accounts/, and enforces each route's needs: role, scope, fresh proof, CSRF.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../accounts/caller.ts';
import { authenticate, hasFreshAuth } from '../accounts/sessions.ts';
import { URL_TOKEN_PARAMETER } from '../accounts/stream-tokens.ts';
import type { AppScope } from '../accounts/scopes.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { ROLE_RANK } from '../store/schema.ts';
import { JELLYFIN_URL_TOKEN_PARAMS, jellyfinHeaderToken } from '../jellyfin/authorization.ts';

export type RouteAccess = 'public' | 'user' | 'admin' | 'owner';

declare module 'fastify' {
  interface FastifyRequest {
    auth: Caller | null;
    authVia: 'cookie' | 'bearer' | 'url' | null;
    now: Date;
  }
  interface FastifyContextConfig {
    /** Who may call the route; default 'user'. */
    access?: RouteAccess;
    /** The app-password scope that allows this route; without one, app passwords are refused. */
    scope?: AppScope;
    /** Needs a password or factor proven within the last 10 minutes (S27). */
    fresh?: boolean;
    /**
     * Also takes a stream URL token in the query (`?st=`), bound to the item in the route's `:id` parameter (S72):
     * for players that cannot send headers. Every other check of the route applies to its holder as to a session.
     */
    urlToken?: boolean;
    /** A Jellyfin route: the token comes in the apps' own headers (MediaBrowser, X-Emby-Token), never a cookie. */
    jellyfin?: boolean;
    /** A Jellyfin stream, image or subtitle route: the token may also come as `api_key`/`ApiKey` (S93). */
    appUrlToken?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function cookieNames(secure: boolean) {
  return {
    session: secure ? '__Host-hearth_session' : 'hearth_session',
    device: secure ? '__Host-hearth_device' : 'hearth_device',
  };
}

export function setSessionCookie(reply: FastifyReply, deps: Deps, token: string): void {
  const names = cookieNames(deps.config.secure);
  void reply.setCookie(names.session, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.config.secure,
    path: '/',
    maxAge: deps.config.sessionAbsoluteSeconds,
  });
}

export function setDeviceCookie(reply: FastifyReply, deps: Deps, marker: string): void {
  const names = cookieNames(deps.config.secure);
  void reply.setCookie(names.device, marker, {
    httpOnly: true,
    sameSite: 'lax',
    secure: deps.config.secure,
    path: '/',
    maxAge: 400 * 24 * 3600,
  });
}

export function clearSessionCookie(reply: FastifyReply, deps: Deps): void {
  const names = cookieNames(deps.config.secure);
  void reply.clearCookie(names.session, { path: '/', secure: deps.config.secure, httpOnly: true, sameSite: 'lax' });
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

/** The URL token of a request (`?st=`), if it carries one. */
function queryToken(request: FastifyRequest): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.[URL_TOKEN_PARAMETER];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The token an app door's route carries: the app's own header, or on stream and image routes its URL (S93). */
function appDoorToken(request: FastifyRequest, allowUrl: boolean): string | null {
  const header = bearerToken(request) ?? jellyfinHeaderToken(request.headers);
  if (header || !allowUrl) return header;
  const query = request.query as Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(query ?? {})) {
    if (typeof value === 'string' && value !== '' && JELLYFIN_URL_TOKEN_PARAMS.includes(name.toLowerCase()))
      return value;
  }
  return null;
}

/** True when the request comes from our own pages (the Origin the browser sent is the public URL's). */
export function isSameOrigin(request: FastifyRequest, deps: Deps): boolean {
  return request.headers.origin === deps.config.publicUrl.origin;
}

export function registerAuth(app: FastifyInstance, deps: Deps): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('authVia', null);
  app.decorateRequest('now', null as unknown as Date);
  const names = cookieNames(deps.config.secure);

  app.addHook('onRequest', async (request) => {
    // One clock reading per request, passed down.
    request.now = deps.clock();
    if (request.routeOptions.url === undefined) return;
    const config = request.routeOptions.config ?? {};
    const access = config.access ?? 'user';
    const urlToken = config.urlToken ? queryToken(request) : undefined;
    const appToken = config.jellyfin ? appDoorToken(request, config.appUrlToken === true) : null;
    const bearer = config.jellyfin ? appToken : bearerToken(request);
    // Apps at a door send their token themselves; the web session cookie opens nothing there.
    const cookie = bearer || config.jellyfin ? undefined : request.cookies[names.session];
    const token = bearer ?? cookie ?? null;
    const unsafe = !SAFE_METHODS.has(request.method);

    // CSRF (S22): a cookie rides along on its own, so a state change it carries must come from our pages.
    // Requests without credentials that still set state (sign-in, setup) refuse a foreign Origin too.
    if (unsafe && !bearer) {
      const origin = request.headers.origin;
      if (cookie !== undefined && origin !== deps.config.publicUrl.origin && access !== 'public') {
        throw new AppError('origin_mismatch');
      }
      if (origin !== undefined && origin !== deps.config.publicUrl.origin) throw new AppError('origin_mismatch');
    }

    if (urlToken !== undefined) {
      const itemId = (request.params as { id?: string } | undefined)?.id;
      request.auth = await authenticate(deps, urlToken, request.now, request.ip, { via: 'url', itemId });
      if (!request.auth)
        throw new AppError('unauthorized', 'This stream link is not valid for this item, or has expired.');
      request.authVia = 'url';
    } else if (token) {
      request.auth = await authenticate(deps, token, request.now, request.ip, {
        via: appToken ? 'app' : bearer ? 'header' : 'cookie',
      });
      request.authVia = request.auth ? (bearer ? 'bearer' : 'cookie') : null;
      // A bearer token that opens nothing says so (not the plain 401 of a missing one), so the client knows to sign in
      // again; a public route answers as it would to anyone.
      if (!request.auth && bearer && access !== 'public')
        throw new AppError('unauthorized', 'This token is not valid: sign in again.');
    }
    if (access === 'public') return;
    const auth = request.auth;
    if (!auth) throw new AppError('unauthorized');
    if (auth.scopes !== null && (!config.scope || !auth.scopes.includes(config.scope))) {
      throw new AppError('insufficient_scope');
    }
    if (access !== 'user' && ROLE_RANK[auth.role] < ROLE_RANK[access]) throw new AppError('forbidden');
    if (config.fresh && !hasFreshAuth(auth, request.now, deps.config.reauthWindowSeconds)) {
      throw new AppError('reauthentication_required');
    }
    for (const check of deps.hooks.requestGuards)
      await check(deps, auth, { method: request.method, url: request.routeOptions.url });
  });
}

/** The caller on a route whose access is not 'public'. */
export function requireAuth(request: FastifyRequest): Caller {
  if (!request.auth) throw new AppError('unauthorized');
  return request.auth;
}

export function requestContext(request: FastifyRequest) {
  return {
    ip: request.ip ?? null,
    userAgent: request.headers['user-agent'],
    device: null as string | null,
  };
}
