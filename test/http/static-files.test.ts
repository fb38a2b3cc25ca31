// The web app's files: only the content-hashed build assets are cached for good; the page and everything else
// is revalidated, wherever the web folder is installed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';

function writeWebDist(dir: string): void {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>Hearth</title><script type="module" src="/assets/x.js"></script>',
  );
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'assets', 'x.js'), 'console.log("hearth")');
}

// The second is nothing unusual for an operator: /srv/assets/hearth/web/dist.
describe.each([
  ['a plain folder', []],
  ['a folder under one named assets', ['assets', 'hearth', 'dist']],
])('static files served from %s', (_where, parts) => {
  let s: TestServer;
  let base: string;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'hearth-web-'));
    const web = join(base, ...parts);
    writeWebDist(web);
    s = await startTestServer({ webDist: web });
  });
  afterAll(async () => {
    await s?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('the page, its deep links and the favicon are revalidated; only assets/ is cached as immutable', async () => {
    for (const path of ['/', '/index.html', '/settings/devices', '/favicon.svg']) {
      const res = await s.request('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
    const asset = await s.request('GET', '/assets/x.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe(IMMUTABLE);
  });

  it('S80: a range outside a file gets 416 range_not_satisfiable in the error shape; one inside gets the part', async () => {
    const outside = await s.request('GET', '/assets/x.js', { headers: { range: 'bytes=1000-2000' } });
    expect(outside.status).toBe(416);
    expect(outside.headers['content-type']).toMatch(/^application\/json/);
    expect(outside.body).toEqual({
      error: { code: 'range_not_satisfiable', message: errorCodes.range_not_satisfiable[1] },
    });
    const inside = await s.request('GET', '/assets/x.js', { headers: { range: 'bytes=0-6' } });
    expect(inside.status).toBe(206);
    expect(inside.body).toBe('console');
  });
});
