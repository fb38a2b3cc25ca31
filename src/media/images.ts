// Images served at the size and in the format a client asks for, made once with sharp and kept on disk
// under the data folder. A cached copy is keyed by the source's identity (path, size, mtime, inode; or
// the bytes' hash) and the parameters, so a changed file makes a new copy and an old one is never served
// for it. Sources are decoded with a pixel limit: a decompression bomb or a corrupt image is skipped
// with a warning and the caller answers "no image", never a crash (S77).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Deps } from '../deps.ts';
import { openInside } from './walk.ts';

export const IMAGE_FORMATS = ['jpeg', 'webp', 'png'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];
export const IMAGE_FITS = ['inside', 'cover'] as const;
export type ImageFit = (typeof IMAGE_FITS)[number];

/** The largest width or height anyone may ask for. */
export const MAX_IMAGE_SIDE = 4096;
/** Sources with more pixels than this are not decoded (S77): 64 megapixels, e.g. 8000×8000. */
export const MAX_INPUT_PIXELS = 64_000_000;
/** Sources larger than this are not read at all. */
export const MAX_SOURCE_BYTES = 64 * 1024 * 1024;
const DEFAULT_QUALITY = 80;
const TIMEOUT_SECONDS = 30;

const MIME: Record<ImageFormat, string> = { jpeg: 'image/jpeg', webp: 'image/webp', png: 'image/png' };

export interface ImageOptions {
  /** 1..MAX_IMAGE_SIDE; the image is never enlarged. */
  width?: number;
  height?: number;
  /** Default: the source's own format when it is one of IMAGE_FORMATS, else jpeg. */
  format?: ImageFormat;
  /** 1..100, for jpeg and webp. */
  quality?: number;
  /** inside (default): fits within width×height keeping its shape; cover: fills it, cropping the centre. */
  fit?: ImageFit;
}

/**
 * A file the store knows, read only while it is still inside one of `roots` (S71); or bytes already in
 * memory (a cover embedded in a track), with an optional stable name for the cache key.
 */
export type ImageSource = { path: string; roots: string[] } | { bytes: Buffer; identity?: string };

export interface ResizedImage {
  data: Buffer;
  mime: string;
  format: ImageFormat;
  /** A strong validator for the result (it names the source's identity and the parameters). */
  etag: string;
  /** Whether it came from the disk cache. */
  cached: boolean;
}

export type ImageDeps = Pick<Deps, 'config' | 'log'>;

/** Where resized images live. */
export function imageCacheDir(deps: Pick<Deps, 'config'>): string {
  return join(deps.config.dataDir, 'cache', 'images');
}

function checkOptions(o: ImageOptions): void {
  const side = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > MAX_IMAGE_SIDE))
      throw new RangeError(`${name} must be an integer in 1..${MAX_IMAGE_SIDE}`);
  };
  side(o.width, 'width');
  side(o.height, 'height');
  if (o.quality !== undefined && (!Number.isInteger(o.quality) || o.quality < 1 || o.quality > 100))
    throw new RangeError('quality must be an integer in 1..100');
  if (o.format !== undefined && !IMAGE_FORMATS.includes(o.format)) throw new RangeError('unknown image format');
  if (o.fit !== undefined && !IMAGE_FITS.includes(o.fit)) throw new RangeError('unknown fit');
}

// Two requests for the same missing copy make it once.
const inFlight = new Map<string, Promise<ResizedImage | null>>();

/**
 * The image at the asked size and format, from the cache or made now; null when the source is gone,
 * outside its library, too large, a decompression bomb or not a decodable image (logged as a warning).
 * Throws RangeError for parameters out of range (callers validate them first).
 */
