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

export function setSecurityHeaders(reply: FastifyReply, secure: boolean): void {
  reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  reply.header('X-Content-Type-Options', 'nosniff');
  // Reset and invite links carry their token in the fragment; no page leaks its URL onward (S30).
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  reply.header('Cross-Origin-Resource-Policy', 'same-origin');
  reply.header('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), interest-cohort=()');
  if (secure) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  // Nothing is stored unless what answered says it may be (static files and the web app page set their own).
  // Failing closed beats asking "is this the API?": the raw URL said no to /%61pi/v1/me, which the router runs as /api/v1/me.
  if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
}
