// `npm run bench:scan`: the library scanner on a synthetic tree of 100,000 files (empty files with
// realistic movie, show and music names in nested folders), against a bare recursive walk with `stat`
// of the same tree in the same run. Targets: a first scan (names only, no file opened) within 4x the
// walk, a rescan with no change within 1.5x the walk. The peak memory of the process is reported.
//
// The tree is made once in the temp folder and reused. The machine is shared and noisy, so walks and
// scans alternate in rounds and the median round is reported with the spread.
//
// Options: --files=<n> (default 100000), --rounds=<n> (3), --store=sqlite|postgres (sqlite),
// --nfo=<percent> (0; Kodi NFO files beside that share of the movies and episodes, as a curated
// collection has them: the figures then go to the bench:scan-nfo section),
// --no-write (print only; otherwise docs/benchmarks.md gets the figures between its bench:scan markers).
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { systemClock, systemRandom } from '../src/crypto.ts';
import { createLibrary } from '../src/media/libraries.ts';
import type { LibraryKind } from '../src/media/naming.ts';
import { scanLibrary, type ScanResult } from '../src/media/scanner.ts';
import { migrateToLatest, openStore, type Store } from '../src/store/db.ts';
import { findLibrary, type LibraryRow } from '../src/store/media.repository.ts';
import type { Config } from '../src/config.ts';
import { POSTGRES_URL, havePostgres } from '../test/helpers/services.ts';
import { writeBenchSection } from './docs-section.ts';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const files = Number(args.get('files') ?? 100_000);
const rounds = Number(args.get('rounds') ?? 3);
const store = args.get('store') === 'postgres' ? 'postgres' : 'sqlite';
const write = !args.has('no-write');
const nfoPercent = Math.max(0, Math.min(100, Number(args.get('nfo') ?? 0)));

// ---- the tree -------------------------------------------------------------------------------------

const WORDS = (
  'night river city last first dark light red blue silent golden broken lost secret iron glass ' +
  'winter summer storm fire shadow king queen house road star moon sun ocean desert forest ' +
  'garden tower bridge island mountain valley dream heart stone wolf raven lion tiger ghost'
).split(' ');

/** A seeded generator, so every run makes the same tree. */
function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function title(next: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const w = WORDS[Math.floor(next() * WORDS.length)]!;
    out.push(w[0]!.toUpperCase() + w.slice(1));
  }
  return out.join(' ');
}

/** Relative paths of the three libraries: 15% movies (with posters), 55% episodes, 30% tracks. */
function treeFiles(total: number): Record<'movies' | 'shows' | 'music', string[]> {
  const next = rng(42);
  const movies: string[] = [];
  const shows: string[] = [];
  const music: string[] = [];
  const movieFiles = Math.round(total * 0.15);
  const episodeFiles = Math.round(total * 0.55);
  const trackFiles = total - movieFiles - episodeFiles;
  for (let i = 0; movies.length < movieFiles; i++) {
    const name = `${title(next, 1 + Math.floor(next() * 3))} ${i} (${1950 + Math.floor(next() * 75)})`;
    const style = i % 3;
    if (style === 0) movies.push(`${name}/${name}.mkv`);
    else if (style === 1)
      movies.push(`${name}/${name.replace(/ /g, '.').replace(/[()]/g, '')}.1080p.BluRay.x264-GRP.mkv`);
    else movies.push(`${name}.mp4`);
    if (style !== 2 && movies.length < movieFiles) movies.push(`${name}/poster.jpg`);
  }
  for (let s = 0; shows.length < episodeFiles; s++) {
    const show = `${title(next, 2)} ${s}`;
    const seasons = 1 + Math.floor(next() * 8);
    for (let season = 1; season <= seasons && shows.length < episodeFiles; season++) {
      const episodes = 6 + Math.floor(next() * 16);
      for (let e = 1; e <= episodes && shows.length < episodeFiles; e++) {
        const ep = `S${String(season).padStart(2, '0')}E${String(e).padStart(2, '0')}`;
        shows.push(
          s % 2 === 0
            ? `${show}/Season ${String(season).padStart(2, '0')}/${show} - ${ep} - ${title(next, 2)}.mkv`
            : `${show}/Season ${season}/${show.replace(/ /g, '.')}.${ep}.720p.WEB-DL.mkv`,
        );
      }
    }
  }
  for (let a = 0; music.length < trackFiles; a++) {
    const artist = `${title(next, 2)} ${a}`;
    for (let al = 0; al < 3 && music.length < trackFiles; al++) {
      const album = `${title(next, 2)} (${1960 + Math.floor(next() * 65)})`;
      const tracks = 8 + Math.floor(next() * 8);
      for (let t = 1; t <= tracks && music.length < trackFiles; t++) {
        music.push(
          `${artist}/${album}/${String(t).padStart(2, '0')} - ${title(next, 3)}.${t % 4 === 0 ? 'mp3' : 'flac'}`,
        );
      }
    }
  }
  if (nfoPercent > 0) {
    // NFOs beside every n-th movie and episode: `<stem>.nfo` with a title, year, plot, genres and cast.
    const every = 100 / nfoPercent;
    const withNfo = (paths: string[]) => {
      const out: string[] = [];
      let n = 0;
      for (const p of paths) {
        out.push(p);
        if (!p.endsWith('.jpg') && n++ % every < 1) out.push(p.replace(/\.[^.]+$/, '.nfo'));
      }
      return out;
    };
    return { movies: withNfo(movies), shows: withNfo(shows), music };
  }
  return { movies, shows, music };
}

