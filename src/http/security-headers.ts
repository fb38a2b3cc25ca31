// Security headers on every response (S82).
import type { FastifyInstance, FastifyReply } from 'fastify';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export function addSecurityHeaders(app: FastifyInstance, secure: boolean): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    setSecurityHeaders(reply, secure);
    return payload;
  });
}

/** The headers every answer carries, as a plain map: answers written on the raw socket send the same list. */
export function securityHeaders(secure: boolean): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    // Reset and invite links carry their token in the fragment; no page leaks its URL onward (S30).
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), interest-cohort=()',
    ...(secure ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
}

export function setSecurityHeaders(reply: FastifyReply, secure: boolean): void {
  reply.headers(securityHeaders(secure));
  // Nothing is stored unless what answered says it may be (static files and the web app page set their own).
  // Failing closed beats asking "is this the API?": the raw URL said no to /%61pi/v1/me, which the router runs as /api/v1/me.
  if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
}
