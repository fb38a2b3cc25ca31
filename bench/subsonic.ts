// `npm run bench:subsonic`: the Subsonic door on a music library of 50,000 tracks.
//   (a) search3 and getAlbumList2 latency, p99 under 32 keep-alive connections — target < 50 ms; beside them
//       `ping` through the same door (sign-in by apiKey, the envelope) as the floor measured in the same run.
//       The library's rows are written straight into the store (5,000 albums of 10 tracks by 1,000 artists,
//       with genres, MusicBrainz ids and ReplayGain); the server runs in a child process.
//   (b) a first scan of a real tree of 10,000 tagged MP3s (one short MP3 made by ffmpeg, copied with a fresh
//       ID3v2.4 tag each) ÷ a bare walk of the same tree that reads every file's tags with music-metadata at
//       the scanner's concurrency, in the same run.
// Options: --tracks=<n> (50000), --files=<n> (10000), --requests=<n> per method (2000), --no-write.
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFile } from 'music-metadata';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { systemRandom } from '../src/crypto.ts';
import { createDeps } from '../src/deps.ts';
import { createUser } from '../src/accounts/users.ts';
import { createAppPassword } from '../src/linking/app-passwords.ts';
import { createLibrary } from '../src/media/libraries.ts';
import { EMPTY_METADATA, scanLibrary } from '../src/media/scanner.ts';
import { searchTextOf, sortTitleOf } from '../src/media/placement.ts';
import { findLibrary } from '../src/store/media.repository.ts';
import type { MediaItemsTable } from '../src/store/schema.ts';
import { startServer } from '../src/server.ts';
import { writeBenchSection } from './docs-section.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string | undefined]));
const TRACKS = Number(args.get('tracks') ?? 50_000);
const FILES = Number(args.get('files') ?? 10_000);
const REQUESTS = Number(args.get('requests') ?? 2000);
const CONNECTIONS = 32;
const write = !args.has('no-write');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const WORDS =
  'night river city last first dark light red blue silent golden broken lost secret iron glass winter summer storm fire shadow king queen house road star moon sun ocean desert forest garden tower bridge island mountain valley dream heart stone wolf raven lion tiger ghost'.split(
    ' ',
  );
const GENRES = ['Rock', 'Jazz', 'Pop', 'Folk', 'Electronic', 'Classical', 'Hip-Hop', 'Blues', 'Metal', 'Soul'];

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}
const pick = <T>(next: () => number, list: T[]) => list[Math.floor(next() * list.length)]!;
const words = (next: () => number, n: number) =>
  Array.from({ length: n }, () => pick(next, WORDS))
    .join(' ')
    .replace(/^./, (c) => c.toUpperCase());

// ---------------------------------------------------------------- server child

if (process.argv.includes('--server')) {
  const config = loadConfig(
    {
      HEARTH_DATA_DIR: process.env.BENCH_DATA!,
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PORT: '0',
      HEARTH_LOG_LEVEL: 'silent',
    },
    systemRandom,
  );
  const server = await startServer(config, { webDist: null, background: false, log: pino({ level: 'silent' }) });
  process.send!({ type: 'ready', url: server.url });
  process.on('message', async () => {
    await server.close();
    process.exit(0);
  });
} else {
  await main();
}

// ---------------------------------------------------------------- (a) queries

