// S75: a "video" that is really a playlist (HLS or ffconcat) pointing at a file outside the library and at
// a listener on 127.0.0.1 makes the server read and fetch nothing: not while scanning (ffprobe), not when
// asked to play it (ffprobe for the decision, ffmpeg as the encoder). The test opens the listener and
// counts connections, and watches the outside "file" — a FIFO, which notices any reader.
import { execFile, execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playbackOf } from '../../src/playback/hls.ts';
import type { TestServer } from '../helpers/server.ts';
import { allItems, createLibrary, haveFfmpeg, mediaServer, put, scan, tempDir } from '../media/media-helpers.ts';

const ffmpeg = haveFfmpeg();

describe.skipIf(!ffmpeg)('crafted playlists in a library', () => {
  let s: TestServer;
  let admin: string;
  let listener: net.Server;
  let connections = 0;
  let fifoReaders = 0;
  let sensor: NodeJS.Timeout;
  let port: number;
  let probed: string;
  let named: string;
  let fifo: string;

  beforeAll(async () => {
    ({ s, admin } = await mediaServer());
    listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
    const base = tempDir('hearth-crafted-');
    const outside = join(base, 'outside');
    put(join(outside, 'keep'), '');
    fifo = join(outside, 'secret.ts');
    execFileSync('mkfifo', [fifo]);
    // Whoever opens the FIFO to read is seen here: a write end opens without blocking only then.
    sensor = setInterval(() => {
      try {
        const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        fifoReaders++;
        writeSync(fd, 'G');
        closeSync(fd);
      } catch {
        // ENXIO: nobody reads it
      }
    }, 2);
    const hls = (n: number) =>
      [
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:10',
        '#EXTINF:10,',
        `http://127.0.0.1:${port}/segment${n}.ts`,
        '#EXTINF:10,',
        `file:${fifo}`,
        '#EXTINF:10,',
        fifo,
        '#EXT-X-ENDLIST',
        '',
      ].join('\n');
    const concat = ['ffconcat version 1.0', `file '${fifo}'`, `file 'http://127.0.0.1:${port}/part.mp4'`, ''].join(
      '\n',
    );
    for (const [folder, list] of [
      ['probed', [] as string[]],
      ['named', [] as string[]],
    ] as const) {
      put(join(base, folder, 'Playlist Film (2020).mkv'), hls(1));
      put(join(base, folder, 'Playlist Ts (2021).ts'), hls(2));
      put(join(base, folder, 'Concat Film (2022).mp4'), concat);
      put(join(base, folder, 'Concat Avi (2023).avi'), concat);
      void list;
    }
    probed = await createLibrary(s, admin, 'Probed', 'movies', [join(base, 'probed')]);
    named = await createLibrary(s, admin, 'Named', 'movies', [join(base, 'named')]);
  }, 60_000);

  afterAll(async () => {
    clearInterval(sensor);
    await new Promise((resolve) => listener?.close(resolve));
    await s?.close();
  });

  it('S75: scanning them with ffprobe contacts no listener on 127.0.0.1 and reads nothing outside the library', async () => {
    const job = await scan(s, admin, probed);
    // Unreadable as media: the scanner keeps them as failed, so no item is listed or plays.
    expect(await allItems(s, admin, probed)).toEqual([]);
    expect(job.result.failed).toBe(4);
    expect(connections).toBe(0);
    expect(fifoReaders).toBe(0);
  }, 120_000);

  it('S75: asking to play them (the decision probes, the encoder reads) contacts no listener and reads nothing outside', async () => {
    await scan(s, admin, named, { probe: false });
    const items = await allItems(s, admin, named);
    expect(items.length).toBe(4);
    for (const item of items) {
      const res = await s.request('POST', `/api/v1/items/${item.id}/playback`, {
        token: admin,
        body: { video: ['h264'], audio: ['aac'], containers: ['mp4'] },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(502);
      expect(res.body.error.code).toBe('transcode_failed');
    }
    // The encoder itself, handed such a file as if the probe had passed: it fails, and fetches nothing.
    const service = playbackOf(s.deps);
    const target = items[0]!;
    const row = await s.deps.db
      .selectFrom('media_items')
      .select('path')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    const session = await service.open(
      {
        itemId: target.id,
        title: target.title,
        userId: 'u',
        username: 'u',
        sessionId: 's',
        path: row.path!,
        durationSeconds: 30,
        method: 'transcode',
        reason: 'test',
        spec: {
          mode: 'transcode',
          videoIndex: 0,
          audioIndex: 1,
          audioCopy: false,
          height: null,
          videoKbps: null,
          toneMap: false,
          burnSubtitleIndex: null,
        },
        token: 'x',
      },
      0,
    );
    await expect(service.segment(session, 0)).rejects.toMatchObject({ code: 'transcode_failed' });
    await service.end(session);
    expect(connections).toBe(0);
    expect(fifoReaders).toBe(0);
  }, 120_000);

  it('the sensors work: a plain ffmpeg without the whitelist would have fetched and read', async () => {
    // Proof that the test can fail: the same kind of playlist, read by ffmpeg with the hls demuxer allowed.
    const dir = tempDir('hearth-crafted-proof-');
    const list = put(
      join(dir, 'list.m3u8'),
      [
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:10',
        '#EXTINF:10,',
        `http://127.0.0.1:${port}/x.ts`,
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
    await new Promise((resolve) =>
      execFile('ffprobe', ['-v', 'error', '-protocol_whitelist', 'file,http,tcp', list], { timeout: 20_000 }, resolve),
    );
    expect(connections).toBeGreaterThan(0);
    connections = 0;
    const ffconcat = put(join(dir, 'list.ffconcat'), `ffconcat version 1.0\nfile '${fifo}'\n`);
    await new Promise((resolve) =>
      execFile('ffprobe', ['-v', 'error', '-safe', '0', '-f', 'concat', ffconcat], { timeout: 20_000 }, resolve),
    );
    expect(fifoReaders).toBeGreaterThan(0);
    fifoReaders = 0;
  }, 30_000);
});
