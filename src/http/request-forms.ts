// Requests in unusual forms: API paths spelt `//api/…` or `/API/…` reach the API (never the web app's
// pages), and a body in a charset other than UTF-8 is refused before anything reads it as UTF-8.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

const API_PREFIX = /^\/+api(?=\/|\?|$)/i;

/** Fastify's rewriteUrl: the API prefix in any case and with any run of slashes becomes `/api`. */
export function canonicalApiUrl(url: string): string {
  if (!API_PREFIX.test(url)) return url;
  const rest = url.replace(API_PREFIX, '');
  const query = rest.indexOf('?');
  const path = query === -1 ? rest : rest.slice(0, query);
  return `/api${path.replace(/\/{2,}/g, '/')}${query === -1 ? '' : rest.slice(query)}`;
}

const UTF8 = /^"?utf-?8"?$/i;

/** onRequest: 415 unsupported_charset for a body declared in any charset but UTF-8. */
export async function refuseForeignCharset(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  if (typeof type !== 'string') return;
  const match = /;\s*charset\s*=\s*("[^"]*"|[^;\s]*)/i.exec(type);
  if (match && !UTF8.test(match[1]!.trim())) throw new AppError('unsupported_charset');
}