const NFO_BODY = (name: string) =>
  `<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<movie>\n  <title>${name.replace(/[<&]/g, ' ')} (NFO)</title>\n  <year>2001</year>\n` +
  '  <plot>A plot of a few sentences, as scrapers write them. It goes on for a while to be realistic in size.</plot>\n' +
  '  <genre>Drama</genre>\n  <genre>Thriller</genre>\n  <rating>7.1</rating>\n  <uniqueid type="imdb">tt0000001</uniqueid>\n' +
  '  <actor><name>First Actor</name><role>Lead</role></actor>\n  <actor><name>Second Actor</name><role>Friend</role></actor>\n' +
  '  <director>Some Director</director>\n</movie>\n';

function makeTree(base: string, tree: Record<string, string[]>): void {
  const marker = `${base}.complete`;
  if (existsSync(marker)) return;
  rmSync(base, { recursive: true, force: true });
  const made = new Set<string>();
  for (const [library, paths] of Object.entries(tree)) {
    for (const rel of paths) {
      const path = join(base, library, rel);
      const dir = dirname(path);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(path, path.endsWith('.nfo') ? NFO_BODY(rel) : '');
    }
  }
  writeFileSync(marker, '');
}

// ---- the measurements -----------------------------------------------------------------------------

/** The baseline: readdir every folder, stat every file, nothing else. */
async function bareWalk(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true });
  const counts = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return bareWalk(path);
      if (!entry.isFile()) return 0;
      await stat(path);
      return 1;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Wall time, and CPU time of the process (all threads): the second is steadier on a busy machine. */
async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpu: number; value: T }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpu: (used.user + used.system) / 1000, value };
}

const maxRss = () => process.resourceUsage().maxRSS * 1024;

/**
 * The scanner's own memory: a fresh process that scans the tree twice and nothing else (the bare walk,
 * with its 100,000 stats in flight at once, would otherwise set the peak). Prints its peaks as JSON.
 */
