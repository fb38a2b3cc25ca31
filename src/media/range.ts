// HTTP range requests (RFC 9110 §14 and §13.1.5): which bytes of a file a response carries.
import { sha256, type Random } from '../crypto.ts';

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export type RangeResult = { kind: 'full' } | { kind: 'ranges'; ranges: ByteRange[] } | { kind: 'unsatisfiable' };

/**
 * More range-specs than this and the header is ignored (a 200 with the whole file, which RFC 9110 §14.2
 * allows): dozens of tiny or overlapping ranges are how servers are made to burn CPU and bandwidth on
 * multipart overhead, and no player needs them.
 */
export const MAX_RANGES = 32;

const FULL: RangeResult = { kind: 'full' };
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' };
const DIGITS = /^[0-9]+$/;
const OWS = /^[ \t]+|[ \t]+$/g;

/**
 * Reads a `Range` header for a representation of `size` bytes.
 * - `full`: no header, another unit, a malformed range-set or more than MAX_RANGES specs; send 200.
 * - `ranges`: satisfiable ranges clamped to the file, overlapping or adjacent ones merged, kept in the
 *   order the client asked for them; send 206 (multipart/byteranges when more than one).
 * - `unsatisfiable`: a valid header of which no range overlaps the file; send 416 with
 *   unsatisfiedContentRange(size).
 *   An empty file satisfies no range.
 * Only GET uses ranges (§14.2); the caller ignores the header for other methods.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return FULL;
  const equals = header.indexOf('=');
  if (equals < 0) return FULL;
  // Range units are case-insensitive (§14.1).
  if (header.slice(0, equals).replace(OWS, '').toLowerCase() !== 'bytes') return FULL;

  const specs = header.slice(equals + 1).split(',');
  // Empty list elements are allowed (§5.6.1), so only non-empty ones count toward the cap.
  let count = 0;
  const wanted: (ByteRange & { order: number })[] = [];
  for (const raw of specs) {
    const spec = raw.replace(OWS, '');
    if (spec === '') continue;
    if (++count > MAX_RANGES) return FULL;
    const dash = spec.indexOf('-');
    if (dash < 0) return FULL;
    const first = spec.slice(0, dash);
    const last = spec.slice(dash + 1);
    if (first === '') {
      // suffix-range: the final N bytes; a zero length is valid syntax but satisfies nothing.
      if (!DIGITS.test(last)) return FULL;
      const length = Number(last);
      if (length > 0 && size > 0) wanted.push({ start: Math.max(0, size - length), end: size - 1, order: count });
      continue;
    }
    if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return FULL;
    const start = Number(first);
    const end = last === '' ? Infinity : Number(last);
    if (end < start) return FULL;
    if (start < size) wanted.push({ start, end: Math.min(end, size - 1), order: count });
  }
  if (count === 0) return FULL;
  if (wanted.length === 0) return UNSATISFIABLE;
  return { kind: 'ranges', ranges: coalesce(wanted) };
}

function coalesce(wanted: (ByteRange & { order: number })[]): ByteRange[] {
  if (wanted.length === 1) return [{ start: wanted[0].start, end: wanted[0].end }];
  const sorted = [...wanted].sort((a, b) => a.start - b.start);
  const merged: (ByteRange & { order: number })[] = [];
  for (const range of sorted) {
    const previous = merged[merged.length - 1];
    if (previous !== undefined && range.start <= previous.end + 1) {
      previous.end = Math.max(previous.end, range.end);
      previous.order = Math.min(previous.order, range.order);
    } else {
      merged.push({ ...range });
    }
  }
  // Ranges that were not merged go out in the order asked (§14.6 lets us merge, not reorder needlessly).
  return merged.sort((a, b) => a.order - b.order).map(({ start, end }) => ({ start, end }));
}

/** The value of `Content-Range` for one part: `bytes 0-499/1234`. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/** The value of `Content-Range` on a 416: an asterisk for the range, then the size. */
export function unsatisfiedContentRange(size: number): string {
  return `bytes */${size}`;
}

/** A date as HTTP writes it (IMF-fixdate), whole seconds: `Sun, 06 Nov 1994 08:49:37 GMT`. */
export function httpDate(date: Date): string {
  return date.toUTCString();
}

/**
 * A strong ETag for a file from what `stat` says about it. The inode is hashed in rather than shown:
 * it says something about the server's disks and nothing the client needs.
 */
export function etagFor(file: { size: number; mtimeMs: number; ino: number }): string {
  return `"${sha256(`${file.size}:${file.mtimeMs}:${file.ino}`).slice(0, 32)}"`;
}

/**
 * Whether the ranges of a request may be served (§13.1.5). No `If-Range` means yes. An entity-tag matches
 * only by strong comparison (a weak tag never does); a date matches only when it is exactly the
 * `Last-Modified` this server sends for the file, as the client is meant to echo it.
 */
export function ifRangeMatches(ifRange: string | undefined, etag: string, lastModified: Date | number): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.replace(OWS, '');
  if (value.startsWith('"')) return !etag.startsWith('W/') && value === etag;
  if (value.startsWith('W/')) return false;
  return value === httpDate(typeof lastModified === 'number' ? new Date(lastModified) : lastModified);
}

/** A boundary for multipart/byteranges: 24 random bytes, so no file's bytes can contain it by chance. */
export function multipartBoundary(random: Random): string {
  return `hearth-${random(24).toString('hex')}`;
}

/** The `Content-Type` of a multipart range response. */
export function multipartContentType(boundary: string): string {
  return `multipart/byteranges; boundary=${boundary}`;
}

/**
 * What goes before one part's bytes. Each part starts with CRLF, which for the first part is an empty
 * preamble and its line end (RFC 2046 §5.1.1), so every part has the same shape.
 */
export function multipartHeaderFor(boundary: string, contentType: string, range: ByteRange, size: number): string {
  return `\r\n--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: ${contentRange(range, size)}\r\n\r\n`;
}

/** What goes after the last part. */
export function multipartTrailer(boundary: string): string {
  return `\r\n--${boundary}--\r\n`;
}

/** The exact `Content-Length` of a multipart/byteranges body, so it can be sent before the body. */
export function multipartLength(boundary: string, contentType: string, ranges: ByteRange[], size: number): number {
  let length = Buffer.byteLength(multipartTrailer(boundary));
  for (const range of ranges) {
    length += Buffer.byteLength(multipartHeaderFor(boundary, contentType, range, size)) + range.end - range.start + 1;
  }
  return length;
}
