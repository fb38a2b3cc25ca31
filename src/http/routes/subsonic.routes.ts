// The Subsonic door: /rest/<method> and /rest/<method>.view, GET and form POST, answered in the Subsonic XML
// schema or its JSON form. Every answer is HTTP 200 with a Subsonic status, as apps expect; nothing here
// answers a 500. The credential check is the one token check (src/subsonic/auth.ts → authenticate).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { subsonicCaller } from '../../subsonic/auth.ts';
import { EXTENSIONS, findMethod, PUBLIC_METHODS, type Call, type Params } from '../../subsonic/methods.ts';
import { ERROR, SubsonicError, errorBody, okBody, render, type Format, type Node } from '../../subsonic/render.ts';
import { requestContext } from '../auth.ts';

const MAX_PARAMS = 2000;

function paramsOf(request: FastifyRequest): Params {
  const params: Params = new Map();
  const add = (search: URLSearchParams) => {
    let n = 0;
    for (const [key, value] of search) {
      if (++n > MAX_PARAMS) break;
      const list = params.get(key);
      if (list) list.push(value);
      else params.set(key, [value]);
    }
  };
  const query = request.url.indexOf('?');
  if (query >= 0) add(new URLSearchParams(request.url.slice(query + 1)));
  if (typeof request.body === 'string') add(new URLSearchParams(request.body));
  return params;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function send(reply: FastifyReply, format: Format, body: Node) {
  const { contentType, text } = render(format, body);
  return reply.status(200).header('content-type', contentType).header('cache-control', 'no-store').send(text);
}

/** AppErrors from the domain, as Subsonic codes. */
function codeOf(error: AppError): number {
  switch (error.code) {
    case 'not_found':
      return ERROR.notFound;
    case 'forbidden':
    case 'insufficient_scope':
      return ERROR.notAuthorized;
    case 'unauthorized':
      return ERROR.wrongCredentials;
    default:
      return ERROR.generic;
  }
}

export function subsonicRoutes(app: FastifyInstance, deps: Deps): void {
  void app.register(async (scope) => {
    // Form POST (OpenSubsonic formPost): the body is read as text and parsed with the query's rules.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_req, body, done) => done(null, body),
    );

    // The Subsonic schema (subsonic.org, opensubsonic.netlify.app) is this door's contract, not OpenAPI.
    scope.route({
      method: ['GET', 'HEAD'],
      url: '/rest/:method',
      config: { access: 'public' },
      schema: { hide: true },
      handler,
    });
    scope.route({
      method: 'POST',
      url: '/rest/:method',
      config: { access: 'public' },
      schema: { hide: true, body: {} },
      handler,
    });

    async function handler(request: FastifyRequest, reply: FastifyReply) {
      const params = paramsOf(request);
      const format: Format = params.get('f')?.[0] === 'json' ? 'json' : 'xml';
      const name = ((request.params as { method?: string }).method ?? '').replace(/\.view$/, '');
      try {
        const method = findMethod(name);
        const ctx = requestContext(request);
        const creds = {
          u: params.get('u')?.[0],
          p: params.get('p')?.[0],
          t: params.get('t')?.[0],
          s: params.get('s')?.[0],
          apiKey: params.get('apiKey')?.[0],
        };
        const anonymous =
          method !== undefined && PUBLIC_METHODS.has(name) && Object.values(creds).every((v) => v === undefined);
        const auth = anonymous ? null : await subsonicCaller(deps, creds, ctx, request.now);
        if (auth !== null) {
          for (const check of deps.hooks.requestGuards)
            await check(deps, auth, { method: request.method, url: '/rest/:method' });
        }
        if (!method) throw new SubsonicError(ERROR.notFound, `Unknown method: ${name}`);
        if (auth === null) return send(reply, format, okBody({ openSubsonicExtensions: EXTENSIONS }));
        const call: Call = {
          deps,
          auth,
          params,
          now: request.now,
          client: (params.get('c')?.[0] ?? '').slice(0, 100),
          http: {
            method: request.method,
            range: header(request, 'range'),
            ifRange: header(request, 'if-range'),
            ifNoneMatch: header(request, 'if-none-match'),
          },
        };
        const result = await method(call);
        switch (result.kind) {
          case 'body':
            return send(reply, format, okBody(result.body));
          case 'bytes':
            return reply
              .status(200)
              .header('content-type', result.contentType)
              .header('cache-control', 'private, max-age=3600')
              .send(result.data);
          case 'file': {
            const r = result.response;
            void reply.status(r.status).headers(r.headers);
            return r.body === null ? reply.send() : reply.send(r.body);
          }
          case 'stream':
            reply.raw.once('close', result.stop);
            return reply
              .status(200)
              .header('content-type', result.contentType)
              .header('cache-control', 'no-store')
              .send(result.body);
        }
      } catch (error) {
        if (error instanceof SubsonicError) {
          if (error.message.startsWith('Too many'))
            void reply.header('retry-after', error.message.replace(/\D+/g, ' ').trim().split(' ')[0]);
          return send(reply, format, errorBody(error.code, error.message));
        }
        if (error instanceof AppError) return send(reply, format, errorBody(codeOf(error), error.message));
        request.log.error({ err: error, method: name }, 'subsonic request failed');
        return send(reply, format, errorBody(ERROR.generic, 'Something went wrong on the server.'));
      }
    }
  });
}