async function memoryChild(base: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-scan-db-'));
  const bench = await openBenchStore(dataDir);
  try {
    const libraries = await makeLibraries(bench.store, dataDir, base);
    const deps = { db: bench.store.db, random: systemRandom, clock: systemClock };
    const before = maxRss();
    await scanAll(deps, libraries);
    const first = maxRss();
    await scanAll(deps, libraries);
    process.stdout.write(JSON.stringify({ before, first, rescan: maxRss() }));
  } finally {
    await bench.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function measureMemory(): { before: number; first: number; rescan: number } {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--memory-child',
      `--files=${files}`,
      `--store=${store}`,
      `--nfo=${nfoPercent}`,
    ],
    { encoding: 'utf8', maxBuffer: 1024 * 1024 },
  );
  if (child.status !== 0) throw new Error(`the memory run failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as { before: number; first: number; rescan: number };
}

async function makeLibraries(bench: Store, dataDir: string, base: string): Promise<LibraryRow[]> {
  const deps = { db: bench.db, random: systemRandom, config: { dataDir } as Config };
  const libraries: LibraryRow[] = [];
  for (const kind of ['movies', 'shows', 'music'] as LibraryKind[]) {
    const view = await createLibrary(deps, { name: kind, kind, paths: [join(base, kind)] }, new Date());
    libraries.push((await findLibrary(deps.db, view.id))!);
  }
  return libraries;
}

async function openBenchStore(
  dataDir: string,
): Promise<{ store: Store; schema: string | null; drop(): Promise<void> }> {
  if (store === 'sqlite') {
    const s = openStore({ databaseUrl: null, databaseSchema: null, dataDir });
    await migrateToLatest(s, null);
    return { store: s, schema: null, drop: async () => s.close() };
  }
  const schema = `bench_scan_${randomBytes(4).toString('hex')}`;
  const s = openStore({ databaseUrl: POSTGRES_URL, databaseSchema: schema, dataDir });
  await migrateToLatest(s, schema);
  return {
    store: s,
    schema,
    async drop() {
      await s.close();
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** Each scan against the mean of the walks just before and just after it, so drift in load cancels out. */
interface Round {
  walk: number;
  first: number;
  rescan: number;
  firstRatio: number;
  rescanRatio: number;
  firstCpuRatio: number;
  rescanCpuRatio: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function scanAll(deps: Parameters<typeof scanLibrary>[0], libraries: LibraryRow[]): Promise<ScanResult[]> {
  const results: ScanResult[] = [];
  for (const library of libraries) results.push(await scanLibrary(deps, library, { probe: false }));
  return results;
}

async function main(): Promise<void> {
  if (store === 'postgres' && !(await havePostgres()))
    throw new Error('--store=postgres needs PostgreSQL on 127.0.0.1:5432');
  const base = join(tmpdir(), `hearth-bench-scan-${files}${nfoPercent > 0 ? `-nfo${nfoPercent}` : ''}`);
  if (args.has('memory-child')) return memoryChild(base);
  const tree = treeFiles(files);
  const loadAtStart = loadavg()[0]!;
  const made = await timed(async () => makeTree(base, tree));
  process.stderr.write(
    `tree of ${files} files in ${base} (${made.ms > 1000 ? `made in ${fmt(made.ms)}` : 'reused'})\n`,
  );
  const results: Round[] = [];
  let counts: { first: ScanResult[]; rescan: ScanResult[] } | null = null;

  // Warm-up: the page cache for the tree, the JIT.
  await bareWalk(base);
  for (let round = 1; round <= rounds; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-scan-db-'));
    const bench = await openBenchStore(dataDir);
    try {
      const deps = { db: bench.store.db, random: systemRandom, clock: systemClock };
      const libraries = await makeLibraries(bench.store, dataDir, base);
      const walk = await timed(() => bareWalk(base));
      const nfoFiles = [...tree.movies, ...tree.shows].filter((p) => p.endsWith('.nfo')).length;
      if (walk.value !== files + nfoFiles)
        throw new Error(`the walk found ${walk.value} files, expected ${files + nfoFiles}`);
      const first = await timed(() => scanAll(deps, libraries));
      const walk2 = await timed(() => bareWalk(base));
      const rescan = await timed(() => scanAll(deps, libraries));
      const walk3 = await timed(() => bareWalk(base));
      const added = first.value.reduce((n, r) => n + r.added, 0);
      const unchanged = rescan.value.reduce((n, r) => n + r.unchanged, 0);
      const media = files - tree.movies.filter((p) => p.endsWith('.jpg')).length;
      const warned = first.value.reduce((n, r) => n + (r.warnings?.length ?? 0), 0);
      if (warned > 0) throw new Error(`${warned} NFO files were not read`);
      if (added !== media || unchanged !== media)
        throw new Error(`scan counts are off: added ${added}, unchanged ${unchanged}, expected ${media}`);
      counts = { first: first.value, rescan: rescan.value };
      const round_: Round = {
        walk: median([walk.ms, walk2.ms, walk3.ms]),
        first: first.ms,
        rescan: rescan.ms,
        firstRatio: first.ms / ((walk.ms + walk2.ms) / 2),
        rescanRatio: rescan.ms / ((walk2.ms + walk3.ms) / 2),
        firstCpuRatio: first.cpu / ((walk.cpu + walk2.cpu) / 2),
        rescanCpuRatio: rescan.cpu / ((walk2.cpu + walk3.cpu) / 2),
      };
      results.push(round_);
      process.stderr.write(
        `round ${round}: walks ${[walk, walk2, walk3].map((w) => fmt(w.ms)).join(' / ')}, first scan ${fmt(first.ms)} (${round_.firstRatio.toFixed(2)}x, cpu ${round_.firstCpuRatio.toFixed(2)}x), ` +
          `rescan ${fmt(rescan.ms)} (${round_.rescanRatio.toFixed(2)}x, cpu ${round_.rescanCpuRatio.toFixed(2)}x)\n`,
      );
    } finally {
      await bench.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const peakRss = maxRss();
  const memory = measureMemory();
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

  const firstRatios = results.map((r) => r.firstRatio);
  const rescanRatios = results.map((r) => r.rescanRatio);
  const walkMs = median(results.map((r) => r.walk));
  const firstRatio = median(firstRatios);
  const rescanRatio = median(rescanRatios);
  const spread = (v: number[]) => `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}`;
  const groups = counts!.first.reduce((n, r) => n + r.added, 0);
  const report = [
    `Command: \`npm run bench:scan\` (${process.argv.slice(2).join(' ') || 'defaults'}) · ${new Date().toISOString().slice(0, 10)} · ` +
      `Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'} (shared: load average ${loadAtStart.toFixed(1)} at the start, ` +
      `${loadavg()[0]!.toFixed(1)} at the end) · store ${store} · ${rounds} rounds, median shown`,
    '',
    (nfoPercent > 0
      ? `With ${[...tree.movies, ...tree.shows].filter((p) => p.endsWith('.nfo')).length.toLocaleString('en')} Kodi NFO files (title, year, plot, genres, rating, ids, cast, director) beside ${nfoPercent} % of the movies and episodes, all read and applied by the first scan; the walk walks them too.\n\n`
      : '') +
      `Tree: ${files.toLocaleString('en')} empty files with realistic names (${tree.movies.length.toLocaleString('en')} in movies with posters, ` +
      `${tree.shows.length.toLocaleString('en')} episodes, ${tree.music.length.toLocaleString('en')} tracks) in nested folders; ${groups.toLocaleString('en')} media items. ` +
      'Scans read names only (`probe: false`); the walk is `readdir` + `stat` of every file and nothing else.',
    '',
    '| measure | time | × walk, wall (spread) | × walk, CPU | target (wall) |',
    '| --- | --- | --- | --- | --- |',
    `| bare walk with stat | ${fmt(walkMs)} | 1.00 | 1.00 | |`,
    `| first scan (walk, parse, write every item) | ${fmt(median(results.map((r) => r.first)))} | ${firstRatio.toFixed(2)} (${spread(firstRatios)}) | ` +
      `${median(results.map((r) => r.firstCpuRatio)).toFixed(2)} | ≤ 4 ${firstRatio <= 4 ? '✓' : '✗'} |`,
    `| rescan, nothing changed | ${fmt(median(results.map((r) => r.rescan)))} | ${rescanRatio.toFixed(2)} (${spread(rescanRatios)}) | ` +
      `${median(results.map((r) => r.rescanCpuRatio)).toFixed(2)} | ≤ 1.5 ${rescanRatio <= 1.5 ? '✓' : '✗'} |`,
    '',
    `Memory peak (RSS) of a process that only scans (\`--memory-child\`): ${mib(memory.before)} before, ${mib(memory.first)} after the first scan, ` +
      `${mib(memory.rescan)} after the rescan. The benchmark process itself peaked at ${mib(peakRss)}, set by the bare walk's ` +
      `${files.toLocaleString('en')} stats in flight at once.`,
    '',
    'What keeps the scan near the walk: a rescan loads only path, size, mtime and inode of each file and, when nothing ' +
      'changed and the artwork files are the same (a signature kept per library), stops there; new items go in ' +
      'multi-row inserts of 400, statements compiled once per shape, columns that are null in a whole batch left out, ' +
      'a transaction per 4,000 rows; row ids come from the random source in blocks. Most of a first scan is SQLite ' +
      'inserting rows and updating two indexes (parent, and library/type/title).',
    '',
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (write) {
    if (nfoPercent > 0)
      writeBenchSection(
        'scan-nfo',
        `Library scan with NFO files beside ${nfoPercent} % of them (bench/scan --nfo=${nfoPercent})`,
        report,
      );
    else writeBenchSection('scan', 'Library scan (bench/scan)', report);
  }
}

await main();