export async function resizedImage(
  deps: ImageDeps,
  source: ImageSource,
  options: ImageOptions = {},
  limits: { maxInputPixels?: number } = {},
): Promise<ResizedImage | null> {
  checkOptions(options);
  const maxPixels = limits.maxInputPixels ?? MAX_INPUT_PIXELS;
  let handle: FileHandle | null = null;
  let bytes: Buffer | null = null;
  let identity: string;
  let label: string;
  if ('path' in source) {
    handle = await openInside(source.path, source.roots);
    if (handle === null) return null;
    const st = await handle.stat().catch(() => null);
    if (st === null || !st.isFile() || st.size > MAX_SOURCE_BYTES) {
      await handle.close();
      if (st !== null && st.size > MAX_SOURCE_BYTES)
        deps.log.warn({ path: source.path, size: st.size }, 'image skipped: file too large');
      return null;
    }
    identity = `file\0${source.path}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
    label = source.path;
  } else {
    bytes = source.bytes;
    identity = `bytes\0${source.identity ?? ''}\0${createHash('sha256').update(bytes).digest('hex')}`;
    label = source.identity ?? 'image bytes';
  }
  const params = [
    options.width ?? '',
    options.height ?? '',
    options.format ?? '',
    options.quality ?? '',
    options.fit ?? 'inside',
    maxPixels,
  ].join(',');
  const key = createHash('sha256').update(`${identity}\n${params}`).digest('hex');

  const running = inFlight.get(key);
  if (running) {
    await handle?.close();
    return running;
  }
  const work = (async (): Promise<ResizedImage | null> => {
    try {
      const dir = join(imageCacheDir(deps), key.slice(0, 2));
      const hit = await readCached(dir, key);
      if (hit) return { ...hit, etag: `"${key.slice(0, 32)}"`, cached: true };
      if (handle !== null) bytes = await handle.readFile();
      const made = await render(bytes!, options, maxPixels).catch((err: Error) => {
        deps.log.warn(
          { image: label, reason: err.message.slice(0, 200) },
          'image skipped: not decodable within limits',
        );
        return null;
      });
      if (made === null) return null;
      await storeCached(dir, key, made.format, made.data).catch((err: Error) =>
        deps.log.warn({ reason: err.message }, 'image cache not written'),
      );
      return { ...made, etag: `"${key.slice(0, 32)}"`, cached: false };
    } finally {
      await handle?.close();
      inFlight.delete(key);
    }
  })();
  inFlight.set(key, work);
  return work;
}

async function readCached(
  dir: string,
  key: string,
): Promise<{ data: Buffer; mime: string; format: ImageFormat } | null> {
  for (const format of IMAGE_FORMATS) {
    const data = await readFile(join(dir, `${key}.${format}`)).catch(() => null);
    if (data !== null) return { data, mime: MIME[format], format };
  }
  return null;
}

async function storeCached(dir: string, key: string, format: ImageFormat, data: Buffer): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const final = join(dir, `${key}.${format}`);
  const temp = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await writeFile(temp, data, { mode: 0o600 });
    await rename(temp, final);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

async function render(
  input: Buffer,
  o: ImageOptions,
  maxPixels: number,
): Promise<{ data: Buffer; mime: string; format: ImageFormat }> {
  // failOn 'error': a truncated or corrupt file is refused rather than half-drawn; animated sources
  // give their first frame only.
  const image = sharp(input, { limitInputPixels: maxPixels, failOn: 'error', animated: false }).timeout({
    seconds: TIMEOUT_SECONDS,
  });
  const meta = await image.metadata();
  const format: ImageFormat =
    o.format ?? (IMAGE_FORMATS.includes(meta.format as ImageFormat) ? (meta.format as ImageFormat) : 'jpeg');
  let pipeline = image.rotate();
  if (o.width !== undefined || o.height !== undefined) {
    pipeline = pipeline.resize({ width: o.width, height: o.height, fit: o.fit ?? 'inside', withoutEnlargement: true });
  }
  const quality = o.quality ?? DEFAULT_QUALITY;
  if (format === 'jpeg') pipeline = pipeline.flatten({ background: '#000000' }).jpeg({ quality, mozjpeg: true });
  else if (format === 'webp') pipeline = pipeline.webp({ quality });
  else pipeline = pipeline.png({ compressionLevel: 9 });
  const data = await pipeline.toBuffer();
  return { data, mime: MIME[format], format };
}
