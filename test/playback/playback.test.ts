// Playback with real ffmpeg on clips made here: the decision (direct, remux, transcode), HLS on demand
// with stable segment numbers, audio tracks, subtitles as WebVTT, and the security promises of playback:
// S73 (URL tokens bound to item and session, revocation stops the encoder), S74 (no request value in
// ffmpeg's arguments), and 404 for what is not granted.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { playbackOf } from '../../src/playback/hls.ts';
import { testClock, type TestServer } from '../helpers/server.ts';
import { PASSWORD, allItems, createLibrary, haveFfmpeg, mediaServer, scan, tempDir } from '../media/media-helpers.ts';
import {
  ENGLISH_CUE,
  FRENCH_CUE,
  makeH264Aac,
  makeH264Dts,
  makeHevcAc3,
  makeMpeg2Mp2,
  pgsEncoder,
  writeFrenchSidecar,
} from './clips.ts';

const run = promisify(execFile);
const ffmpeg = haveFfmpeg();

/** What Chromium without proprietary codecs reports: no HEVC, no AC-3, no DTS, no Matroska. */
export const CHROMIUM = {
  video: ['h264', 'vp8', 'vp9', 'av1'],
  audio: ['aac', 'mp3', 'opus', 'vorbis', 'flac'],
  containers: ['mp4', 'webm'],
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await what()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!ffmpeg)('playback', () => {
  let s: TestServer;
  let admin: string;
  let member: { id: string; token: string };
  let library: string;
  let dir: string;
  const ids: Record<string, string> = {};
  const clock = testClock();

  const path = (url: string) => {
    const u = new URL(url);
    return u.pathname + u.search;
  };
  const get = (url: string, headers: Record<string, string> = {}) => fetch(new URL(path(url), s.url), { headers });
  const decide = (id: string, token: string, body: Record<string, unknown> = {}) =>
    s.request('POST', `/api/v1/items/${id}/playback`, { token, body: { ...CHROMIUM, ...body } });
  const segmentUrl = (playlistUrl: string, n: number) => {
    const u = new URL(playlistUrl);
    return `${u.origin}${u.pathname.replace(/index\.m3u8$/, `${n}.ts`)}${u.search}`;
  };

  beforeAll(async () => {
    ({ s, admin, member } = await mediaServer({ clock: clock.clock, env: { HEARTH_TRANSCODE_MAX: '1' } }));
    dir = join(tempDir('hearth-playback-'), 'films');
    makeHevcAc3(join(dir, 'Hevc (2020).mkv'));
    makeMpeg2Mp2(join(dir, 'Mpeg Two (2019).ts'));
    makeH264Dts(join(dir, 'Two Languages (2018).mkv'));
    writeFrenchSidecar(join(dir, 'Two Languages (2018).fr.srt'));
    makeH264Aac(join(dir, 'Plain (2017).mp4'));
    library = await createLibrary(s, admin, 'Films', 'movies', [dir]);
    await scan(s, admin, library);
    for (const item of await allItems(s, admin, library)) ids[item.title] = item.id;
    await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
      token: admin,
      body: { library_ids: [library] },
    });
  }, 180_000);

  afterEach(async () => {
    const service = playbackOf(s.deps);
    for (const session of service.list()) await service.end(session);
  });

  afterAll(async () => {
    s?.app.server.closeAllConnections();
    await s?.close();
  });

  it('plays H.264 + AAC in MP4 directly through a stream URL that needs no headers', async () => {
    const res = await decide(ids.Plain!, member.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.method).toBe('direct');
    expect(res.body.url).toContain('/stream?st=');
    const file = await get(res.body.url, { range: 'bytes=0-99' });
    expect(file.status).toBe(206);
  });

  it('transcodes HEVC + AC-3 in Matroska to H.264 yuv420p + AAC stereo over HLS, with a reason in words', async () => {
    const res = await decide(ids.Hevc!, member.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.method).toBe('transcode');
    expect(res.body.reason).toMatch(/HEVC/);
    expect(res.body.audio).toEqual([expect.objectContaining({ codec: 'ac3', channels: 6, selected: true })]);
    const playlist = await get(res.body.url);
    expect(playlist.status).toBe(200);
    expect(playlist.headers.get('content-type')).toContain('mpegurl');
    const text = await playlist.text();
    // VOD over the whole duration (40 s in 4-second segments), every URL carrying the token.
    expect(res.body.duration_seconds).toBeGreaterThan(39.9);
    expect(text).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
    expect(text).toContain('#EXT-X-ENDLIST');
    expect(text.match(/^\d+\.ts\?st=hst_/gm)).toHaveLength(10);
    const segment = await get(segmentUrl(res.body.url, 0));
    expect(segment.status).toBe(200);
    const seg0 = join(s.dataDir, 'seg0.ts');
    writeFileSync(seg0, Buffer.from(await segment.arrayBuffer()));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,pix_fmt,channels',
      '-of',
      'json',
      seg0,
    ]);
    const streams = JSON.parse(stdout).streams;
    expect(streams).toContainEqual(expect.objectContaining({ codec_name: 'h264', pix_fmt: 'yuv420p' }));
    expect(streams).toContainEqual(expect.objectContaining({ codec_name: 'aac', channels: 2 }));
  }, 60_000);

  it('a request far from the encoder restarts it there, and the segment has the same number and time as from the start', async () => {
    const res = await decide(ids.Hevc!, member.token);
    const service = playbackOf(s.deps);
    const session = service.list()[0]!;
    // The far segment first: the encoder restarts at 8 (32 s).
    const far = await get(segmentUrl(res.body.url, 8));
    expect(far.status).toBe(200);
    expect(session.encoder?.startSegment).toBe(8);
    const a = join(s.dataDir, 'far.ts');
    writeFileSync(a, Buffer.from(await far.arrayBuffer()));
    // Played through from the start, segment 4 starts at the same video time.
    const again = await decide(ids.Hevc!, member.token);
    for (let n = 0; n <= 8; n++) expect((await get(segmentUrl(again.body.url, n))).status).toBe(200);
    expect(playbackOf(s.deps).list()[0]!.encoder?.startSegment).toBe(0);
    const b = join(s.dataDir, 'near.ts');
    writeFileSync(b, Buffer.from(await (await get(segmentUrl(again.body.url, 8))).arrayBuffer()));
    const start = async (file: string) =>
      Number(
        (
          await run('ffprobe', [
            '-v',
            'error',
            '-select_streams',
            'v',
            '-show_entries',
            'stream=start_time',
            '-of',
            'csv=p=0',
            file,
          ])
        ).stdout
          .trim()
          .split('\n')[0],
      );
    expect(await start(a)).toBeCloseTo(await start(b), 2);
  }, 90_000);

  it('remuxes MPEG-2 + MP2 in MPEG-TS? no: MPEG-2 video is transcoded, and the MP2 audio converted', async () => {
    const res = await decide(ids['Mpeg Two']!, member.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.method).toBe('transcode');
    expect(res.body.reason).toMatch(/MPEG-2/);
    expect((await get(segmentUrl(res.body.url, 0))).status).toBe(200);
  }, 60_000);

  it('H.264 + DTS in Matroska is remuxed (video copied), lists both audio languages, and switching audio changes the stream', async () => {
    const res = await decide(ids['Two Languages']!, member.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.method).toBe('remux');
    expect(res.body.audio.map((a: any) => [a.language, a.codec, a.channels])).toEqual([
      ['eng', 'dts', 2],
      ['fre', 'dts', 2],
    ]);
    const loudest = async (url: string) => {
      const file = join(s.dataDir, `audio-${Math.random()}.ts`);
      writeFileSync(file, Buffer.from(await (await get(segmentUrl(url, 0))).arrayBuffer()));
      // The tone's frequency by counting zero crossings of the decoded audio.
      const { stdout } = await run(
        'ffmpeg',
        ['-v', 'error', '-i', file, '-map', '0:a', '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'],
        { encoding: 'buffer', maxBuffer: 64 << 20 },
      );
      const samples = new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length / 2);
      let crossings = 0;
      for (let i = 1; i < samples.length; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
      return crossings / 2 / (samples.length / 48000);
    };
    const english = await loudest(res.body.url);
    expect(english).toBeGreaterThan(400);
    expect(english).toBeLessThan(520);
    const french = await decide(ids['Two Languages']!, member.token, { audioTrack: 1 });
    expect(french.body.audio.find((a: any) => a.selected).language).toBe('fre');
    const tone = await loudest(french.body.url);
    expect(tone).toBeGreaterThan(800);
    expect(tone).toBeLessThan(1000);
  }, 90_000);

  it('lists the embedded SubRip track and the Windows-1252 sidecar, and serves both as UTF-8 WebVTT with the accents right', async () => {
    const res = await decide(ids['Two Languages']!, member.token);
    const subs = res.body.subtitles;
    expect(subs).toContainEqual(expect.objectContaining({ id: 'e0', language: 'eng', kind: 'text', external: false }));
    expect(subs).toContainEqual(
      expect.objectContaining({ id: 'x0', language: 'fr', kind: 'text', external: true, forced: false }),
    );
    const fr = await get(subs.find((x: any) => x.id === 'x0').url);
    expect(fr.status).toBe(200);
    expect(fr.headers.get('content-type')).toBe('text/vtt; charset=utf-8');
    const vtt = await fr.text();
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    expect(vtt).toContain(FRENCH_CUE);
    expect(vtt).toContain('00:00:00.500 --> 00:00:09.000');
    const en = await (await get(subs.find((x: any) => x.id === 'e0').url)).text();
    expect(en).toContain(ENGLISH_CUE);
  }, 60_000);

  it.skipIf(pgsEncoder())(
    'PGS: skipped, this ffmpeg has no PGS encoder to make a PGS track with (no "pgssub" in ffmpeg -encoders)',
    () => {
      expect(pgsEncoder()).toBe(false);
    },
  );

  it('S73: sign out everywhere during a transcode: the next segment is refused and the encoder process is gone within 2 s', async () => {
    await s.createUser({ username: 'rita', password: PASSWORD, role: 'member' });
    const rita = (await s.request('GET', '/api/v1/admin/users', { token: admin })).body;
    const ritaId = (Array.isArray(rita) ? rita : rita.users).find((u: any) => u.username === 'rita').id;
    await s.request('PUT', `/api/v1/admin/users/${ritaId}/libraries`, {
      token: admin,
      body: { library_ids: [library] },
    });
    const token = await s.login('rita', PASSWORD);
    const res = await decide(ids.Hevc!, token);
    expect(res.status).toBe(200);
    expect((await get(segmentUrl(res.body.url, 0))).status).toBe(200);
    const service = playbackOf(s.deps);
    const session = service.list().find((x) => x.id === res.body.play_id)!;
    // Ask for a far segment so an encoder surely runs at the moment of the revocation.
    const pending = get(segmentUrl(res.body.url, 7)).catch(() => null);
    await until(() => service.encoderPid(session) !== null, 5000);
    const pid = service.encoderPid(session)!;
    expect(alive(pid)).toBe(true);
    const out = await s.request('POST', '/api/v1/me/sessions/revoke-all', { token, body: { include_current: true } });
    expect(out.status).toBe(200);
    const next = await get(segmentUrl(res.body.url, 1));
    expect(next.status).toBe(401);
    expect((await get(res.body.url)).status).toBe(401);
    expect(await until(() => !alive(pid), 2000)).toBe(true);
    await pending;
  }, 60_000);

  it('S73: a segment, playlist or subtitle URL is bound to its item: another item with the same token is refused', async () => {
    const res = await decide(ids['Two Languages']!, member.token);
    const token = new URL(res.body.url).searchParams.get('st')!;
    const other = await get(`${s.url}/api/v1/items/${ids.Plain}/stream?st=${encodeURIComponent(token)}`);
    expect(other.status).toBe(401);
    const sub = await get(`${s.url}/api/v1/items/${ids.Hevc}/subtitles/x0.vtt?st=${encodeURIComponent(token)}`);
    expect(sub.status).toBe(401);
    // Without a token and without a session: refused.
    expect((await get(res.body.url.replace(/\?st=.*/, ''))).status).toBe(401);
  }, 60_000);

  it('S73: a segment or subtitle of an item no longer granted is a 404, like the item', async () => {
    const res = await decide(ids['Two Languages']!, member.token);
    expect((await get(segmentUrl(res.body.url, 0))).status).toBe(200);
    await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, { token: admin, body: { library_ids: [] } });
    try {
      expect((await get(segmentUrl(res.body.url, 1))).status).toBe(404);
      expect((await get(res.body.subtitles.find((x: any) => x.id === 'x0').url)).status).toBe(404);
      expect((await decide(ids['Two Languages']!, member.token)).status).toBe(404);
      expect((await s.request('GET', `/api/v1/items/${ids['Two Languages']}`, { token: member.token })).status).toBe(
        404,
      );
    } finally {
      await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
        token: admin,
        body: { library_ids: [library] },
      });
    }
  }, 60_000);

  it("S73: another user's playback is a 404 even with the item granted", async () => {
    const res = await decide(ids.Hevc!, admin);
    const playId = res.body.play_id;
    const mine = await decide(ids.Plain!, member.token);
    const memberToken = new URL(mine.body.url).searchParams.get('st')!;
    const theirs = await s.request('GET', `/api/v1/items/${ids.Hevc}/hls/${playId}/index.m3u8`, {
      token: member.token,
    });
    expect(theirs.status).toBe(404);
    expect(memberToken).toBeTruthy();
  }, 60_000);

  it('S74: only validated enums and numbers reach ffmpeg: anything else in the request is a 400 before any process starts', async () => {
    const bad = [
      { video: ['h264 -i /etc/passwd'] },
      { audio: ['aac;rm'] },
      { maxHeight: '720 -vf x' },
      { maxHeight: 720.5 },
      { subtitle: 'e0 -i http://127.0.0.1/' },
      { subtitle: '../../etc/passwd' },
      { audioTrack: -1 },
      { startSeconds: 'x' },
      { containers: ['mp4'], extra: 'file:/etc/passwd' },
    ];
    for (const body of bad) {
      const res = await decide(ids.Hevc!, member.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(playbackOf(s.deps).list()).toHaveLength(0);
    // A valid request's encoder holds the store's path, the numbers and fixed words only.
    const ok = await decide(ids.Hevc!, member.token, { maxHeight: 144, maxBitrate: 400_000, startSeconds: 9 });
    expect(ok.status).toBe(200);
    const session = playbackOf(s.deps).list()[0]!;
    expect(session.info.spec).toEqual({
      mode: 'transcode',
      videoIndex: 0,
      audioIndex: 1,
      audioCopy: false,
      height: 144,
      videoKbps: 208,
      toneMap: false,
      burnSubtitleIndex: null,
    });
    expect(session.encoder?.startSegment).toBe(2);
    expect(ok.body.start_seconds).toBe(9);
  }, 60_000);

  it('one encoder over HEARTH_TRANSCODE_MAX gets 503 transcode_busy with Retry-After', async () => {
    const first = await decide(ids.Hevc!, member.token);
    expect(first.status).toBe(200);
    const second = await decide(ids['Mpeg Two']!, admin);
    expect(second.status).toBe(503);
    expect(second.body.error.code).toBe('transcode_busy');
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(0);
    // Direct play needs no encoder.
    expect((await decide(ids.Plain!, admin)).body.method).toBe('direct');
    // The player leaving frees the slot.
    const u = new URL(first.body.url);
    const stop = await s.request('DELETE', `${u.pathname.replace(/\/index\.m3u8$/, '')}${u.search}`);
    expect(stop.status).toBe(200);
    expect((await decide(ids['Mpeg Two']!, admin)).status).toBe(200);
  }, 60_000);

  it('an encoder nobody asked a segment of for 60 s (by the injected clock) is stopped; asking again restarts it', async () => {
    const res = await decide(ids.Hevc!, member.token);
    const service = playbackOf(s.deps);
    const session = service.list()[0]!;
    await until(() => service.encoderPid(session) !== null, 5000);
    // Pause it far ahead so it is still running when the clock moves (a 20 s clip encodes fast).
    const pid = service.encoderPid(session);
    clock.advance(59_000);
    await service.sweep();
    if (pid !== null && session.encoder?.exit === null) expect(alive(pid)).toBe(true);
    clock.advance(2_000);
    await service.sweep();
    expect(service.encoderPid(session)).toBeNull();
    if (pid !== null) expect(await until(() => !alive(pid), 2000)).toBe(true);
    expect(service.pool.active).toBe(0);
    // The playback itself lives on: the next segment starts an encoder again.
    expect((await get(segmentUrl(res.body.url, 2))).status).toBe(200);
  }, 60_000);

  it('the admin sees who plays what, how and why, and can stop it', async () => {
    const res = await decide(ids.Hevc!, member.token);
    await get(segmentUrl(res.body.url, 0));
    const list = await s.request('GET', '/api/v1/admin/playback', { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.streams).toEqual([
      expect.objectContaining({ username: 'milo', title: 'Hevc', method: 'transcode', reason: res.body.reason }),
    ]);
    expect(list.body.encoders.max).toBe(1);
    expect((await s.request('GET', '/api/v1/admin/playback', { token: member.token })).status).toBe(403);
    const stop = await s.request('DELETE', `/api/v1/admin/playback/${res.body.play_id}`, { token: admin });
    expect(stop.status).toBe(200);
    expect((await get(segmentUrl(res.body.url, 1))).status).toBe(404);
  }, 60_000);
});
