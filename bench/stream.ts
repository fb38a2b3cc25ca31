// `npm run bench:stream`: throughput of range reads of a 1 GiB file through Hearth's stream route (a
// stream URL token, as a player uses it, checked against the store on every request) over loopback,
// against Node's own fs stream piped to a bare `http` server, in the same run. Target: at least 0.8 of
// the bare server. Also, informational: many small random ranges (how a player seeks).
//
// The file is sparse (holes read as zeros from memory): the figures are about the HTTP path, not the disk.
// Both servers and the client live in this process, one server at a time; the machine is shared and noisy,
// so the servers alternate in rounds and the median round is reported with the spread.
//
// Options: --size-mib=<n> (default 1024), --range-mib=<n> per request (64), --rounds=<n> (5),
// --no-write (print only; otherwise docs/benchmarks.md gets the figures between its bench:stream markers).
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  ftruncateSync,
  rmSync,
  statSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { createSession } from '../src/accounts/sessions.ts';
import { issueStreamToken } from '../src/accounts/stream-tokens.ts';
import { createUser } from '../src/accounts/users.ts';
import { loadConfig } from '../src/config.ts';
import { systemRandom } from '../src/crypto.ts';
import { createLibrary } from '../src/media/libraries.ts';
import { scanLibrary } from '../src/media/scanner.ts';
import { findItemRow, findLibrary } from '../src/store/media.repository.ts';
import { startServer, type RunningServer } from '../src/server.ts';
import { writeBenchSection } from './docs-section.ts';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const MIB = 1024 * 1024;
const size = Number(args.get('size-mib') ?? 1024) * MIB;
const rangeSize = Number(args.get('range-mib') ?? 64) * MIB;
const rounds = Number(args.get('rounds') ?? 5);
const write = !args.has('no-write');
const SMALL_RANGES = 400;
const SMALL_SIZE = 256 * 1024;

function sparseFile(path: string): void {
  if (existsSync(path) && statSync(path).size === size) return;
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
}

