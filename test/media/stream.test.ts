// Streaming over a real port: HTTP range edge cases, containment checked at request time (S71), stream
// URL tokens (S72), and a real player (ffprobe) reading a clip through a stream URL.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setMeta } from '../../src/store/meta.repository.ts';
import { testClock, type TestServer } from '../helpers/server.ts';
import {
  PASSWORD,
  allItems,
  copy,
  createLibrary,
  haveFfmpeg,
  makeClip,
  mediaServer,
  put,
  scan,
  tempDir,
} from './media-helpers.ts';

const run = promisify(execFile);
const ffmpeg = haveFfmpeg();
const SIZE = 100_000;

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

describe('streaming', () => {
  let s: TestServer;
  let admin: string;
  let member: { id: string; token: string };
  let dir: string;
  let outside: string;
  let bytes: Buffer;
  let movieId: string;
  let otherId: string;
  let clipId: string | null = null;
  const clock = testClock();

  function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const req = http.request(new URL(path, s.url), { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }
  const stream = (id: string, headers: Record<string, string> = {}, token = admin, method = 'GET') =>
    raw(method, `/api/v1/items/${id}/stream`, { authorization: `Bearer ${token}`, ...headers });
  async function streamUrl(id: string, token = admin, body: Record<string, unknown> = {}) {
    const res = await s.request('POST', `/api/v1/items/${id}/stream-url`, { token, body });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const url = new URL(res.body.url);
    return {
      path: url.pathname + url.search,
      token: url.searchParams.get('st')!,
      url: res.body.url as string,
      expiresAt: res.body.expires_at as string,
    };
  }

  beforeAll(async () => {
    ({ s, admin, member } = await mediaServer({ clock: clock.clock }));
    const base = tempDir('hearth-stream-');
    dir = join(base, 'library');
    outside = join(base, 'outside');
    bytes = randomBytes(SIZE);
    put(join(dir, 'Bytes (2020).mp4'), bytes);
    put(join(dir, 'Other (2021).mkv'), randomBytes(1000));
    put(join(outside, 'secret.mp4'), 'the contents of a file outside every library');
    // Named like a library file, so a library folder swapped for a link here would find it.
    put(join(outside, 'Other (2021).mkv'), 'the contents of a file outside every library');
    if (ffmpeg) copy(makeClip(join(base, 'clip.mp4')), join(dir, 'Clip (2022).mp4'));
    const lib = await createLibrary(s, admin, 'Streams', 'movies', [dir]);
    await scan(s, admin, lib, { probe: false });
    const items = await allItems(s, admin, lib);
    movieId = items.find((i) => i.title === 'Bytes')!.id;
    otherId = items.find((i) => i.title === 'Other')!.id;
    clipId = items.find((i) => i.title === 'Clip')?.id ?? null;
    await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
      token: admin,
      body: { library_ids: [lib] },
    });
  }, 120_000);
  afterAll(async () => {
    // The last response may finish just after its client has read every byte: that keep-alive connection
    // is not idle when close() looks, and would hold the close for Fastify's 72 s keep-alive timeout.
    s?.app.server.closeAllConnections();
    await s?.close();
  });

  describe('HTTP ranges', () => {
    it('the whole file: 200 with Accept-Ranges, ETag, Last-Modified, the right type and length', async () => {
      const res = await stream(movieId);
      expect(res.status).toBe(200);
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.headers['content-type']).toBe('video/mp4');
      expect(res.headers['content-length']).toBe(String(SIZE));
      expect(res.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
      expect(new Date(res.headers['last-modified']!).getTime()).toBeGreaterThan(0);
      expect(res.body.equals(bytes)).toBe(true);
      expect((await stream(otherId)).headers['content-type']).toBe('video/x-matroska');
    });

    it('first byte, last byte, a suffix, an open end, and a range past the end clamped', async () => {
      const cases: [string, number, number][] = [
        ['bytes=0-0', 0, 0],
        [`bytes=${SIZE - 1}-${SIZE - 1}`, SIZE - 1, SIZE - 1],
        ['bytes=-1', SIZE - 1, SIZE - 1],
        ['bytes=-500', SIZE - 500, SIZE - 1],
        ['bytes=99000-', 99_000, SIZE - 1],
        [`bytes=${SIZE - 10}-${SIZE + 1000}`, SIZE - 10, SIZE - 1],
        ['bytes=-200000', 0, SIZE - 1],
      ];
      for (const [range, start, end] of cases) {
        const res = await stream(movieId, { range });
        expect(res.status, range).toBe(206);
        expect(res.headers['content-range'], range).toBe(`bytes ${start}-${end}/${SIZE}`);
        expect(res.headers['content-length'], range).toBe(String(end - start + 1));
        expect(res.headers['content-type']).toBe('video/mp4');
        expect(res.body.equals(bytes.subarray(start, end + 1)), range).toBe(true);
      }
    });

    it('416 with Content-Range: bytes */size when no range overlaps the file', async () => {
      for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE + 5}-${SIZE + 10}`, 'bytes=-0']) {
        const res = await stream(movieId, { range });
        expect(res.status, range).toBe(416);
        expect(res.headers['content-range']).toBe(`bytes */${SIZE}`);
        expect(JSON.parse(res.body.toString()).error.code).toBe('range_not_satisfiable');
      }
      // A header that is not a valid range is ignored: the whole file.
      for (const range of ['bytes=abc', 'items=0-1', 'bytes=5-1']) {
        const res = await stream(movieId, { range });
        expect([res.status, res.body.length], range).toEqual([200, SIZE]);
      }
    });

    it('several ranges: multipart/byteranges with each part and an exact length', async () => {
      const res = await stream(movieId, { range: 'bytes=0-9,5000-5099,-5' });
      expect(res.status).toBe(206);
      const type = res.headers['content-type']!;
      const boundary = /^multipart\/byteranges; boundary=(\S+)$/.exec(type)![1]!;
      expect(res.headers['content-length']).toBe(String(res.body.length));
      const parts = res.body.toString('latin1').split(`--${boundary}`);
      expect(parts.at(-1)).toBe('--\r\n');
      const found = parts.slice(1, -1).map((part) => {
        const [head, body] = part.split('\r\n\r\n') as [string, string];
        const range = /Content-Range: bytes (\d+)-(\d+)\/(\d+)/.exec(head)!;
        expect(head).toContain('Content-Type: video/mp4');
        return {
          start: Number(range[1]),
          end: Number(range[2]),
          total: Number(range[3]),
          body: Buffer.from(body.replace(/\r\n$/, ''), 'latin1'),
        };
      });
      expect(found.map((p) => [p.start, p.end, p.total])).toEqual([
        [0, 9, SIZE],
        [5000, 5099, SIZE],
        [SIZE - 5, SIZE - 1, SIZE],
      ]);
      for (const p of found) expect(p.body.equals(bytes.subarray(p.start, p.end + 1))).toBe(true);
      // Overlapping ranges merge into one.
      const merged = await stream(movieId, { range: 'bytes=0-9,5-20' });
      expect([merged.status, merged.headers['content-range']]).toEqual([206, `bytes 0-20/${SIZE}`]);
    });

    it('If-Range: a matching ETag or date gives the range; a stale one gives the whole file', async () => {
      const { headers } = await stream(movieId, {}, admin, 'HEAD');
      const etag = headers.etag!;
      const lastModified = headers['last-modified']!;
      expect((await stream(movieId, { range: 'bytes=0-9', 'if-range': etag })).status).toBe(206);
      expect((await stream(movieId, { range: 'bytes=0-9', 'if-range': lastModified })).status).toBe(206);
      const stale = await stream(movieId, { range: 'bytes=0-9', 'if-range': '"0123456789abcdef0123456789abcdef"' });
      expect([stale.status, stale.body.length]).toEqual([200, SIZE]);
      const weak = await stream(movieId, { range: 'bytes=0-9', 'if-range': `W/${etag}` });
      expect(weak.status).toBe(200);
      const old = await stream(movieId, { range: 'bytes=0-9', 'if-range': 'Mon, 01 Jan 2001 00:00:00 GMT' });
      expect(old.status).toBe(200);
      const cached = await stream(movieId, { 'if-none-match': etag });
      expect([cached.status, cached.body.length]).toEqual([304, 0]);
    });

    it('HEAD: the headers of the whole file and no body, also when a range is asked', async () => {
      const head = await stream(movieId, {}, admin, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers['content-length']).toBe(String(SIZE));
      expect(head.headers['accept-ranges']).toBe('bytes');
      expect(head.headers['content-type']).toBe('video/mp4');
      expect(head.body.length).toBe(0);
      const ranged = await stream(movieId, { range: 'bytes=0-9' }, admin, 'HEAD');
      expect([ranged.status, ranged.headers['content-length']]).toEqual([200, String(SIZE)]);
    });
  });

  describe('who may stream', () => {
    it('S70: streaming needs a signed-in user or a stream URL token', async () => {
      const res = await raw('GET', `/api/v1/items/${movieId}/stream`);
      expect(res.status).toBe(401);
      expect(
        (await raw('GET', `/api/v1/items/${movieId}/stream`, { authorization: 'Bearer hs_not-a-real-token-at-all' }))
          .status,
      ).toBe(401);
      expect((await raw('HEAD', `/api/v1/items/${movieId}/stream`)).status).toBe(401);
      expect((await stream(movieId, {}, member.token)).status).toBe(200);
    });

    it('S71: a file swapped for a link that leads out of the library is not served', async () => {
      const file = join(dir, 'Bytes (2020).mp4');
      const aside = join(dir, '..', 'aside.mp4');
      renameSync(file, aside);
      try {
        symlinkSync(join(outside, 'secret.mp4'), file);
        const res = await stream(movieId);
        expect(res.status).toBe(404);
        expect(res.body.toString()).not.toContain('outside every library');
        unlinkSync(file);
        // A link to another file inside the library is fine.
        symlinkSync(join(dir, 'Other (2021).mkv'), file);
        expect((await stream(movieId)).status).toBe(200);
        unlinkSync(file);
        expect((await stream(movieId)).status).toBe(404);
      } finally {
        renameSync(aside, file);
      }
      expect((await stream(movieId)).body.equals(bytes)).toBe(true);
    });

    it('S71: a library folder swapped for a link to elsewhere is not served', async () => {
      const items = await allItems(
        s,
        admin,
        (await s.request('GET', `/api/v1/items/${movieId}`, { token: admin })).body.library_id,
      );
      expect(items.length).toBeGreaterThan(0);
      const moved = `${dir}.real`;
      renameSync(dir, moved);
      try {
        symlinkSync(outside, dir);
        const res = await stream(otherId);
        expect(res.status).toBe(404);
        expect(res.body.toString()).not.toContain('outside every library');
        // Nor does a scan follow the swapped folder: nothing is added, nothing known is dropped.
        const job = await scan(s, admin, items[0]!.library_id, { probe: false });
        expect(job.result).toMatchObject({
          added: 0,
          removed: 0,
          skipped: [{ path: dir, reason: 'the library folder is now a link to elsewhere' }],
        });
      } finally {
        unlinkSync(dir);
        renameSync(moved, dir);
      }
      expect((await stream(otherId)).status).toBe(200);
    });

    it('S72: a stream URL plays its item without any header, and is not the session token', async () => {
      const link = await streamUrl(movieId);
      expect(link.token.startsWith('hst_')).toBe(true);
      expect(link.token).not.toBe(admin);
      expect(link.url).not.toContain(admin);
      expect(link.url.startsWith(s.url)).toBe(true);
      const res = await raw('GET', link.path, { range: 'bytes=0-99' });
      expect(res.status).toBe(206);
      expect(res.body.equals(bytes.subarray(0, 100))).toBe(true);
      expect((await raw('HEAD', link.path)).status).toBe(200);
      expect(new Date(link.expiresAt).getTime() - clock.clock().getTime()).toBe(4 * 3600 * 1000);
    });

    it('S72: a stream URL token opens only its own item and nothing else', async () => {
      const link = await streamUrl(movieId);
      expect((await raw('GET', `/api/v1/items/${otherId}/stream?st=${encodeURIComponent(link.token)}`)).status).toBe(
        401,
      );
      expect((await raw('GET', `/api/v1/items/${movieId}?st=${encodeURIComponent(link.token)}`)).status).toBe(401);
      expect((await raw('GET', `/api/v1/items/${movieId}`, { authorization: `Bearer ${link.token}` })).status).toBe(
        401,
      );
      expect((await raw('GET', `/api/v1/libraries?st=${encodeURIComponent(link.token)}`)).status).toBe(401);
      const tampered = link.token.slice(0, -2) + (link.token.endsWith('AA') ? 'BB' : 'AA');
      expect((await raw('GET', `/api/v1/items/${movieId}/stream?st=${encodeURIComponent(tampered)}`)).status).toBe(401);
      // Re-pointing a token at another item breaks its signature.
      const forged = link.token.replace(movieId, otherId);
      expect((await raw('GET', `/api/v1/items/${otherId}/stream?st=${encodeURIComponent(forged)}`)).status).toBe(401);
    });

    it('S42, S72: a stream URL is held to the request guards as its session is (none while 2FA policy confines its user to enrolment)', async () => {
      const link = await streamUrl(movieId, member.token);
      expect((await raw('GET', link.path)).status).toBe(200);
      const policy = await s.request('PUT', '/api/v1/admin/settings/2fa', {
        token: admin,
        body: { require_2fa: 'everyone' },
      });
      try {
        expect(policy.status).toBe(200);
        expect((await stream(movieId, {}, member.token)).status).toBe(403);
        const byToken = await raw('GET', link.path);
        expect([byToken.status, JSON.parse(byToken.body.toString()).error.code]).toEqual([
          403,
          'mfa_enrollment_required',
        ]);
        expect((await raw('HEAD', link.path)).status).toBe(403);
      } finally {
        // The owner has no factor either, so the policy goes back off through the store.
        await setMeta(s.deps.db, 'require_2fa', 'off');
      }
      expect((await raw('GET', link.path)).status).toBe(200);
    });

    it('S72: a stream URL dies with its session', async () => {
      const token = await s.login('milo', PASSWORD);
      const link = await streamUrl(movieId, token);
      expect((await raw('GET', link.path)).status).toBe(200);
      expect((await s.request('POST', '/api/v1/auth/logout', { token })).status).toBe(200);
      expect((await raw('GET', link.path)).status).toBe(401);
    });

    it('S72: a stream URL expires (4 hours by default, 6 at most) and answers 404 once the grant is gone', async () => {
      const short = await streamUrl(movieId, member.token, { expires_in_seconds: 60 });
      const normal = await streamUrl(movieId, member.token);
      expect((await raw('GET', short.path)).status).toBe(200);
      clock.advance(61_000);
      expect((await raw('GET', short.path)).status).toBe(401);
      expect((await raw('GET', normal.path)).status).toBe(200);
      clock.advance(4 * 3600 * 1000);
      expect((await raw('GET', normal.path)).status).toBe(401);
      const tooLong = await s.request('POST', `/api/v1/items/${movieId}/stream-url`, {
        token: member.token,
        body: { expires_in_seconds: 6 * 3600 + 1 },
      });
      expect(tooLong.status).toBe(400);
      const longest = await streamUrl(movieId, member.token, { expires_in_seconds: 6 * 3600 });
      expect(new Date(longest.expiresAt).getTime() - clock.clock().getTime()).toBe(6 * 3600 * 1000);

      const library = (await s.request('GET', `/api/v1/items/${movieId}`, { token: admin })).body.library_id;
      await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, { token: admin, body: { library_ids: [] } });
      expect((await raw('GET', longest.path)).status).toBe(404);
      await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
        token: admin,
        body: { library_ids: [library] },
      });
      expect((await raw('GET', longest.path)).status).toBe(200);
    });

    it('stopping the server ends streams in progress instead of waiting for them', async () => {
      const other = await mediaServer();
      const root = tempDir('hearth-stream-stop-');
      put(join(root, 'Long (2020).mp4'), Buffer.alloc(32 * 1024 * 1024));
      const lib = await createLibrary(other.s, other.admin, 'Long', 'movies', [root]);
      await scan(other.s, other.admin, lib, { probe: false });
      const [long] = await allItems(other.s, other.admin, lib);
      // A player that reads a little and then sits on the connection.
      const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
        http
          .get(
            new URL(`/api/v1/items/${long.id}/stream`, other.s.url),
            { headers: { authorization: `Bearer ${other.admin}` } },
            resolve,
          )
          .on('error', reject);
      });
      expect(response.statusCode).toBe(200);
      response.pause();
      response.on('error', () => {});
      const started = Date.now();
      await other.s.close();
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it.skipIf(!ffmpeg)('S72: a real player (ffprobe) reads a clip over HTTP through a stream URL', async () => {
      const link = await streamUrl(clipId!);
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-print_format',
        'json',
        '-show_format',
        '-show_streams',
        link.url,
      ]);
      const probe = JSON.parse(stdout);
      expect(probe.streams.map((st: any) => st.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(probe.streams.find((st: any) => st.codec_type === 'video')).toMatchObject({
        width: 160,
        height: 120,
        pix_fmt: 'yuv420p',
      });
      expect(Number(probe.format.duration)).toBeGreaterThan(1.5);
      // And the bytes a player downloads are the file's.
      const body = await fetch(link.url).then((r) => r.arrayBuffer());
      expect(Buffer.from(body).equals(readFileSync(join(dir, 'Clip (2022).mp4')))).toBe(true);
    });
  });
});
