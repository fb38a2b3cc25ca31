// The auth hook: finds the caller's token (Bearer header or session cookie), asks the one door in
// accounts/, and enforces each route's declared needs: role, app-password scope, fresh proof, CSRF.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate, hasFreshAuth, type AuthContext } from '../accounts/sessions.ts';
import type { AppScope } from '../accounts/scopes.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { ROLE_RANK, type Role } from '../store/schema.ts';
import { JELLYFIN_URL_TOKEN_PARAMS, jellyfinHeaderToken } from '../jellyfin/authorization.ts';

export type RouteAccess = 'public' | 'user' | 'admin' | 'owner';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
    authVia: 'cookie' | 'bearer' | null;
    now: Date;
  }
  interface FastifyContextConfig {
    /** Who may call the route; default 'user'. */
    access?: RouteAccess;
    /** The app-password scope that allows this route; without one, app passwords are refused. */
    scope?: AppScope;
    /** Needs a password or factor proven within the last 10 minutes (S27). */
    fresh?: boolean;
    /** A Jellyfin route: the token may also come in the apps' own headers (MediaBrowser, X-Emby-Token). */
    jellyfin?: boolean;
    /** The token may come in the URL (`api_key`, `ApiKey`): only stream, image and subtitle routes of app doors (S93). */
    urlToken?: boolean;
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

/** A token in the URL, on routes that allow one (players that cannot send headers). */
function urlToken(request: FastifyRequest): string | null {
  const query = request.query as Record<string, unknown> | undefined;
  if (!query) return null;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string' && JELLYFIN_URL_TOKEN_PARAMS.some((p) => p.toLowerCase() === name.toLowerCase())) return value;
  }
  return null;
}

/** The token a request carries outside cookies: Bearer, or on app-door routes the app's own header or URL form. */
function headerOrUrlToken(request: FastifyRequest, config: { jellyfin?: boolean; urlToken?: boolean }): string | null {
  const bearer = bearerToken(request);
  if (bearer || !config.jellyfin) return bearer;
  return jellyfinHeaderToken(request.headers) ?? (config.urlToken ? urlToken(request) : null);
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
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
    const bearer = headerOrUrlToken(request, config);
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

    if (token) {
      request.auth = await authenticate(deps, token, request.now, request.ip);
      request.authVia = request.auth ? (bearer ? 'bearer' : 'cookie') : null;
      // A bearer token that opens nothing says so (not the plain 401 of a missing one), so the client knows to sign in
      // again; a public route answers as it would to anyone.
      if (!request.auth && bearer && access !== 'public') throw new AppError('unauthorized', 'This token is not valid: sign in again.');
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
    for (const check of deps.hooks.requestGuards) await check(deps, auth, { method: request.method, url: request.routeOptions.url });
  });
}

/** The caller on a route whose access is not 'public'. */
export function requireAuth(request: FastifyRequest): AuthContext {
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
