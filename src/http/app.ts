// buildApp makes the HTTP app and never listens (tests call app.inject or listen themselves).
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Deps } from '../deps.ts';
import { errorCodes } from '../errors.ts';
import { registerAuth } from './auth.ts';
import { redactUrl } from './redact.ts';
import { answerClientError, errorHandler } from './errors.ts';
import { canonicalApiUrl, refuseForeignCharset } from './request-forms.ts';
import { registerRoutes } from './routes/index.ts';
import { Body } from './schemas.ts';
import { addSecurityHeaders, setSecurityHeaders } from './security-headers.ts';
import { validatorCompiler } from './validation.ts';

export const WEB_DIST = join(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The API's paths; everything else is the web app and its files. */
function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || isJellyfinPath(path);
}

function isJellyfinPath(path: string): boolean {
  const lower = path.slice(0, 10).toLowerCase();
  return lower === '/jellyfin' || lower.startsWith('/jellyfin/');
}

/** Jellyfin's paths are case-insensitive (apps send /Users/Me and /users/me): its routes are registered in lower case. */
function lowerJellyfinPath(url: string): string {
  if (!isJellyfinPath(url)) return url;
  const at = url.indexOf('?');
  return at === -1 ? url.toLowerCase() : url.slice(0, at).toLowerCase() + url.slice(at);
}

/**
 * Whether a request is for the API: from the route the router matched, or else from the path decoded as the
 * router decodes it, never from the raw URL (`/%61pi/v1/me` runs `/api/v1/me`). A path that does not decode
 * is not a page of the web app either.
 */
function isApiRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined) return isApiPath(route);
  const rawPath = request.url.split('?', 1)[0] ?? '';
  try {
    return isApiPath(decodeURIComponent(rawPath));
  } catch {
    return true;
  }
}

export interface BuildAppOptions {
  webDist?: string | null;
}

export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // One overload per kind of value: the union is narrowed to one of them for the type checker.
    trustProxy: deps.config.trustProxy as boolean,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // `//api/…` and `/API/…` are the API, not a page of the web app.
    rewriteUrl: (req) => lowerJellyfinPath(canonicalApiUrl(req.url ?? '/')),
    // A URL the router cannot decode gets the same error shape and headers as every other answer (S80, S82).
    frameworkErrors: (_error, _request, frameworkReply) => {
      const reply = frameworkReply as FastifyReply;
      setSecurityHeaders(reply, deps.config.secure);
      void reply.status(400).send({ error: { code: 'bad_request', message: 'The request URL is malformed.' } });
    },
    // Requests that fail before routing (431, a malformed header line) too, instead of Fastify's bare default.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, deps.config.secure),
  });
  // JSON only: a text/plain body is what a cross-site form can send without asking (S22, S80).
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(errorHandler(deps));
  app.addHook('onRequest', refuseForeignCharset);
  addSecurityHeaders(app, deps.config.secure);
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    // A route that takes no input still refuses one it was not built for: unknown fields get a 400 (S80).
    if (methods.some((m) => !SAFE_METHODS.has(m)) && route.schema?.body === undefined) {
      route.schema = { ...route.schema, body: Body({}) };
    }
    // Pages and their assets hold no data and must load before anyone has signed in.
    if (!isApiPath(route.url) && route.config?.access === undefined) {
      route.config = { ...route.config, access: 'public' };
    }
  });
  // One line per answered request at debug level; URL credentials never reach it (S93).
  app.addHook('onResponse', async (request, reply) => {
    if (!deps.log.isLevelEnabled('debug')) return;
    request.log.debug(
      {
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
  // No body at all is an empty object, so `{}` and nothing mean the same to a route whose fields are optional.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && !SAFE_METHODS.has(request.method)) request.body = {};
  });
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Hearth API',
        version: '1',
        description:
          'Errors are {"error":{"code","message"}}. Codes: ' +
          Object.entries(errorCodes)
            .map(([code, [status]]) => `${code} (${status})`)
            .join(', '),
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'hearth_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
  });
  registerAuth(app, deps);

  registerRoutes(app, deps);

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  const webDist = options.webDist === undefined ? WEB_DIST : options.webDist;
  const serveWeb = webDist !== null && existsSync(join(webDist, 'index.html'));
  if (serveWeb) {
    await app.register(fastifyStatic, {
      root: webDist,
      prefix: '/',
      wildcard: false,
      index: false,
      cacheControl: false,
      setHeaders: (res, path) => {
        // Only the build's assets/ folder has content-hashed names. Asked of the path inside the web folder, since
        // the install path may itself hold a folder named assets (/srv/assets/hearth/web/dist).
        const hashed = relative(webDist, path).startsWith(`assets${sep}`);
        res.header('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  app.setNotFoundHandler((request, reply) => {
    if (serveWeb && (request.method === 'GET' || request.method === 'HEAD') && !isApiRequest(request)) {
      return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
    }
    return reply.status(404).send({ error: { code: 'not_found', message: 'Not found.' } });
  });
  return app;
}