/** Node's own: a bare server that pipes an fs stream of the asked range, nothing else. */
function bareServer(file: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!match) {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
      createReadStream(file).pipe(res);
      return;
    }
    const start = Number(match[1]);
    const end = Math.min(Number(match[2]), size - 1);
    res.writeHead(206, {
      'content-type': 'video/mp4',
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${size}`,
    });
    createReadStream(file, { start, end }).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** Reads one range and throws the bytes away; returns how many arrived. */
function readRange(url: string, start: number, end: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { range: `bytes=${start}-${end}` } }, (res) => {
      if (res.statusCode !== 206) {
        res.resume();
        reject(new Error(`${url}: status ${res.statusCode}`));
        return;
      }
      let received = 0;
      res.on('data', (chunk: Buffer) => (received += chunk.length));
      res.on('end', () =>
        received === end - start + 1 ? resolve(received) : reject(new Error(`short read: ${received}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The whole file as consecutive ranges, one after another (a player streaming). MiB/s. */
async function sequential(url: string): Promise<number> {
  const start = process.hrtime.bigint();
  let bytes = 0;
  for (let at = 0; at < size; at += rangeSize) bytes += await readRange(url, at, Math.min(size, at + rangeSize) - 1);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return bytes / MIB / seconds;
}

/** Small ranges at places spread over the file (a player seeking). Requests per second. */
async function seeks(url: string): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < SMALL_RANGES; i++) {
    const at = Math.floor((((i * 7919) % SMALL_RANGES) / SMALL_RANGES) * (size - SMALL_SIZE));
    await readRange(url, at, at + SMALL_SIZE - 1);
  }
  return SMALL_RANGES / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function hearthServer(dataDir: string, folder: string): Promise<{ server: RunningServer; url: string }> {
  const config = loadConfig(
    {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_HOST: '127.0.0.1',
      HEARTH_PORT: '0',
      HEARTH_LOG_LEVEL: 'silent',
      HEARTH_SETUP_TOKEN: 'bench-setup-token-0123456789',
    },
    systemRandom,
  );
  const server = await startServer(config, { webDist: null, background: false, log: pino({ level: 'silent' }) });
  const deps = server.deps;
  const now = deps.clock();
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
  const session = await createSession(
    deps,
    deps.db,
    { userId: user.id, kind: 'web', device: { name: 'bench', platform: null, client: null }, ip: null },
    now,
  );
  const library = await createLibrary(deps, { name: 'Bench', kind: 'movies', paths: [folder] }, now);
  await scanLibrary(deps, (await findLibrary(deps.db, library.id))!, { probe: false });
  const item = await deps.db
    .selectFrom('media_items')
    .select('id')
    .where('library_id', '=', library.id)
    .executeTakeFirstOrThrow();
  if (!(await findItemRow(deps.db, item.id))) throw new Error('the file was not scanned');
  const { token } = issueStreamToken(deps, { userId: user.id, sessionId: session.sessionId }, item.id, now);
  return { server, url: `${server.url}/api/v1/items/${item.id}/stream?st=${encodeURIComponent(token)}` };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const folder = join(tmpdir(), 'hearth-bench-stream');
  const file = join(folder, `Big Buck (${size / MIB} MiB).mp4`);
  sparseFile(file);
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-stream-data-'));
  const bare = await bareServer(file);
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/file.mp4`;
  const hearth = await hearthServer(dataDir, folder);
  const results: { bare: number; hearth: number; bareSeeks: number; hearthSeeks: number }[] = [];
  try {
    // Warm-up: the JIT, the sockets, the page cache.
    await sequential(bareUrl);
    await sequential(hearth.url);
    for (let round = 1; round <= rounds; round++) {
      // Who goes first alternates, so a burst of load elsewhere does not always fall on one of them.
      const order = round % 2 === 1 ? (['bare', 'hearth'] as const) : (['hearth', 'bare'] as const);
      const r = { bare: 0, hearth: 0, bareSeeks: 0, hearthSeeks: 0 };
      for (const who of order) {
        const url = who === 'bare' ? bareUrl : hearth.url;
        r[who] = await sequential(url);
        r[`${who}Seeks`] = await seeks(url);
      }
      results.push(r);
      process.stderr.write(
        `round ${round}: bare ${r.bare.toFixed(0)} MiB/s, hearth ${r.hearth.toFixed(0)} MiB/s (${(r.hearth / r.bare).toFixed(2)}); ` +
          `seeks bare ${r.bareSeeks.toFixed(0)}/s, hearth ${r.hearthSeeks.toFixed(0)}/s\n`,
      );
    }
  } finally {
    agent.destroy();
    await hearth.server.close();
    await new Promise((resolve) => bare.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
  const ratios = results.map((r) => r.hearth / r.bare);
  const seekRatios = results.map((r) => r.hearthSeeks / r.bareSeeks);
  const ratio = median(ratios);
  const spread = (v: number[]) => `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}`;
  const report = [
    `Command: \`npm run bench:stream\` (${process.argv.slice(2).join(' ') || 'defaults'}) · ${new Date().toISOString().slice(0, 10)} · ` +
      `Node ${process.version} · ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'} (shared: load average ${loadAtStart.toFixed(1)} at the start, ` +
      `${loadavg()[0]!.toFixed(1)} at the end) · ${rounds} rounds, median shown`,
    '',
    `A ${size / MIB} MiB sparse file read over loopback as consecutive ${rangeSize / MIB} MiB ranges on one keep-alive connection, ` +
      `through Hearth's \`GET /api/v1/items/:id/stream?st=…\` (token checked against the store on every request, containment ` +
      're-checked with realpath, ETag and Last-Modified from fstat) and through a bare `http` server piping `fs.createReadStream`.',
    '',
    '| server | throughput | Hearth ÷ bare (spread) | target |',
    '| --- | --- | --- | --- |',
    `| bare http + fs stream | ${median(results.map((r) => r.bare)).toFixed(0)} MiB/s | | |`,
    `| Hearth stream route | ${median(results.map((r) => r.hearth)).toFixed(0)} MiB/s | ${ratio.toFixed(2)} (${spread(ratios)}) | ≥ 0.8 ${ratio >= 0.8 ? '✓' : '✗'} |`,
    '',
    `Seeking (${SMALL_RANGES} ranges of ${SMALL_SIZE / 1024} KiB spread over the file, one at a time): bare ` +
      `${median(results.map((r) => r.bareSeeks)).toFixed(0)} requests/s, Hearth ${median(results.map((r) => r.hearthSeeks)).toFixed(0)} requests/s ` +
      `(${median(seekRatios).toFixed(2)}, spread ${spread(seekRatios)}); each Hearth request checks the token and its session in the store, ` +
      'reads the item and its library, checks the grant, resolves the real path of the file and of the library folders, opens and fstats.',
    '',
    "Hearth reads files in 512 KiB chunks; the bare server keeps `fs.createReadStream`'s default of 64 KiB. The machine was " +
      'shared, so single rounds swing widely either way; the median of the per-round ratios is the figure to read.',
    '',
  ].join('\n');
  process.stdout.write(`${report}\n`);
  if (write) writeBenchSection('stream', 'Streaming (bench/stream)', report);
}

await main();