async function seed(dataDir: string): Promise<{ apiKey: string }> {
  const config = loadConfig({ HEARTH_DATA_DIR: dataDir, HEARTH_LOG_LEVEL: 'silent' }, systemRandom);
  const deps = await createDeps(config, { log: pino({ level: 'silent' }) });
  const now = new Date();
  const user = await createUser(
    deps,
    {
      username: 'bench',
      email: 'bench@example.org',
      password: 'velvet thunder orchard mosaic',
      role: 'owner',
      emailVerified: true,
    },
    { ip: null },
    now,
  );
  const folder = join(dataDir, '..', 'music-rows');
  mkdirSync(folder, { recursive: true });
  const library = await createLibrary(deps, { name: 'Music', kind: 'music', paths: [folder] }, now);
  const next = rng(16);
  const items: MediaItemsTable[] = [];
  const tags: Record<string, unknown>[] = [];
  const genres: { item_id: string; genre: string }[] = [];
  const base = (
    id: string,
    type: MediaItemsTable['type'],
    title: string,
    parent: string | null,
    extra: Partial<MediaItemsTable> = {},
  ): MediaItemsTable => ({
    ...EMPTY_METADATA,
    id,
    library_id: library.id,
    parent_id: parent,
    type,
    title,
    sort_title: sortTitleOf(title),
    search_text: searchTextOf([title]),
    year: null,
    index_number: null,
    index_end: null,
    disc_number: null,
    part: null,
    edition: null,
    air_date: null,
    artist: null,
    extra_type: null,
    group_key: null,
    folder: null,
    path: null,
    rel_path: null,
    size: null,
    mtime_ms: null,
    ino: null,
    fingerprint: null,
    mime: null,
    container: null,
    video_codec: null,
    audio_codec: null,
    width: null,
    height: null,
    pix_fmt: null,
    duration_seconds: null,
    browser_playable: 0,
    embedded_cover: 0,
    poster_path: null,
    fanart_path: null,
    probe_state: 'done',
    probe_error: null,
    added_at: now.getTime() - Math.floor(next() * 1e10),
    updated_at: now.getTime(),
    ...extra,
  });
  const artists = Math.max(1, Math.round(TRACKS / 50));
  let t = 0;
  for (let a = 0; a < artists && t < TRACKS; a++) {
    const artist = `${words(next, 2)} ${a}`;
    const artistId = `ar${a}`;
    items.push(base(artistId, 'artist', artist, null, { group_key: `artist:${a}` }));
    for (let b = 0; b < 5 && t < TRACKS; b++) {
      const album = words(next, 3);
      const albumId = `al${a}_${b}`;
      const year = 1960 + Math.floor(next() * 65);
      items.push(base(albumId, 'album', album, artistId, { year, group_key: `album:${a}:${b}` }));
      const genre = pick(next, GENRES);
      for (let n = 1; n <= 10 && t < TRACKS; n++, t++) {
        const title = words(next, 2 + Math.floor(next() * 3));
        const id = `tr${t}`;
        items.push(
          base(id, 'track', title, albumId, {
            year,
            index_number: n,
            disc_number: 1,
            artist,
            search_text: searchTextOf([title, artist, album]),
            path: join(folder, `${id}.mp3`),
            rel_path: `${artist}/${album}/${n} - ${title}.mp3`,
            size: 4_000_000,
            mime: 'audio/mpeg',
            audio_codec: 'mp3',
            duration_seconds: 120 + next() * 240,
            browser_playable: 1,
          }),
        );
        tags.push({
          item_id: id,
          album_artist: artist,
          compilation: 0,
          genres: JSON.stringify([genre]),
          mb_album_id: null,
          rg_track_gain: -6.5,
          rg_album_gain: -7,
          bitrate: 320,
        });
        genres.push({ item_id: id, genre });
      }
    }
  }
  for (let i = 0; i < items.length; i += 500)
    await deps.db
      .insertInto('media_items')
      .values(items.slice(i, i + 500))
      .execute();
  for (let i = 0; i < tags.length; i += 500)
    await deps.db
      .insertInto('music_tags')
      .values(tags.slice(i, i + 500) as never)
      .execute();
  for (let i = 0; i < genres.length; i += 500)
    await deps.db
      .insertInto('music_genres')
      .values(genres.slice(i, i + 500))
      .execute();
  const caller = { userId: user.id, username: user.username } as never;
  const { password } = await createAppPassword(
    deps,
    caller,
    { name: 'bench', scopes: ['subsonic'] },
    { ip: null },
    now,
  );
  await deps.store.close();
  return { apiKey: password };
}

