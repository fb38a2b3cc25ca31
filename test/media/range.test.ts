import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_RANGES,
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
  type RangeResult,
} from '../../src/media/range.ts';

const ranges = (...pairs: [number, number][]): RangeResult => ({
  kind: 'ranges',
  ranges: pairs.map(([start, end]) => ({ start, end })),
});
const FULL: RangeResult = { kind: 'full' };
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' };

describe('parseRange', () => {
  it.each<[string, string | undefined, number, RangeResult]>([
    ['no header', undefined, 1000, FULL],
    ['first byte', 'bytes=0-0', 1000, ranges([0, 0])],
    ['last byte by position', 'bytes=999-999', 1000, ranges([999, 999])],
    ['last byte by suffix', 'bytes=-1', 1000, ranges([999, 999])],
    ['first 500 bytes', 'bytes=0-499', 1000, ranges([0, 499])],
    ['suffix of 500', 'bytes=-500', 1000, ranges([500, 999])],
    ['suffix longer than the file', 'bytes=-5000', 1000, ranges([0, 999])],
    ['open range', 'bytes=500-', 1000, ranges([500, 999])],
    ['a browser starting playback', 'bytes=0-', 1000, ranges([0, 999])],
    ['end beyond the end is clamped', 'bytes=900-5000', 1000, ranges([900, 999])],
    ['huge end is clamped', 'bytes=0-99999999999999999999999', 1000, ranges([0, 999])],
    ['start at the size', 'bytes=1000-', 1000, UNSATISFIABLE],
    ['start beyond the end', 'bytes=5000-6000', 1000, UNSATISFIABLE],
    ['suffix of zero', 'bytes=-0', 1000, UNSATISFIABLE],
    ['an empty file', 'bytes=0-', 0, UNSATISFIABLE],
    ['an empty file, suffix', 'bytes=-10', 0, UNSATISFIABLE],
    ['unit in capitals', 'BYTES=0-9', 1000, ranges([0, 9])],
    ['spaces around specs', 'bytes= 0-9 ,  20-29 ', 1000, ranges([0, 9], [20, 29])],
    ['empty list elements', 'bytes=0-9,,20-29,', 1000, ranges([0, 9], [20, 29])],
    ['two ranges', 'bytes=0-9,20-29', 1000, ranges([0, 9], [20, 29])],
    ['two ranges asked in reverse keep their order', 'bytes=20-29,0-9', 1000, ranges([20, 29], [0, 9])],
    ['overlapping ranges are merged', 'bytes=0-10,5-20', 1000, ranges([0, 20])],
    ['adjacent ranges are merged', 'bytes=0-9,10-19', 1000, ranges([0, 19])],
    ['contained range is merged', 'bytes=0-100,10-20', 1000, ranges([0, 100])],
    ['merged group goes where its first spec was', 'bytes=500-599,0-9,5-20', 1000, ranges([500, 599], [0, 20])],
    ['suffix overlapping a range', 'bytes=900-949,-100', 1000, ranges([900, 999])],
    ['unsatisfiable spec among satisfiable ones is dropped', 'bytes=0-9,2000-3000', 1000, ranges([0, 9])],
    ['all specs unsatisfiable', 'bytes=2000-3000,4000-', 1000, UNSATISFIABLE],
    ['another unit', 'items=0-9', 1000, FULL],
    ['no equals sign', 'bytes 0-9', 1000, FULL],
    ['empty set', 'bytes=', 1000, FULL],
    ['only commas', 'bytes=,,', 1000, FULL],
    ['end before start', 'bytes=10-5', 1000, FULL],
    ['no dash', 'bytes=10', 1000, FULL],
    ['two dashes', 'bytes=1-2-3', 1000, FULL],
    ['negative start', 'bytes=--5', 1000, FULL],
    ['not digits', 'bytes=a-b', 1000, FULL],
    ['exponent', 'bytes=1e3-', 1000, FULL],
    ['one bad spec spoils the set', 'bytes=0-9,x-y', 1000, FULL],
    ['empty dash', 'bytes=-', 1000, FULL],
  ])('%s: %s', (_name, header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it(`answers with the whole file beyond ${MAX_RANGES} range specs`, () => {
    const specs = (n: number) => `bytes=${Array.from({ length: n }, (_, i) => `${i * 10}-${i * 10 + 1}`).join(',')}`;
    const atCap = parseRange(specs(MAX_RANGES), 100_000);
    expect(atCap.kind === 'ranges' && atCap.ranges.length).toBe(MAX_RANGES);
    expect(parseRange(specs(MAX_RANGES + 1), 100_000)).toEqual(FULL);
    // Overlapping specs that would merge into one still count: the cap bounds the work, not the answer.
    expect(
      parseRange(
        `bytes=${Array(MAX_RANGES + 1)
          .fill('0-5')
          .join(',')}`,
        100,
      ),
    ).toEqual(FULL);
  });

  const header = fc.oneof(
    fc
      .array(
        fc.oneof(
          fc.tuple(fc.nat(3000), fc.option(fc.nat(3000))).map(([a, b]) => `${a}-${b ?? ''}`),
          fc.nat(3000).map((n) => `-${n}`),
          fc.constantFrom('', ' 1-2 ', 'x', '5-1'),
        ),
        { maxLength: 40 },
      )
      .map((specs) => `bytes=${specs.join(',')}`),
    fc.string(),
  );

  it('property: every satisfiable range lies in [0, size-1] with start <= end, sorted apart and not touching', () => {
    fc.assert(
      fc.property(header, fc.nat(2500), (value, size) => {
        const result = parseRange(value, size);
        if (result.kind !== 'ranges') return;
        expect(result.ranges.length).toBeGreaterThan(0);
        expect(result.ranges.length).toBeLessThanOrEqual(MAX_RANGES);
        for (const { start, end } of result.ranges) {
          expect(Number.isInteger(start) && Number.isInteger(end)).toBe(true);
          expect(start).toBeGreaterThanOrEqual(0);
          expect(start).toBeLessThanOrEqual(end);
          expect(end).toBeLessThanOrEqual(size - 1);
        }
        const sorted = [...result.ranges].sort((a, b) => a.start - b.start);
        for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThan(sorted[i - 1].end + 1);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the merged ranges cover exactly the bytes the specs asked for', () => {
    const spec = fc.oneof(
      fc.tuple(fc.nat(300), fc.nat(300)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.nat(300).map((n) => `${n}-`),
      fc.integer({ min: 1, max: 300 }).map((n) => `-${n}`),
    );
    fc.assert(
      fc.property(
        fc.array(spec, { minLength: 1, maxLength: MAX_RANGES }),
        fc.integer({ min: 1, max: 250 }),
        (specs, size) => {
          const wanted = new Set<number>();
          for (const s of specs) {
            const [a, b] = s.split('-');
            const start = a === '' ? Math.max(0, size - Number(b)) : Number(a);
            const end = a === '' || b === '' ? size - 1 : Math.min(Number(b), size - 1);
            for (let i = start; i <= end; i++) wanted.add(i);
          }
          const result = parseRange(`bytes=${specs.join(',')}`, size);
          if (wanted.size === 0) {
            expect(result).toEqual(UNSATISFIABLE);
            return;
          }
          const covered = new Set<number>();
          if (result.kind !== 'ranges') throw new Error(`expected ranges, got ${result.kind}`);
          for (const { start, end } of result.ranges) for (let i = start; i <= end; i++) covered.add(i);
          expect([...covered].sort((x, y) => x - y)).toEqual([...wanted].sort((x, y) => x - y));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('etagFor and ifRangeMatches', () => {
  const file = { size: 1234, mtimeMs: 1_700_000_000_123.456, ino: 42 };
  const etag = etagFor(file);
  const lastModified = new Date(file.mtimeMs);

  it('makes a strong, quoted ETag that changes with size, time and inode and hides the inode', () => {
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(etagFor({ ...file })).toBe(etag);
    expect(etagFor({ ...file, size: 1235 })).not.toBe(etag);
    expect(etagFor({ ...file, mtimeMs: file.mtimeMs + 0.001 })).not.toBe(etag);
    expect(etagFor({ ...file, ino: 43 })).not.toBe(etag);
    expect(etag).not.toContain('42');
  });

  it.each<[string, string | undefined, boolean]>([
    ['no If-Range', undefined, true],
    ['the same ETag', '__etag__', true],
    ['the same ETag with spaces', '  __etag__ ', true],
    ['another ETag', '"abc"', false],
    ['the same ETag marked weak', 'W/__etag__', false],
    ['the exact Last-Modified', '__date__', true],
    ['a date a second later', '__later__', false],
    ['the same instant written differently', '__iso__', false],
    ['garbage', 'yesterday', false],
    ['empty', '', false],
  ])('%s', (_name, raw, expected) => {
    const value = raw
      ?.replace('__etag__', etag)
      .replace('__date__', httpDate(lastModified))
      .replace('__later__', httpDate(new Date(file.mtimeMs + 1000)))
      .replace('__iso__', lastModified.toISOString());
    expect(ifRangeMatches(value, etag, lastModified)).toBe(expected);
    expect(ifRangeMatches(value, etag, file.mtimeMs)).toBe(expected);
  });

  it('writes HTTP dates as IMF-fixdate', () => {
    expect(httpDate(new Date(Date.UTC(1994, 10, 6, 8, 49, 37, 999)))).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
  });
});

describe('multipart/byteranges', () => {
  const boundary = multipartBoundary((n) => Buffer.alloc(n, 0xab));

  it('builds a boundary from 24 random bytes that fits RFC 2046 (at most 70 characters)', () => {
    expect(boundary).toBe(`hearth-${'ab'.repeat(24)}`);
    expect(boundary.length).toBeLessThanOrEqual(70);
    expect(multipartContentType(boundary)).toBe(`multipart/byteranges; boundary=${boundary}`);
  });

  it('writes part headers, the trailer and the exact length of the body', () => {
    const size = 100;
    const parts = [
      { start: 0, end: 9 },
      { start: 90, end: 99 },
    ];
    expect(multipartHeaderFor(boundary, 'video/mp4', parts[0], size)).toBe(
      `\r\n--${boundary}\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-9/100\r\n\r\n`,
    );
    expect(multipartTrailer(boundary)).toBe(`\r\n--${boundary}--\r\n`);
    const file = Buffer.from(Array.from({ length: size }, (_, i) => i));
    const body = Buffer.concat([
      ...parts.flatMap((r) => [
        Buffer.from(multipartHeaderFor(boundary, 'video/mp4', r, size)),
        file.subarray(r.start, r.end + 1),
      ]),
      Buffer.from(multipartTrailer(boundary)),
    ]);
    expect(multipartLength(boundary, 'video/mp4', parts, size)).toBe(body.length);
    expect(body.indexOf(Buffer.from([90, 91, 92]))).toBeGreaterThan(0);
  });

  it('writes Content-Range values', () => {
    expect(contentRange({ start: 0, end: 499 }, 1234)).toBe('bytes 0-499/1234');
    expect(unsatisfiedContentRange(1234)).toBe('bytes */1234');
  });
});
