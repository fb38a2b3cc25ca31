// Images made to measure: resized, converted, cached on disk by source identity and parameters, and
// decoded with a pixel limit so that a decompression bomb or a corrupt file is skipped, never a crash (S77).
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageCacheDir, resizedImage, type ImageDeps } from '../../src/media/images.ts';
import type { TestServer } from '../helpers/server.ts';
import { createLibrary, mediaServer, put, scan, tempDir, allItems } from './media-helpers.ts';

/** A real JPEG with some detail, so that a smaller copy is really smaller. */
async function photo(width: number, height: number): Promise<Buffer> {
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A decompression bomb: a PNG that says it is 10 000 × 10 000 (100 megapixels, 300 MB decoded: above
 * Hearth's limit, below sharp's own default) in a few hundred bytes, its pixel data a deflate stream of zeros.
 */
function pngBomb(side = 10_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = deflateSync(Buffer.alloc((side * 3 + 1) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('resizedImage', () => {
  const dataDir = tempDir('hearth-images-');
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const deps = { config: { dataDir }, log } as unknown as ImageDeps;
  const lib = tempDir('hearth-images-lib-');
  let original: Buffer;

  beforeAll(async () => {
    original = await photo(600, 900);
    put(join(lib, 'poster.jpg'), original);
  });

  it('makes a smaller copy at the asked width and format, and serves it from the disk cache after', async () => {
    const first = await resizedImage(
      deps,
      { path: join(lib, 'poster.jpg'), roots: [lib] },
      { width: 100, format: 'webp' },
    );
    expect(first).not.toBeNull();
    expect(first!.mime).toBe('image/webp');
    expect(first!.cached).toBe(false);
    expect(first!.data.length).toBeLessThan(original.length);
    const meta = await sharp(first!.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 100, 150]);

    const again = await resizedImage(
      deps,
      { path: join(lib, 'poster.jpg'), roots: [lib] },
      { width: 100, format: 'webp' },
    );
    expect(again!.cached).toBe(true);
    expect(again!.etag).toBe(first!.etag);
    expect(again!.data.equals(first!.data)).toBe(true);
    expect(readdirSync(imageCacheDir(deps), { recursive: true }).some((f) => String(f).endsWith('.webp'))).toBe(true);

    // Other parameters are another copy; the source's own format is kept when none is asked.
    const jpeg = await resizedImage(
      deps,
      { path: join(lib, 'poster.jpg'), roots: [lib] },
      { height: 90, fit: 'cover', width: 90 },
    );
    expect(jpeg!.etag).not.toBe(first!.etag);
    expect(await sharp(jpeg!.data).metadata()).toMatchObject({ format: 'jpeg', width: 90, height: 90 });
    // Never enlarged.
    const big = await resizedImage(deps, { path: join(lib, 'poster.jpg'), roots: [lib] }, { width: 4000 });
    expect((await sharp(big!.data).metadata()).width).toBe(600);
  });

  it('makes a new copy when the file changes (size, mtime), never the stale one', async () => {
    const path = put(join(lib, 'changing.jpg'), await photo(200, 200));
    const before = await resizedImage(deps, { path, roots: [lib] }, { width: 50 });
    writeFileSync(path, await photo(300, 100));
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const after = await resizedImage(deps, { path, roots: [lib] }, { width: 50 });
    expect(after!.cached).toBe(false);
    expect(after!.etag).not.toBe(before!.etag);
    expect(await sharp(after!.data).metadata()).toMatchObject({ width: 50, height: 17 });
  });

  it('reads nothing outside the roots it is given', async () => {
    const outside = tempDir('hearth-images-out-');
    put(join(outside, 'secret.jpg'), original);
    expect(await resizedImage(deps, { path: join(outside, 'secret.jpg'), roots: [lib] }, { width: 10 })).toBeNull();
  });

  it('resizes bytes in memory (an embedded cover), keyed by their hash', async () => {
    const bytes = await photo(64, 64);
    const a = await resizedImage(deps, { bytes, identity: '/music/a.mp3' }, { width: 32, format: 'png' });
    expect(await sharp(a!.data).metadata()).toMatchObject({ format: 'png', width: 32 });
    const b = await resizedImage(deps, { bytes, identity: '/music/a.mp3' }, { width: 32, format: 'png' });
    expect(b!.cached).toBe(true);
  });

  it('S77: a decompression bomb and a corrupt image are skipped with a warning, never a crash', async () => {
    warnings.length = 0;
    const bomb = put(join(lib, 'bomb.png'), pngBomb());
    expect(await resizedImage(deps, { path: bomb, roots: [lib] }, { width: 100 })).toBeNull();
    expect(warnings.join('')).toMatch(/pixel limit/);
    const corrupt = put(join(lib, 'corrupt.jpg'), Buffer.concat([original.subarray(0, 2000), Buffer.alloc(500, 0x55)]));
    expect(await resizedImage(deps, { path: corrupt, roots: [lib] }, { width: 100 })).toBeNull();
    const junk = put(join(lib, 'junk.png'), 'not an image at all');
    expect(await resizedImage(deps, { path: junk, roots: [lib] }, { width: 100 })).toBeNull();
    expect(warnings.filter((w) => w.includes('image skipped'))).toHaveLength(3);
    // A lower limit refuses an ordinary image too: the limit is what decides, not the file's size.
    expect(
      await resizedImage(
        deps,
        { path: join(lib, 'poster.jpg'), roots: [lib] },
        { width: 64 },
        { maxInputPixels: 1000 },
      ),
    ).toBeNull();
    // Nothing of the failures was cached.
    expect(
      readdirSync(imageCacheDir(deps), { recursive: true }).filter((f) => String(f).endsWith('.png')),
    ).toHaveLength(1);
  });

  it('refuses parameters out of range', async () => {
    const source = { path: join(lib, 'poster.jpg'), roots: [lib] };
    await expect(resizedImage(deps, source, { width: 0 })).rejects.toThrow(RangeError);
    await expect(resizedImage(deps, source, { width: 5000 })).rejects.toThrow(RangeError);
    await expect(resizedImage(deps, source, { quality: 1.5 })).rejects.toThrow(RangeError);
    await expect(resizedImage(deps, source, { format: 'gif' as never })).rejects.toThrow(RangeError);
  });
});

describe('the artwork route with sizes', () => {
  let s: TestServer;
  let admin: string;
  let films: Record<string, string>;
  let original: Buffer;

  beforeAll(async () => {
    ({ s, admin } = await mediaServer());
    const dir = tempDir('hearth-images-http-');
    original = await photo(600, 900);
    put(join(dir, 'Heat (1995)', 'Heat (1995).mkv'));
    put(join(dir, 'Heat (1995)', 'poster.jpg'), original);
    put(join(dir, 'Bomb (2001)', 'Bomb (2001).mkv'));
    put(join(dir, 'Bomb (2001)', 'poster.png'), pngBomb());
    put(join(dir, 'Broken (2002)', 'Broken (2002).mkv'));
    put(join(dir, 'Broken (2002)', 'poster.jpg'), original.subarray(0, 1500));
    const lib = await createLibrary(s, admin, 'Films', 'movies', [dir]);
    await scan(s, admin, lib, { probe: false });
    films = Object.fromEntries((await allItems(s, admin, lib)).map((i) => [i.title, i.id]));
  }, 60_000);
  afterAll(async () => s?.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    s.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${admin}`, ...headers } });

  it('answers a smaller image at the asked width and format, cached, with a validator', async () => {
    const full = await get(`/api/v1/items/${films.Heat}/artwork`);
    expect(full.rawPayload.equals(original)).toBe(true);
    const res = await get(`/api/v1/items/${films.Heat}/artwork?width=120&format=webp&quality=70`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    expect(res.rawPayload.length).toBeLessThan(original.length);
    expect(await sharp(res.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 120, height: 180 });
    expect(existsSync(imageCacheDir(s.deps))).toBe(true);
    const again = await get(`/api/v1/items/${films.Heat}/artwork?width=120&format=webp&quality=70`);
    expect(again.rawPayload.equals(res.rawPayload)).toBe(true);
    expect(again.headers.etag).toBe(res.headers.etag);
    const notModified = await get(`/api/v1/items/${films.Heat}/artwork?width=120&format=webp&quality=70`, {
      'if-none-match': String(res.headers.etag),
    });
    expect(notModified.statusCode).toBe(304);
    const head = await s.app.inject({
      method: 'HEAD',
      url: `/api/v1/items/${films.Heat}/artwork?width=120&format=webp&quality=70`,
      headers: { authorization: `Bearer ${admin}` },
    });
    expect([head.statusCode, head.headers['content-length']]).toEqual([200, String(res.rawPayload.length)]);
  });

  it('refuses sizes, formats and qualities that are not validated numbers and names', async () => {
    for (const q of [
      'width=0',
      'width=99999',
      'width=abc',
      'height=-1',
      'format=gif',
      'format=../../x',
      'quality=101',
      'fit=fill',
      'width=10&extra=1',
    ]) {
      const res = await get(`/api/v1/items/${films.Heat}/artwork?${q}`);
      expect(res.statusCode, q).toBe(400);
    }
  });

  it('S77: over HTTP a decompression bomb or a corrupt poster answers 404 and the server keeps serving', async () => {
    const bomb = await get(`/api/v1/items/${films.Bomb}/artwork?width=200`);
    expect(bomb.statusCode).toBe(404);
    const broken = await get(`/api/v1/items/${films.Broken}/artwork?width=200&format=jpeg`);
    expect(broken.statusCode).toBe(404);
    const fine = await get(`/api/v1/items/${films.Heat}/artwork?width=60`);
    expect(fine.statusCode).toBe(200);
    expect((await sharp(fine.rawPayload).metadata()).width).toBe(60);
  });
});
