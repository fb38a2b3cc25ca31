// `npm run bench:cli`: how long the CLI takes before it does anything, as an operator starts it, each figure ÷
// `node -e 0` measured in the same run: `hearth --help`, `hearth user list` (an empty, migrated store) and the server
// from `hearth serve` to its "Hearth listening" line. Each runs from the JavaScript compiled at install time
// (dist/, what `npm start` and `npx hearth` run) and, for comparison, from the sources through tsx
// (HEARTH_FROM_SOURCE=1, what development runs). Targets: --help ≤ 4×, user list ≤ 6×, time to listening halved.
//
// The machine is shared and noisy: the commands alternate in rounds, and the median and the fastest run of each
// are reported.
//
// Options: --rounds=<n> (7), --no-write (print only; otherwise docs/benchmarks.md gets the figures between its
// bench:cli markers).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain JavaScript module of the build, without type declarations
import { compiledIsCurrent } from '../scripts/compiled.mjs';
import { writeBenchSection } from './docs-section.ts';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const rounds = Number(args.get('rounds') ?? 7);
const write = !args.has('no-write');
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/hearth.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-cli-'));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HEARTH_')));
const env = (fromSource: boolean) => ({
  ...baseEnv,
  HEARTH_DATA_DIR: dataDir,
  HEARTH_SECRET_KEY: 'be'.repeat(32),
  HEARTH_HOST: '127.0.0.1',
  HEARTH_PORT: '0',
  HEARTH_LOG_LEVEL: 'warn',
  ...(fromSource ? { HEARTH_FROM_SOURCE: '1' } : {}),
});

/** Runs to its exit, or until its output contains `until` (then it is stopped); the wall time in ms. */
function run(argv: string[], environment: NodeJS.ProcessEnv, until?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, argv, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let elapsed = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (until && !elapsed && out.includes(until)) {
        elapsed = performance.now() - start;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (until)
        return elapsed
          ? resolve(elapsed)
          : reject(new Error(`${argv.join(' ')} never said "${until}"\n${out}\n${err}`));
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited ${code}\n${out}\n${err}`));
      resolve(performance.now() - start);
    });
  });
}

const cases = [
  { name: 'node -e 0', run: () => run(['-e', '0'], baseEnv) },
  { name: 'hearth --help', run: () => run([bin, '--help'], env(false)) },
  { name: 'hearth --help (tsx)', run: () => run([bin, '--help'], env(true)) },
  { name: 'hearth user list', run: () => run([bin, 'user', 'list'], env(false)) },
  { name: 'hearth user list (tsx)', run: () => run([bin, 'user', 'list'], env(true)) },
  { name: 'hearth serve → listening', run: () => run([bin, 'serve'], env(false), 'Hearth listening') },
  { name: 'hearth serve → listening (tsx)', run: () => run([bin, 'serve'], env(true), 'Hearth listening') },
];

if (!compiledIsCurrent(root)) throw new Error('dist/ is missing or older than src/: run `npm run build:server` first');
const loadStart = loadavg()[0]!;
try {
  // The store is made and migrated once, before anything is timed.
  await run([bin, 'user', 'list'], env(false));
  const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const c of cases) times.get(c.name)!.push(await c.run());
    process.stderr.write(
      `round ${round}: ${cases.map((c) => `${c.name} ${times.get(c.name)!.at(-1)!.toFixed(0)} ms`).join(', ')}\n`,
    );
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const node = median(times.get('node -e 0')!);
  const nodeMin = Math.min(...times.get('node -e 0')!);
  const row = (name: string, target: string) => {
    const v = times.get(name)!;
    return `| ${name} | ${median(v).toFixed(0)} ms (fastest ${Math.min(...v).toFixed(0)}) | ${(median(v) / node).toFixed(1)} (fastest ${(Math.min(...v) / nodeMin).toFixed(1)}) | ${target} |`;
  };
  const listen = median(times.get('hearth serve → listening')!);
  const listenTsx = median(times.get('hearth serve → listening (tsx)')!);
  const cpu = cpus();
  const text = [
    `Command: \`npm run bench:cli\`${process.argv.length > 2 ? ` (\`${process.argv.slice(2).join(' ')}\`)` : ''} · ${new Date().toISOString().slice(0, 10)} · ` +
      `Node ${process.version} · ${cpu.length} × ${cpu[0]?.model ?? 'CPU'} · load average ${loadStart.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
    '',
    `Wall time from spawning \`node bin/hearth.mjs …\` to its exit (or to the "Hearth listening" line), ${rounds} alternating rounds, ` +
      'median and fastest run. Compiled: dist/, built by the prepare step, what `npm start` and `npx hearth` run. tsx: the same ' +
      'command with HEARTH_FROM_SOURCE=1, the TypeScript sources compiled on each start (development).',
    '',
    '| command | time | ÷ `node -e 0` | target |',
    '| --- | ---: | ---: | --- |',
    row('node -e 0', ''),
    row('hearth --help', '≤ 4'),
    row('hearth --help (tsx)', ''),
    row('hearth user list', '≤ 6'),
    row('hearth user list (tsx)', ''),
    row('hearth serve → listening', ''),
    row('hearth serve → listening (tsx)', ''),
    '',
    `Time to "Hearth listening", compiled ÷ tsx: ${(listen / listenTsx).toFixed(2)} (target ≤ 0.5).`,
  ].join('\n');
  process.stdout.write(text + '\n');
  if (write) writeBenchSection('cli', 'CLI start-up (bench/cli)', text);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