async function load(
  url: string,
  make: (i: number) => string,
): Promise<{ p50: number; p99: number; max: number; rps: number }> {
  const times: number[] = [];
  let i = 0;
  const started = performance.now();
  const worker = async () => {
    while (i < REQUESTS) {
      const path = make(i++);
      const t0 = performance.now();
      const res = await fetch(url + path);
      const body = await res.text();
      times.push(performance.now() - t0);
      if (!body.includes('"status":"ok"')) throw new Error(`failed: ${path} ${body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50: q(50), p99: q(99), max: times[times.length - 1]!, rps: times.length / elapsed };
}

// ---------------------------------------------------------------- (b) scan

function syncsafe(n: number): Buffer {
  return Buffer.from([(n >> 21) & 0x7f, (n >> 14) & 0x7f, (n >> 7) & 0x7f, n & 0x7f]);
}

/** An ID3v2.4 tag of UTF-8 text frames. */
function id3(frames: Record<string, string>): Buffer {
  const body = Buffer.concat(
    Object.entries(frames).map(([id, value]) => {
      const data = Buffer.concat([Buffer.from([3]), Buffer.from(value, 'utf8')]);
      return Buffer.concat([Buffer.from(id, 'latin1'), syncsafe(data.length), Buffer.from([0, 0]), data]);
    }),
  );
  return Buffer.concat([Buffer.from('ID3'), Buffer.from([4, 0, 0]), syncsafe(body.length), body]);
}

function makeTree(dir: string): void {
  if (existsSync(join(dir, '.complete'))) return;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const template = join(dir, 'template.mp3');
  execFileSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'sine=duration=1',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '32k',
    '-id3v2_version',
    '0',
    '-write_xing',
    '0',
    template,
  ]);
  const audio = readFileSync(template);
  rmSync(template);
  const next = rng(7);
  for (let i = 0; i < FILES; i++) {
    const a = Math.floor(i / 50);
    const b = Math.floor(i / 10);
    const artist = `Artist ${a}`;
    const album = `Album ${b} ${pick(next, WORDS)}`;
    const title = words(next, 3);
    const path = join(dir, artist, `Album ${b}`, `${String((i % 10) + 1).padStart(2, '0')} - ${title}.mp3`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      Buffer.concat([
        id3({
          TIT2: title,
          TPE1: artist,
          TPE2: artist,
          TALB: album,
          TRCK: String((i % 10) + 1),
          TPOS: '1',
          TDRC: String(1970 + (b % 50)),
          TCON: pick(next, GENRES),
        }),
        audio,
      ]),
    );
  }
  writeFileSync(join(dir, '.complete'), '');
}

async function bareWalkWithTags(dir: string, concurrency: number): Promise<number> {
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (e.name.endsWith('.mp3')) files.push(join(d, e.name));
    }
  };
  await walk(dir);
  let i = 0;
  let read = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < files.length) {
        const meta = await parseFile(files[i++]!, { duration: false, skipCovers: false });
        if (meta.common.title) read++;
      }
    }),
  );
  return read;
}

async function scanOnce(dir: string): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-scan-'));
  const config = loadConfig({ HEARTH_DATA_DIR: dataDir, HEARTH_LOG_LEVEL: 'silent' }, systemRandom);
  const deps = await createDeps(config, { log: pino({ level: 'silent' }) });
  const library = await createLibrary(deps, { name: 'Scan', kind: 'music', paths: [dir] }, new Date());
  const row = (await findLibrary(deps.db, library.id))!;
  const result = await scanLibrary(deps, row, { probe: true });
  const tracks = await deps.db
    .selectFrom('music_tags')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  await deps.store.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (result.probed !== FILES || Number(tracks.n) !== FILES)
    throw new Error(`scan read ${result.probed} files, ${tracks.n} tag rows`);
  return result.probed;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const load0 = loadavg()[0]!.toFixed(1);
  const work = mkdtempSync(join(tmpdir(), 'hearth-bench-subsonic-'));
  const dataDir = join(work, 'data');
  mkdirSync(dataDir);
  console.log(`seeding ${TRACKS} tracks…`);
  const { apiKey } = await seed(dataDir);
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    cwd: root,
    env: { ...process.env, BENCH_DATA: dataDir },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve) => child.once('message', (m: { url: string }) => resolve(m.url)));
  // A failed run must not leave the server behind.
  process.once('exit', () => child.kill());
  const auth = `v=1.16.1&c=bench&f=json&apiKey=${encodeURIComponent(apiKey)}`;
  const types = [
    'random',
    'newest',
    'alphabeticalByName',
    'alphabeticalByArtist',
    'byYear&fromYear=1980&toYear=1990',
    'byGenre&genre=Jazz',
    'frequent',
    'recent',
    'starred',
  ];
  const next = rng(3);
  // Warm-up, then alternating rounds.
  await load(`${url}/rest/`, () => `ping.view?${auth}`);
  const results: Record<string, { p50: number; p99: number; max: number; rps: number }[]> = {
    ping: [],
    search3: [],
    getAlbumList2: [],
  };
  for (let round = 0; round < 2; round++) {
    results.ping!.push(await load(`${url}/rest/`, () => `ping.view?${auth}`));
    results.search3!.push(
      await load(
        `${url}/rest/`,
        () =>
          `search3.view?${auth}&query=${encodeURIComponent(pick(next, WORDS))}&songCount=20&albumCount=20&artistCount=20`,
      ),
    );
    results.getAlbumList2!.push(
      await load(
        `${url}/rest/`,
        (i) => `getAlbumList2.view?${auth}&size=20&offset=${Math.floor(next() * 200)}&type=${types[i % types.length]}`,
      ),
    );
  }
  child.send('stop');
  await new Promise((r) => child.once('exit', r));

  console.log(`making ${FILES} tagged files…`);
  const tree = join(tmpdir(), `hearth-bench-subsonic-tree-${FILES}`);
  makeTree(tree);
  const concurrency = Math.min(8, Math.max(2, availableParallelism()));
  const walks: number[] = [];
  const scans: number[] = [];
  for (let round = 0; round < 2; round++) {
    let t0 = performance.now();
    await bareWalkWithTags(tree, concurrency);
    walks.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    await scanOnce(tree);
    scans.push((performance.now() - t0) / 1000);
  }
  rmSync(work, { recursive: true, force: true });

  const best = (list: { p99: number }[]) => list.reduce((a, b) => (b.p99 < a.p99 ? b : a));
  const worst = (list: { p99: number }[]) => list.reduce((a, b) => (b.p99 > a.p99 ? b : a));
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const row = (name: string) => {
    const w = worst(results[name]!);
    const b = best(results[name]!);
    const ratio = w.p99 / worst(results.ping!).p99;
    const rps = results[name]!.reduce((sum, r) => sum + r.rps, 0) / results[name]!.length;
    return `| ${name} | ${ms(results[name]![0]!.p50)} | ${ms(w.p99)} (other round ${ms(b === w ? results[name]![1]!.p99 : b.p99)}) | ${ratio.toFixed(1)} | ${rps.toFixed(0)} | ${name === 'ping' ? '' : w.p99 < 50 ? 'met' : 'not met'} |`;
  };
  const median = (l: number[]) => [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)]!;
  const report = [
    `Command: \`npm run bench:subsonic\` · ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model.trim()} · load average ${load0} → ${loadavg()[0]!.toFixed(1)}`,
    '',
    `(a) ${TRACKS.toLocaleString('en')} tracks (${Math.round(TRACKS / 10).toLocaleString('en')} albums, ${Math.round(TRACKS / 50).toLocaleString('en')} artists) written into the SQLite store; the server in a child process; ${REQUESTS} requests per method on ${CONNECTIONS} keep-alive connections from one client process on the same 2 cores, 2 alternating rounds; the worse round's p99 is the figure. search3 asks for 20 artists, albums and songs matching a random word; getAlbumList2 cycles through ${types.length} list types with random offsets. ping is the same door (apiKey sign-in, JSON envelope) doing nothing: the floor.`,
    '',
    '| method | p50 | p99 (target < 50 ms) | p99 ÷ ping p99 | requests/s | |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    row('ping'),
    row('search3'),
    row('getAlbumList2'),
    '',
    `(b) A first scan of ${FILES.toLocaleString('en')} tagged MP3s (one 1-second MP3 from ffmpeg, copied with its own ID3v2.4 tag: title, artist, album artist, album, track, disc, year, genre), against a bare walk of the same tree reading each file's tags with music-metadata, ${concurrency} at a time (the scanner's probe concurrency), in 2 alternating rounds; median.`,
    '',
    '| bare walk + tag reads | first scan (walk, write, probe, music tags) | ÷ bare |',
    '| ---: | ---: | ---: |',
    `| ${median(walks).toFixed(2)} s (${walks.map((w) => w.toFixed(2)).join(', ')}) | ${median(scans).toFixed(2)} s (${scans.map((w) => w.toFixed(2)).join(', ')}) | ${(median(scans) / median(walks)).toFixed(2)} |`,
  ].join('\n');
  console.log(report);
  if (write) writeBenchSection('subsonic', 'Music apps: the Subsonic door (bench/subsonic)', report);
}
