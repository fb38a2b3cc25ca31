// The scanner through the API on fixture trees made here: names, real clips and tagged tracks made
// with ffmpeg, incremental rescans (probes counted), moves that keep progress, corrupt files, a scan
// stopped half-way, one scan at a time, folder watching, and the CLI.
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLibrary } from '../../src/store/media.repository.ts';
import { requestScan, scanLibrary, type ScanCounts } from '../../src/media/scanner.ts';
import { ProbeError, type ProbeResult } from '../../src/media/probe.ts';
import { watchLibraries } from '../../src/media/watch.ts';
import type { TestServer } from '../helpers/server.ts';
import {
  allItems,
  copy,
  createLibrary,
  haveFfmpeg,
  makeClip,
  makeTrack,
  mediaServer,
  put,
  scan,
  tempDir,
} from './media-helpers.ts';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/hearth.mjs', import.meta.url));
const ffmpeg = haveFfmpeg();

describe('the scanner', () => {
  let s: TestServer;
  let admin: string;
  let base: string;
  let clip: string;

  beforeAll(async () => {
    ({ s, admin } = await mediaServer());
    base = tempDir('hearth-scanner-');
    if (ffmpeg) clip = makeClip(join(base, 'source', 'clip.mp4'));
  }, 120_000);
  afterAll(async () => s?.close());

  async function library(
    name: string,
    kind: string,
    files: Record<string, string | Buffer> = {},
  ): Promise<{ id: string; dir: string }> {
    const dir = join(base, name);
    for (const [path, content] of Object.entries(files)) put(join(dir, path), content);
    put(join(dir, '.keep'));
    return { id: await createLibrary(s, admin, name, kind, [dir]), dir };
  }
  const item = async (id: string) => (await s.request('GET', `/api/v1/items/${id}`, { token: admin })).body;

  it('reads music, daily shows, multi-part movies and extras folders from names alone', async () => {
    const music = await library('music-names', 'music', {
      'Pink Floyd/The Dark Side of the Moon (1973)/03 - Time.flac': '',
      'Pink Floyd/The Dark Side of the Moon (1973)/cover.jpg': 'img',
      'Pink Floyd/The Wall/CD2/01 - Hey You.mp3': '',
      'Pink Floyd/The Wall/CD2/not-music.mkv': '',
    });
    const job = await scan(s, admin, music.id, { probe: false });
    expect(job.result).toMatchObject({ added: 2, probed: 0, failed: 0 });
    const [artist] = await allItems(s, admin, music.id);
    expect(artist).toMatchObject({ type: 'artist', title: 'Pink Floyd', child_count: 2 });
    const albums = (await item(artist.id)).children;
    expect(albums.map((a: any) => [a.type, a.title, a.year, a.has_artwork])).toEqual([
      ['album', 'The Dark Side of the Moon', 1973, true],
      ['album', 'The Wall', null, false],
    ]);
    expect((await item(albums[0].id)).children.map((t: any) => [t.type, t.index, t.title, t.artist])).toEqual([
      ['track', 3, 'Time', 'Pink Floyd'],
    ]);
    expect((await item(albums[1].id)).children.map((t: any) => [t.disc, t.index, t.title])).toEqual([
      [2, 1, 'Hey You'],
    ]);

    const shows = await library('daily', 'shows', { 'The Daily Show/The Daily Show - 2024-03-05 - Guest.mkv': '' });
    await scan(s, admin, shows.id, { probe: false });
    const [show] = await allItems(s, admin, shows.id);
    const [season] = (await item(show.id)).children;
    expect(season).toMatchObject({ type: 'season', title: '2024', index: 2024 });
    expect((await item(season.id)).children.map((e: any) => [e.title, e.air_date])).toEqual([['Guest', '2024-03-05']]);

    const movies = await library('movies-names', 'movies', {
      'Kill Bill (2003)/Kill Bill (2003) - part1.mkv': '',
      'Kill Bill (2003)/Kill Bill (2003) - part2.mkv': '',
      'Heat (1995)/Heat (1995).mkv': '',
      'Heat (1995)/Extras/Making of.mkv': '',
      'Heat (1995)/Heat (1995)-fanart.jpg': 'img',
    });
    await scan(s, admin, movies.id, { probe: false });
    const top = await allItems(s, admin, movies.id);
    // A movie in parts is one item (its first part), which lists the others (test/media/stacks.test.ts).
    expect(top.map((m) => [m.title, m.part])).toEqual([
      ['Heat', null],
      ['Kill Bill', 1],
    ]);
    const heat = await item(top[0].id);
    expect(heat.children.map((c: any) => [c.type, c.extra_type, c.title])).toEqual([['extra', 'other', 'Making of']]);
    const fanart = await s.request('GET', `/api/v1/items/${heat.id}/artwork?kind=fanart`, { token: admin });
    expect([fanart.status, fanart.body]).toEqual([200, 'img']);
    expect((await s.request('GET', `/api/v1/items/${heat.id}/artwork`, { token: admin })).status).toBe(404);

    // A new image alone, with no media file changed, is still found by the next scan.
    put(join(movies.dir, 'Kill Bill (2003)', 'folder.jpg'), 'kb');
    const rescan = await scan(s, admin, movies.id, { probe: false });
    expect(rescan.result).toMatchObject({ added: 0, unchanged: 4 });
    const parts = await allItems(s, admin, movies.id);
    expect(parts.map((m) => [m.title, m.has_artwork])).toEqual([
      ['Heat', false],
      ['Kill Bill', true],
    ]);
    const poster = await s.request('GET', `/api/v1/items/${parts[1].id}/artwork`, { token: admin });
    expect([poster.status, poster.body, poster.headers['content-type']]).toEqual([200, 'kb', 'image/jpeg']);
  });

  it('S71: links that lead out of a library are not followed; links inside it are', async () => {
    const outside = join(base, 'private');
    put(join(outside, 'Secret (2020).mkv'));
    put(join(outside, 'Folder (2021)', 'Folder (2021).mkv'));
    const lib = await library('linked', 'movies', { 'Inside (2019)/Inside (2019).mkv': '' });
    symlinkSync(join(outside, 'Secret (2020).mkv'), join(lib.dir, 'Secret (2020).mkv'));
    symlinkSync(join(outside, 'Folder (2021)'), join(lib.dir, 'Folder (2021)'));
    symlinkSync(join(lib.dir, 'Inside (2019)', 'Inside (2019).mkv'), join(lib.dir, 'Again (2018).mkv'));
    await scan(s, admin, lib.id, { probe: false });
    expect((await allItems(s, admin, lib.id)).map((m) => m.title)).toEqual(['Again', 'Inside']);
  });

  it.skipIf(!ffmpeg)('probes real clips: codecs, resolution, duration and whether browsers play them', async () => {
    const lib = await library('probed', 'movies');
    copy(clip, join(lib.dir, 'Clip (2020).mp4'));
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      clip,
      '-c',
      'copy',
      join(lib.dir, 'Remux (2021).mkv'),
    ]);
    const job = await scan(s, admin, lib.id);
    expect(job.result).toMatchObject({ added: 2, probed: 2, failed: 0 });
    const [clipItem, remux] = await allItems(s, admin, lib.id);
    expect(clipItem).toMatchObject({
      title: 'Clip',
      video_codec: 'h264',
      audio_codec: 'aac',
      width: 160,
      height: 120,
      mime: 'video/mp4',
      browser_playable: true,
    });
    expect(clipItem.duration_seconds).toBeGreaterThan(1.5);
    expect(clipItem.duration_seconds).toBeLessThan(2.5);
    // Matroska does not play in Safari: not promised as browser-playable.
    expect(remux).toMatchObject({
      title: 'Remux',
      video_codec: 'h264',
      browser_playable: false,
      mime: 'video/x-matroska',
    });
  });

  it.skipIf(!ffmpeg)(
    'rescans incrementally: unchanged files are not probed again, changed ones are, removed ones disappear',
    async () => {
      const lib = await library('incremental', 'movies');
      for (const name of ['One (2001)', 'Two (2002)', 'Three (2003)']) copy(clip, join(lib.dir, name, `${name}.mp4`));
      const first = await scan(s, admin, lib.id);
      expect(first.result).toMatchObject({ added: 3, probed: 3, unchanged: 0 });
      const before = await allItems(s, admin, lib.id);

      const again = await scan(s, admin, lib.id);
      expect(again.result).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 3, probed: 0 });

      const two = join(lib.dir, 'Two (2002)', 'Two (2002).mp4');
      utimesSync(two, new Date(), new Date(Date.now() + 5000));
      const touched = await scan(s, admin, lib.id);
      expect(touched.result).toMatchObject({ updated: 1, unchanged: 2, probed: 1 });

      rmSync(join(lib.dir, 'Three (2003)'), { recursive: true });
      const removed = await scan(s, admin, lib.id);
      expect(removed.result).toMatchObject({ removed: 1, unchanged: 2, probed: 0 });
      const after = await allItems(s, admin, lib.id);
      expect(after.map((m) => m.id)).toEqual(before.filter((m) => m.title !== 'Three').map((m) => m.id));
      const three = before.find((m) => m.title === 'Three')!;
      expect((await s.request('GET', `/api/v1/items/${three.id}`, { token: admin })).status).toBe(404);
    },
  );

  it.skipIf(!ffmpeg)(
    'a moved or renamed file keeps its id and watch progress, also when its inode changed',
    async () => {
      const lib = await library('moves', 'movies');
      copy(clip, join(lib.dir, 'Old Name (2010).mp4'));
      copy(clip, join(lib.dir, 'Other (2011).mp4'));
      appendFileSync(join(lib.dir, 'Other (2011).mp4'), 'different bytes at the end');
      await scan(s, admin, lib.id);
      const [movie] = await allItems(s, admin, lib.id);
      expect(movie.title).toBe('Old Name');
      await s.request('PUT', `/api/v1/items/${movie.id}/progress`, { token: admin, body: { position_seconds: 1.25 } });

      // Renamed into a folder: same inode.
      renameSync(join(lib.dir, 'Old Name (2010).mp4'), put(join(lib.dir, 'New Name (2012)', 'New Name (2012).mp4')));
      const renamed = await scan(s, admin, lib.id);
      expect(renamed.result).toMatchObject({ moved: 1, added: 0, removed: 0, probed: 0 });
      const moved = await item(movie.id);
      expect(moved).toMatchObject({
        id: movie.id,
        title: 'New Name',
        year: 2012,
        progress: { position_seconds: 1.25 },
      });

      // Copied to another place and the original deleted: a new inode, found by its fingerprint.
      const from = join(lib.dir, 'New Name (2012)', 'New Name (2012).mp4');
      const to = join(lib.dir, 'Restored', 'New Name (2012).mp4');
      copy(from, to);
      unlinkSync(from);
      const restored = await scan(s, admin, lib.id);
      expect(restored.result).toMatchObject({ moved: 1, added: 0, removed: 0 });
      expect(await item(movie.id)).toMatchObject({ id: movie.id, progress: { position_seconds: 1.25 } });
      const cw = await s.request('GET', '/api/v1/me/continue-watching', { token: admin });
      expect(cw.body.items.map((i: any) => i.id)).toEqual([movie.id]);

      // Gone for good: gone from "continue watching" too.
      unlinkSync(to);
      await scan(s, admin, lib.id);
      expect((await s.request('GET', '/api/v1/me/continue-watching', { token: admin })).body.items).toEqual([]);
    },
  );

  it.skipIf(!ffmpeg)(
    'corrupt and empty files are listed in the result, never fatal, and not probed again until they change',
    async () => {
      const lib = await library('corrupt', 'movies', {
        'Garbage (2001).mp4': Buffer.from('this is not a video at all, just some text pretending to be one'.repeat(50)),
        'Empty (2002).mkv': '',
      });
      copy(clip, join(lib.dir, 'Fine (2003).mp4'));
      const job = await scan(s, admin, lib.id);
      expect(job.state).toBe('done');
      expect(job.result).toMatchObject({ added: 3, probed: 3, failed: 2 });
      expect(job.result.skipped.map((f: any) => f.path).sort()).toEqual(['Empty (2002).mkv', 'Garbage (2001).mp4']);
      expect(job.result.skipped.every((f: any) => typeof f.reason === 'string' && f.reason.length > 0)).toBe(true);
      expect(JSON.stringify(job.result)).not.toContain(lib.dir);
      expect((await allItems(s, admin, lib.id)).map((m) => m.title)).toEqual(['Fine']);

      const again = await scan(s, admin, lib.id);
      expect(again.result).toMatchObject({ probed: 0, unchanged: 3, failed: 0 });

      copy(clip, join(lib.dir, 'Garbage (2001).mp4'));
      const fixed = await scan(s, admin, lib.id);
      expect(fixed.result).toMatchObject({ updated: 1, probed: 1, failed: 0 });
      expect((await allItems(s, admin, lib.id)).map((m) => m.title)).toEqual(['Fine', 'Garbage']);
    },
  );

  it.skipIf(!ffmpeg)(
    'a group counts only the children it lists: a corrupt episode is in neither its child_count nor its children',
    async () => {
      const lib = await library('corrupt-child', 'shows');
      copy(clip, join(lib.dir, 'Show', 'Season 01', 'Show - S01E01.mp4'));
      put(join(lib.dir, 'Show', 'Season 01', 'Show - S01E02.mp4'), 'not a video at all');
      const job = await scan(s, admin, lib.id);
      expect(job.result).toMatchObject({ probed: 2, failed: 1 });
      const [season] = await allItems(s, admin, lib.id, 'season');
      const detail = await item(season.id);
      expect(detail.children.map((c: any) => c.index)).toEqual([1]);
      expect([season.child_count, detail.child_count]).toEqual([1, 1]);
    },
  );

  it.skipIf(!ffmpeg)('an album shows a cover only from tracks it lists: not from one whose probe failed', async () => {
    const lib = await library('corrupt-cover', 'music');
    makeTrack(join(lib.dir, 'Artist', 'Album', '01 - Plain.mp3'), {
      title: 'Plain',
      artist: 'Artist',
      album: 'Album',
      track: '1',
    });
    makeTrack(
      join(lib.dir, 'Artist', 'Album', '02 - Covered.mp3'),
      { title: 'Covered', artist: 'Artist', album: 'Album', track: '2' },
      true,
    );
    await scan(s, admin, lib.id);
    const [album] = await allItems(s, admin, lib.id, 'album');
    expect([album.has_artwork, album.child_count]).toEqual([true, 2]);
    // As the store holds a track that failed its probe after having had a cover.
    await s.deps.db
      .updateTable('media_items')
      .set({ probe_state: 'failed' })
      .where('library_id', '=', lib.id)
      .where('title', '=', 'Covered')
      .execute();
    const after = await item(album.id);
    expect([after.has_artwork, after.child_count, after.children.length]).toEqual([false, 1, 1]);
    expect((await s.request('GET', `/api/v1/items/${album.id}/artwork`, { token: admin })).status).toBe(404);
  });

  it.skipIf(!ffmpeg)(
    'music: tags win over folder names; album artists group compilations; embedded covers are served',
    async () => {
      const lib = await library('music-tags', 'music');
      makeTrack(
        join(lib.dir, 'incoming', 'track1.mp3'),
        {
          title: 'Be My Husband',
          artist: 'Nina Simone',
          album: 'Pastel Blues',
          track: '2/9',
          disc: '1/1',
          date: '1965',
        },
        true,
      );
      makeTrack(join(lib.dir, 'incoming', 'track2.mp3'), {
        title: 'So What',
        artist: 'Miles Davis',
        album_artist: 'Various Artists',
        album: 'Jazz Hits',
        track: '1',
      });
      makeTrack(join(lib.dir, 'incoming', 'track3.mp3'), {
        title: 'Take Five',
        artist: 'Dave Brubeck',
        album_artist: 'Various Artists',
        album: 'Jazz Hits',
        track: '2',
      });
      const job = await scan(s, admin, lib.id);
      expect(job.result).toMatchObject({ added: 3, probed: 3, failed: 0 });
      const artists = await allItems(s, admin, lib.id);
      expect(artists.map((a) => a.title)).toEqual(['Nina Simone', 'Various Artists']);
      const [pastel] = (await item(artists[0].id)).children;
      expect(pastel).toMatchObject({ type: 'album', title: 'Pastel Blues', year: 1965, has_artwork: true });
      const tracks = (await item(pastel.id)).children;
      expect(tracks).toMatchObject([
        {
          title: 'Be My Husband',
          index: 2,
          disc: 1,
          artist: 'Nina Simone',
          audio_codec: expect.stringMatching(/mp3|MPEG/i),
        },
      ]);
      expect(tracks[0].duration_seconds).toBeGreaterThan(0.5);
      const cover = await s.app.inject({
        method: 'GET',
        url: `/api/v1/items/${pastel.id}/artwork`,
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(cover.statusCode).toBe(200);
      expect(cover.headers['content-type']).toBe('image/jpeg');
      expect(cover.rawPayload.subarray(0, 2).toString('hex')).toBe('ffd8');
      const [jazz] = (await item(artists[1].id)).children;
      expect((await item(jazz.id)).children.map((t: any) => [t.index, t.title, t.artist])).toEqual([
        [1, 'So What', 'Miles Davis'],
        [2, 'Take Five', 'Dave Brubeck'],
      ]);
      // The placeholder groups from the folder name ("incoming", no artist) are gone.
      expect((await allItems(s, admin, lib.id, 'album')).map((a) => a.title).sort()).toEqual([
        'Jazz Hits',
        'Pastel Blues',
      ]);
    },
  );

  it.skipIf(!ffmpeg)(
    'S71: an embedded cover is read only from a track still inside the library, not through a link swapped in',
    async () => {
      const lib = await library('music-swapped', 'music');
      const track = makeTrack(
        join(lib.dir, 'Artist', 'Album', '01 - Song.mp3'),
        { title: 'Song', artist: 'Artist', album: 'Album', track: '1' },
        true,
      );
      const sibling = makeTrack(
        join(lib.dir, 'Artist', 'Album', '02 - Other.mp3'),
        { title: 'Other', artist: 'Artist', album: 'Album', track: '2' },
        true,
      );
      // A track outside every library with a cover of its own (a blue PNG; the library's are red JPEGs).
      const outside = join(base, 'private-music');
      const secretCover = join(outside, 'secret.png');
      const secretTrack = join(outside, 'secret.mp3');
      put(secretCover);
      await run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'color=c=blue:size=48x48',
        '-frames:v',
        '1',
        secretCover,
      ]);
      await run('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'sine=duration=1',
        '-i',
        secretCover,
        '-map',
        '0:a',
        '-map',
        '1:v',
        '-c:a',
        'libmp3lame',
        '-c:v',
        'copy',
        '-id3v2_version',
        '3',
        '-metadata:s:v',
        'comment=Cover (front)',
        '-disposition:v',
        'attached_pic',
        secretTrack,
      ]);
      await scan(s, admin, lib.id);
      const song = (await allItems(s, admin, lib.id, 'track')).find((i) => i.title === 'Song')!;
      const artwork = () =>
        s.app.inject({
          method: 'GET',
          url: `/api/v1/items/${song.id}/artwork`,
          headers: { authorization: `Bearer ${admin}` },
        });
      expect((await artwork()).headers['content-type']).toBe('image/jpeg');

      const aside = join(base, 'aside.mp3');
      renameSync(track, aside);
      try {
        symlinkSync(secretTrack, track);
        const swapped = await artwork();
        expect(swapped.statusCode).toBe(404);
        expect(swapped.rawPayload.includes(readFileSync(secretCover))).toBe(false);
        unlinkSync(track);
        // A link to another track inside the library is fine.
        symlinkSync(sibling, track);
        expect((await artwork()).statusCode).toBe(200);
        unlinkSync(track);
      } finally {
        renameSync(aside, track);
      }
      const restored = await artwork();
      expect([restored.statusCode, restored.rawPayload.subarray(0, 2).toString('hex')]).toEqual([200, 'ffd8']);
    },
  );

  it('a scan stopped half-way loses nothing: the next run probes only what was left', async () => {
    const lib = await library(
      'resume',
      'movies',
      Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`Film ${i} (200${i}).mkv`, 'x'])),
    );
    const row = (await findLibrary(s.deps.db, lib.id))!;
    const fake: ProbeResult = {
      container: 'matroska,webm',
      videoCodec: 'h264',
      audioCodec: 'aac',
      width: 640,
      height: 360,
      pixFmt: 'yuv420p',
      durationSeconds: 60,
      browserPlayable: false,
      embeddedCover: false,
      tags: null,
    };
    const probed: string[] = [];
    const stop = new AbortController();
    const crashing = scanLibrary(
      s.deps,
      row,
      { probe: true },
      {
        signal: stop.signal,
        probeConcurrency: 1,
        probeFlushEvery: 1,
        prober: async (path) => {
          if (probed.length === 3) {
            stop.abort(new Error('the process died'));
            throw new Error('killed');
          }
          probed.push(path);
          return fake;
        },
      },
    );
    await expect(crashing).rejects.toThrow('the process died');
    const firstRun = [...probed];
    probed.length = 0;
    const result = await scanLibrary(
      s.deps,
      row,
      { probe: true },
      { prober: async (path) => (probed.push(path), fake) },
    );
    expect(result).toMatchObject({ added: 0, unchanged: 6, probed: 3, failed: 0 });
    expect(new Set([...firstRun, ...probed]).size).toBe(6);
    const items = await allItems(s, admin, lib.id);
    expect(items.map((i) => i.width)).toEqual([640, 640, 640, 640, 640, 640]);
  });

  it('a scan resumed from its checkpoint counts each file probed once: the checkpoint holds no probe still in flight', async () => {
    const lib = await library('resume-counts', 'movies', { 'A (2001).mkv': 'a', 'B (2002).mkv': 'b' });
    const row = (await findLibrary(s.deps.db, lib.id))!;
    const fake: ProbeResult = {
      container: 'matroska,webm',
      videoCodec: 'h264',
      audioCodec: 'aac',
      width: 640,
      height: 360,
      pixFmt: 'yuv420p',
      durationSeconds: 60,
      browserPlayable: false,
      embeddedCover: false,
      tags: null,
    };
    // Two probes at once: A answers, B is still running when the process dies at the checkpoint after A.
    let saved: ScanCounts | null = null;
    let releaseB!: () => void;
    const bWaits = new Promise<void>((resolve) => (releaseB = resolve));
    const crashing = scanLibrary(
      s.deps,
      row,
      { probe: true },
      {
        probeConcurrency: 2,
        probeFlushEvery: 1,
        prober: async (path) => {
          if (path.includes('B (2002)')) await bWaits;
          return fake;
        },
        report: async (phase, counts, checkpoint) => {
          if (checkpoint && phase === 'probe' && saved === null) {
            saved = { ...counts };
            throw new Error('the process died');
          }
        },
      },
    );
    await expect(crashing).rejects.toThrow('the process died');
    releaseB();
    expect(saved).toMatchObject({ probed: 1, failed: 0 });
    // Resumed as scanJobType resumes it, from the checkpoint's counts; B turns out to be corrupt.
    const resumed = await scanLibrary(
      s.deps,
      (await findLibrary(s.deps.db, lib.id))!,
      { probe: true },
      {
        prober: async (path) => {
          if (path.includes('B (2002)')) throw new ProbeError('not a video');
          return fake;
        },
      },
      saved,
    );
    expect(resumed).toMatchObject({
      added: 2,
      probed: 2,
      failed: 1,
      skipped: [{ path: 'B (2002).mkv', reason: 'not a video' }],
    });
  });

  it('one scan per library at a time: a second request while one is queued gets the same job', async () => {
    const quiet = await mediaServer({ background: false });
    try {
      const dir = tempDir('hearth-dedupe-');
      put(join(dir, 'A (2000).mkv'));
      const id = await createLibrary(quiet.s, quiet.admin, 'Dedupe', 'movies', [dir]);
      const [a, b] = await Promise.all([
        quiet.s.request('POST', `/api/v1/libraries/${id}/scan`, { token: quiet.admin, body: { probe: false } }),
        quiet.s.request('POST', `/api/v1/libraries/${id}/scan`, { token: quiet.admin, body: { probe: false } }),
      ]);
      expect(a.status).toBe(202);
      expect(b.body.job_id).toBe(a.body.job_id);
      expect([a.body.created, b.body.created].sort()).toEqual([false, true]);
      expect(await quiet.s.deps.jobs.runOne(quiet.s.deps, a.body.job_id)).toBe(true);
      const status = await quiet.s.request('GET', `/api/v1/libraries/${id}/scan`, { token: quiet.admin });
      expect(status.body.job).toMatchObject({ id: a.body.job_id, state: 'done', result: { added: 1 } });
      const next = await quiet.s.request('POST', `/api/v1/libraries/${id}/scan`, { token: quiet.admin, body: {} });
      expect(next.body).toMatchObject({ created: true });
      expect(next.body.job_id).not.toBe(a.body.job_id);
      expect((await requestScan(quiet.s.deps, id, {}, new Date()))?.jobId).toBe(next.body.job_id);
      expect(
        (await quiet.s.request('GET', `/api/v1/libraries/${id}/scan/${a.body.job_id}`, { token: quiet.member.token }))
          .status,
      ).toBe(403);
    } finally {
      await quiet.s.close();
    }
  });

  it('watching folders: a new file queues a scan that finds it', async () => {
    const lib = await library('watched', 'movies');
    await scan(s, admin, lib.id, { probe: false });
    const stop = watchLibraries(s.deps, { debounceMs: 50, resyncMs: 50 });
    try {
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(join(lib.dir, 'Arrived (2024).mkv'), '');
      const started = Date.now();
      for (;;) {
        // The file is empty, so the scan lists it as unreadable: enough to show that it was found.
        const { job } = (await s.request('GET', `/api/v1/libraries/${lib.id}/scan`, { token: admin })).body;
        if (job?.state === 'done' && job.result.added === 1) {
          expect(job.result.skipped).toEqual([{ path: 'Arrived (2024).mkv', reason: 'the file is empty' }]);
          break;
        }
        if (Date.now() - started > 15_000) throw new Error('the watcher did not queue a scan');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await stop();
    }
  });

  it('hearth library scan shows progress and the counts', async () => {
    const lib = await library('cli', 'shows', {
      'Show/Season 1/Show - S01E01.mkv': '',
      'Show/Season 1/Show - S01E02.mkv': '',
    });
    const env = { ...process.env, HEARTH_DATA_DIR: s.dataDir, HEARTH_LOG_LEVEL: 'silent' };
    // By id, which may well start with "-".
    const { stdout, stderr } = await run(process.execPath, [BIN, 'library', 'scan', lib.id, '--names-only'], { env });
    expect(stdout).toContain('Scanned cli: 2 added');
    expect(stderr).toContain('Scanning cli');
    expect((await allItems(s, admin, lib.id)).map((m) => m.title)).toEqual(['Show']);
    const missing = await run(process.execPath, [BIN, 'library', 'scan', 'nope'], { env }).catch((err) => err);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no library "nope"');
  }, 120_000);
});
