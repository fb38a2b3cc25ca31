// Thumbnails: a background job after the scan makes a frame for every film and episode without
// artwork, serves it as the item's picture (resized on request), and makes it again when the file changes.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thumbnailArgs, thumbnailSecond } from '../../src/media/thumbnails.ts';
import type { TestServer } from '../helpers/server.ts';
import {
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

const ffmpeg = haveFfmpeg();

function clipOfSize(path: string, size: string): string {
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=duration=3:size=${size}:rate=10`,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
  return path;
}

describe('thumbnail arguments', () => {
  it('take a frame a tenth of the way in, at most five minutes, from numbers and the stored path only (S74)', () => {
    expect(thumbnailSecond(null)).toBe(0);
    expect(thumbnailSecond(100)).toBe(10);
    expect(thumbnailSecond(7200)).toBe(300);
    const args = thumbnailArgs('/lib/Film (2010).mkv', 100, '/data/thumbnails/x.jpg');
    expect(args.slice(0, 2)).toEqual(['-ss', '10.000']);
    expect(args).toContain('file:/lib/Film (2010).mkv');
    expect(args[args.indexOf('-protocol_whitelist') + 1]).toBe('file');
  });
});

describe.skipIf(!ffmpeg)('the thumbnail job', () => {
  let s: TestServer;
  let admin: string;
  let dir: string;
  let lib: string;
  const item = async (id: string) => (await s.request('GET', `/api/v1/items/${id}`, { token: admin })).body;
  const art = (id: string, query: string) =>
    s.app.inject({
      method: 'GET',
      url: `/api/v1/items/${id}/artwork${query}`,
      headers: { authorization: `Bearer ${admin}` },
    });

  async function thumbnailWidth(id: string, previous: number | null): Promise<number> {
    for (let i = 0; i < 300; i++) {
      const res = await art(id, '?kind=thumb');
      if (res.statusCode === 200) {
        const width = (await sharp(res.rawPayload).metadata()).width!;
        if (width !== previous) return width;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no (new) thumbnail was made');
  }

  beforeAll(async () => {
    ({ s, admin } = await mediaServer());
    dir = tempDir('hearth-thumbs-');
    const clip = makeClip(join(dir, 'src', 'clip.mp4'));
    copy(clip, join(dir, 'lib', 'Show', 'Season 1', 'Show - S01E01 - Pilot.mp4'));
    copy(clip, join(dir, 'lib', 'Show', 'Season 1', 'Show - S01E02 - Second.mp4'));
    put(
      join(dir, 'lib', 'Show', 'Season 1', 'Show - S01E02 - Second-thumb.jpg'),
      await sharp({ create: { width: 40, height: 30, channels: 3, background: '#00f' } })
        .jpeg()
        .toBuffer(),
    );
    lib = await createLibrary(s, admin, 'Thumbs', 'shows', [join(dir, 'lib')]);
    await scan(s, admin, lib);
  }, 60_000);
  afterAll(async () => s?.close());

  it('makes a thumbnail for episodes without artwork, serves it resized, and remakes it when the file changes', async () => {
    const episodes = await allItems(s, admin, lib, 'episode');
    const pilot = episodes.find((e) => e.title === 'Pilot')!;
    const second = episodes.find((e) => e.title === 'Second')!;
    expect(await thumbnailWidth(pilot.id, null)).toBe(160);
    const view = await item(pilot.id);
    expect([view.has_thumbnail, view.has_artwork]).toEqual([true, true]);
    // The poster of an episode without one is its thumbnail; sizes work on it too.
    const small = await art(pilot.id, '?width=80&format=webp');
    expect(await sharp(small.rawPayload).metadata()).toMatchObject({ format: 'webp', width: 80 });
    // An episode with its own picture gets no made one.
    expect((await item(second.id)).has_thumbnail).toBe(false);
    expect((await sharp((await art(second.id, '')).rawPayload).metadata()).width).toBe(40);

    // The file changes: a rescan sees it and the job makes the thumbnail again.
    clipOfSize(join(dir, 'lib', 'Show', 'Season 1', 'Show - S01E01 - Pilot.mp4'), '320x240');
    await scan(s, admin, lib);
    expect(await thumbnailWidth(pilot.id, 160)).toBe(320);
  });

  it("reads the container's chapters for the item page and seeking", async () => {
    const meta = put(
      join(dir, 'src', 'chapters.txt'),
      ';FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=Opening\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Ending\n',
    );
    const out = join(dir, 'lib', 'Show', 'Season 1', 'Show - S01E03 - Chapters.mkv');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-i',
      join(dir, 'src', 'clip.mp4'),
      '-i',
      meta,
      '-map_metadata',
      '1',
      '-map_chapters',
      '1',
      '-c',
      'copy',
      out,
    ]);
    await scan(s, admin, lib);
    const episode = (await allItems(s, admin, lib, 'episode')).find((e) => e.title === 'Chapters')!;
    expect((await item(episode.id)).chapters).toEqual([
      { start_seconds: 0, end_seconds: 1, title: 'Opening' },
      { start_seconds: 1, end_seconds: 2, title: 'Ending' },
    ]);
  });
});
