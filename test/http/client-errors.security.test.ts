// Requests that fail before Fastify routes them are answered on the socket by our own handler: the error
// shape with a stable code (S80) and the headers of every answer (S82), then the connection closes.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, type ErrorCode } from '../../src/errors.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (rather than the client giving up waiting). */
  closed: boolean;
}

function parseAnswer(text: string): Omit<RawAnswer, 'closed'> {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: text.slice(end + 4) };
}

/** Writes each part on one connection, waiting for an answer between them; gives what came back after the last. */
function rawHttp(port: number, ...parts: string[]): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    let sent = 0;
    const sendNext = () => {
      out = '';
      socket.write(parts[sent++]!);
    };
    socket.on('connect', sendNext);
    socket.on('data', (chunk) => {
      out += chunk.toString();
      const answer = out.indexOf('\r\n\r\n') >= 0 ? parseAnswer(out) : null;
      if (sent < parts.length && answer && Buffer.byteLength(answer.body) >= Number(answer.headers['content-length']))
        sendNext();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ ...parseAnswer(out), closed: true });
    });
    socket.on('error', reject);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ...parseAnswer(out), closed: false });
    }, 3000);
  });
}

function expectClientError(answer: RawAnswer, status: number, code: ErrorCode): void {
  expect(answer.status).toBe(status);
  expect(JSON.parse(answer.body)).toEqual({ error: { code, message: errorCodes[code][1] } });
  expect(errorCodes[code][0]).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
  expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
  expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(answer.headers['x-content-type-options']).toBe('nosniff');
  expect(answer.headers['referrer-policy']).toBe('no-referrer');
  expect(answer.headers['x-frame-options']).toBe('DENY');
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(answer.headers.connection).toBe('close');
  expect(answer.closed).toBe(true);
}

describe('requests that fail before routing (S80, S82)', () => {
  let s: TestServer;
  let port: number;
  beforeAll(async () => {
    s = await startTestServer();
    port = (s.app.server.address() as { port: number }).port;
  });
  afterAll(async () => s?.close());

  it('S80/S82: headers over the limit get 431 headers_too_large in the error shape, with the security headers', async () => {
    const answer = await rawHttp(
      port,
      `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expectClientError(answer, 431, 'headers_too_large');
  });

  it('S80/S82: a malformed header line gets 400 bad_request in the error shape, with the security headers', async () => {
    expectClientError(
      await rawHttp(port, 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'),
      400,
      'bad_request',
    );
  });

  it('S80/S82: a malformed request line gets 400 bad_request in the error shape, with the security headers', async () => {
    expectClientError(await rawHttp(port, 'NOT AN HTTP REQUEST\r\n\r\n'), 400, 'bad_request');
  });

  it('S80/S82: a malformed request after a good one on the same connection gets the same answer', async () => {
    const answer = await rawHttp(
      port,
      'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
    );
    expectClientError(answer, 400, 'bad_request');
  });

  it('S82: under https the answer also carries Strict-Transport-Security', async () => {
    const secure = await startTestServer({ env: { HEARTH_PUBLIC_URL: 'https://media.example.org' } });
    try {
      const securePort = (secure.app.server.address() as { port: number }).port;
      const answer = await rawHttp(securePort, 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      expectClientError(answer, 400, 'bad_request');
      expect(answer.headers['strict-transport-security']).toMatch(/max-age=\d{7,}/);
    } finally {
      await secure.close();
    }
  });
});
