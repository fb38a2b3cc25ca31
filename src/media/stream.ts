// Serving a library file: containment checked again at the moment of the request (S71), then the
// status, headers and body for HEAD, GET, one range or several (RFC 9110 §14, §13.1.5). The body is
// read from the open file descriptor in chunks; no file is ever read whole.
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Random } from '../crypto.ts';
import {
  contentRange,
  etagFor,
  httpDate,
  ifRangeMatches,
  multipartBoundary,
  multipartContentType,
  multipartHeaderFor,
  multipartLength,
  multipartTrailer,
  parseRange,
  unsatisfiedContentRange,
  type ByteRange,
} from './range.ts';
import { readEmbeddedCover, type EmbeddedCover } from './probe.ts';
import { openInside } from './walk.ts';

export interface FileResponse {
  status: 200 | 206 | 304 | 416;
  headers: Record<string, string>;
  /** null for HEAD, 304 and 416. */
  body: Readable | null;
}

export interface FileRequest {
  /** The path the store holds for the item. */
  path: string;
  /** The library's folders as stored (real paths): the file must still resolve inside one of them. */
  roots: string[];
  method: string;
  contentType: string;
  range?: string;
  ifRange?: string;
  ifNoneMatch?: string;
  random: Random;
  /** Extra headers for every answer (caching policy). */
  headers?: Record<string, string>;
}

// Big reads keep a fast client fed with few system calls; 64 KiB (the default) costs throughput.
const CHUNK = 512 * 1024;

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  // Weak comparison (§13.1.2): W/ does not matter here.
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function multipartBody(
  handle: FileHandle,
  boundary: string,
  contentType: string,
  ranges: ByteRange[],
  size: number,
): Readable {
  async function* parts() {
    try {
      for (const range of ranges) {
        yield Buffer.from(multipartHeaderFor(boundary, contentType, range, size));
        const part = createReadStream('', {
          fd: handle,
          start: range.start,
          end: range.end,
          autoClose: false,
          highWaterMark: CHUNK,
        });
        for await (const chunk of part) yield chunk as Buffer;
      }
      yield Buffer.from(multipartTrailer(boundary));
    } finally {
      await handle.close();
    }
  }
  return Readable.from(parts(), { objectMode: false });
}

/** The answer for a file request, or null when the file is not (or no longer) inside the library. */
export async function fileResponse(req: FileRequest): Promise<FileResponse | null> {
  const handle = await openInside(req.path, req.roots);
  if (handle === null) return null;
  let handedOver = false;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return null;
    const size = stats.size;
    const etag = etagFor({ size, mtimeMs: stats.mtimeMs, ino: stats.ino });
    const lastModified = httpDate(stats.mtime);
    const headers: Record<string, string> = {
      ...req.headers,
      'accept-ranges': 'bytes',
      etag,
      'last-modified': lastModified,
    };
    const head = req.method === 'HEAD';

    if (etagMatches(req.ifNoneMatch, etag)) return { status: 304, headers, body: null };

    // Ranges apply to GET only (§14.2): a HEAD shows the whole representation's headers.
    const wanted =
      req.method === 'GET' && ifRangeMatches(req.ifRange, etag, new Date(stats.mtimeMs))
        ? parseRange(req.range, size)
        : { kind: 'full' as const };

    if (wanted.kind === 'unsatisfiable') {
      return { status: 416, headers: { ...headers, 'content-range': unsatisfiedContentRange(size) }, body: null };
    }
    if (wanted.kind === 'full') {
      headers['content-type'] = req.contentType;
      headers['content-length'] = String(size);
      if (head || size === 0) return { status: 200, headers, body: head ? null : Readable.from([]) };
      handedOver = true;
      return { status: 200, headers, body: createReadStream('', { fd: handle, highWaterMark: CHUNK }) };
    }
    const ranges = wanted.ranges;
    if (ranges.length === 1) {
      const [range] = ranges as [ByteRange];
      headers['content-type'] = req.contentType;
      headers['content-range'] = contentRange(range, size);
      headers['content-length'] = String(range.end - range.start + 1);
      handedOver = true;
      return {
        status: 206,
        headers,
        body: createReadStream('', { fd: handle, start: range.start, end: range.end, highWaterMark: CHUNK }),
      };
    }
    const boundary = multipartBoundary(req.random);
    headers['content-type'] = multipartContentType(boundary);
    headers['content-length'] = String(multipartLength(boundary, req.contentType, ranges, size));
    handedOver = true;
    return { status: 206, headers, body: multipartBody(handle, boundary, req.contentType, ranges, size) };
  } finally {
    if (!handedOver) await handle.close();
  }
}

/** The cover embedded in a library's audio file, read only while the file is inside the library (S71). */
export async function embeddedCoverInside(path: string, roots: string[]): Promise<EmbeddedCover | null> {
  const handle = await openInside(path, roots);
  if (handle === null) return null;
  try {
    return await readEmbeddedCover(handle, path);
  } finally {
    await handle.close();
  }
}
