// Requests in unusual forms get the API's own answers: a charset other than UTF-8 (415), Fastify's own 400s
// each with their code, a static 416 with the size it missed, and API paths written `//api/…` or `/API/…`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorResponse } from '../../src/http/errors.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const SCRIPT = 'console.log("hearth")';

describe('requests in unusual forms', () => {
  let s: TestServer;
  let web: string;
  beforeAll(async () => {
    web = mkdtempSync(join(tmpdir(), 'hearth-web-'));
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Hearth</title>');
    writeFileSync(join(web, 'assets', 'x.js'), SCRIPT);
    s = await startTestServer({ webDist: web });
  });
  afterAll(async () => {
    await s?.close();
    rmSync(web, { recursive: true, force: true });
  });

  const login = (contentType: string, payload = '{"login":"nobody","password":"whatever it is"}') =>
    s.request('POST', '/api/v1/auth/login', { body: payload, headers: { 'content-type': contentType } });

  it('S80: a body that declares a charset other than UTF-8 is 415 unsupported_charset; UTF-8 in any spelling passes', async () => {
    for (const type of [
      'application/json; charset=iso-8859-1',
      'application/json; charset=utf-16',
      'application/json;charset="windows-1252"',
    ]) {
      const res = await login(type);
      expect(res.status, type).toBe(415);
      expect(res.body.error.code, type).toBe('unsupported_charset');
    }
    for (const type of [
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
      'application/json;charset="utf8"',
      'application/json',
    ]) {
      expect((await login(type)).status, type).toBe(401);
    }
  });

  it("S80: Fastify's 400s that are not a JSON syntax error have codes of their own, never invalid_json", async () => {
    const fastify400 = (code: string) => Object.assign(new Error('x'), { code, statusCode: 400 });
    expect(toErrorResponse(fastify400('FST_ERR_CTP_INVALID_CONTENT_LENGTH'))).toMatchObject({
      status: 400,
      code: 'content_length_mismatch',
    });
    expect(toErrorResponse(fastify400('FST_ERR_SOMETHING_NEW'))).toMatchObject({ status: 400, code: 'bad_request' });
    expect(toErrorResponse(new SyntaxError('Unexpected token'))).toMatchObject({ status: 400, code: 'invalid_json' });
    // Over HTTP: a body that does not parse is the one invalid_json.
    const syntax = await login('application/json', '{"login":');
    expect(syntax.body.error.code).toBe('invalid_json');
  });

  it('S80: a static range outside the file is 416 with Content-Range: bytes */size', async () => {
    const res = await s.request('GET', '/assets/x.js', { headers: { range: 'bytes=1000-2000' } });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${Buffer.byteLength(SCRIPT)}`);
    expect(res.body.error.code).toBe('range_not_satisfiable');
  });

  it('S80: //api/… and /API/… answer as the API does, never with the web app', async () => {
    for (const path of ['//api/v1/health', '/API/v1/health', '/Api/v1/health', '///api//v1/health']) {
      const res = await s.request('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.body, path).toEqual({ status: 'ok' });
    }
    for (const path of ['//api/v1/nothing-here', '/API/v1/nothing-here']) {
      const res = await s.request('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      expect(res.body.error.code, path).toBe('not_found');
    }
    // Signed-in routes keep their guard under every spelling.
    expect((await s.request('GET', '//api/v1/me')).status).toBe(401);
    expect((await s.request('GET', '/API/v1/me')).status).toBe(401);
  });
});
