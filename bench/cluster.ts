// `npm run bench:cluster`: authenticated request throughput of one instance against two behind a
// round-robin client, and how long a revocation on one instance takes to be refused on the other
// while that load runs. Instances are child processes (`node bin/hearth.mjs serve`) on one
// PostgreSQL schema and one Redis; the client, both instances, PostgreSQL and Redis share this machine.
//
// The machine is shared and noisy, so one and two instances are measured in alternating rounds and
// the median round is reported with the spread.
//
// Options: --duration=<s> per throughput run (default 10), --rounds=<n> (3), --concurrency=<n> (32),
// --revocations=<n> (100), --no-write (print only; otherwise docs/benchmarks.md gets the figures between its bench:cluster markers).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { POSTGRES_URL, REDIS_URL, havePostgres, haveRedis } from '../test/helpers/services.ts';
import { writeBenchSection } from './docs-section.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const durationMs = Number(args.get('duration') ?? 10) * 1000;
const concurrency = Number(args.get('concurrency') ?? 32);
const revocations = Number(args.get('revocations') ?? 100);
const rounds = Number(args.get('rounds') ?? 3);
const write = !args.has('no-write');

const SETUP_TOKEN = 'bench-cluster-setup-token-0123';
const PASSWORD = 'velvet thunder orchard mosaic';

interface Instance {
  url: string;
  agent: http.Agent;
  child: ChildProcess;
  stderr: string[];
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [join(root, 'bin/hearth.mjs'), 'serve'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`instance did not start: ${out}${stderr.join('')}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Hearth listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code}: ${out}${stderr.join('')}`));
    });
  });
  return { url, child, stderr, agent: new http.Agent({ keepAlive: true, maxSockets: concurrency * 2 }) };
}

async function stopInstance(instance: Instance): Promise<void> {
  instance.agent.destroy();
  if (instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (instance.child.exitCode === null) instance.child.kill('SIGKILL');
}

function call(
  instance: Instance,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${instance.url}${path}`,
      {
        method,
        agent: instance.agent,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function login(instance: Instance, username: string): Promise<string> {
  const res = await call(instance, 'POST', '/api/v1/auth/login', undefined, { login: username, password: PASSWORD });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.body}`);
  return (JSON.parse(res.body) as { token: string }).token;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  /** CPU time the instances spent per answered request (ms), when /proc tells it. */
  cpuMsPerRequest: number;
}

const TICKS_PER_SECOND = 100;

/** User + system CPU of a process so far, in ms (Linux /proc; NaN elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

const instancesCpu = (targets: Instance[]) => targets.reduce((sum, t) => sum + cpuMs(t.child.pid), 0);

/** `concurrency` loops of GET /api/v1/me, each request going to the next instance in turn. */
function startLoad(targets: Instance[], tokens: string[], stopAfterMs: number | null) {
  let stopped = false;
  let next = 0;
  let requests = 0;
  let errors = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const cpuAtStart = instancesCpu(targets);
  const workers = Array.from({ length: concurrency }, async (_, i) => {
    const token = tokens[i % tokens.length]!;
    while (!stopped) {
      const target = targets[next++ % targets.length]!;
      const t = performance.now();
      try {
        const res = await call(target, 'GET', '/api/v1/me', token);
        if (res.status === 200) requests += 1;
        else errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - t);
      if (stopAfterMs !== null && performance.now() - started >= stopAfterMs) stopped = true;
    }
  });
  return {
    async stop(): Promise<LoadResult> {
      stopped = true;
      await Promise.all(workers);
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const cpuMsPerRequest = (instancesCpu(targets) - cpuAtStart) / Math.max(1, requests);
      return {
        requests,
        errors,
        seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        cpuMsPerRequest,
      };
    },
    done: () => Promise.all(workers),
  };
}

async function measureThroughput(targets: Instance[], tokens: string[]): Promise<LoadResult> {
  // A short warm-up fills connection pools and JIT caches before the measured run.
  const warm = startLoad(targets, tokens, 1500);
  await warm.done();
  await warm.stop();
  const load = startLoad(targets, tokens, durationMs);
  await load.done();
  return load.stop();
}

interface Propagation {
  samples: number[];
  staleAccepted: number;
  background: LoadResult;
}

/** Signs a session out on A while B is polled in a tight loop: time from A's answer to B's first refusal. */
async function measureRevocation(
  a: Instance,
  b: Instance,
  loadTokens: string[],
  victims: string[],
): Promise<Propagation> {
  const load = startLoad([a, b], loadTokens, null);
  const samples: number[] = [];
  let staleAccepted = 0;
  for (const token of victims) {
    const before = await call(b, 'GET', '/api/v1/me', token);
    if (before.status !== 200) throw new Error(`victim token not valid on B: ${before.status}`);
    const out = await call(a, 'POST', '/api/v1/auth/logout', token);
    if (out.status >= 300) throw new Error(`sign-out failed on A: ${out.status} ${out.body}`);
    const signedOut = performance.now();
    for (;;) {
      const res = await call(b, 'GET', '/api/v1/me', token);
      if (res.status === 401) break;
      staleAccepted += 1;
      if (performance.now() - signedOut > 10_000) throw new Error('B still accepts a token signed out 10 s ago');
    }
    samples.push(performance.now() - signedOut);
  }
  const background = await load.stop();
  samples.sort((x, y) => x - y);
  return { samples, staleAccepted, background };
}

async function main(): Promise<void> {
  if (!(await havePostgres()) || !(await haveRedis())) {
    console.error('bench:cluster needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379');
    process.exitCode = 1;
    return;
  }
  const randomKey = randomBytes(32).toString('hex');
  const schema = `bench_cluster_${randomBytes(4).toString('hex')}`;
  const dirs = [mkdtempSync(join(tmpdir(), 'hearth-bench-a-')), mkdtempSync(join(tmpdir(), 'hearth-bench-b-'))];
  const env = (dataDir: string): Record<string, string> => ({
    HEARTH_HOST: '127.0.0.1',
    HEARTH_PORT: '0',
    HEARTH_DATA_DIR: dataDir,
    HEARTH_DATABASE_URL: POSTGRES_URL,
    HEARTH_DATABASE_SCHEMA: schema,
    HEARTH_REDIS_URL: REDIS_URL,
    HEARTH_SECRET_KEY: randomKey,
    HEARTH_SETUP_TOKEN: SETUP_TOKEN,
    HEARTH_LOG_LEVEL: 'warn',
  });
  const instances: Instance[] = [];
  try {
    instances.push(await startInstance(env(dirs[0]!)));
    instances.push(await startInstance(env(dirs[1]!)));
    const [a, b] = instances as [Instance, Instance];
    const setup = await call(a, 'POST', '/api/v1/setup', undefined, {
      setup_token: SETUP_TOKEN,
      username: 'owner',
      email: 'owner@example.org',
      password: PASSWORD,
    });
    if (setup.status !== 201) throw new Error(`setup failed: ${setup.status} ${setup.body}`);

    const loadTokens: string[] = [];
    for (let i = 0; i < concurrency; i++) loadTokens.push(await login(i % 2 ? b : a, 'owner'));
    const victims: string[] = [];
    for (let i = 0; i < revocations; i++) victims.push(await login(i % 2 ? b : a, 'owner'));

    const loadBefore = loadavg()[0]!;
    const ones: LoadResult[] = [];
    const twos: LoadResult[] = [];
    for (let round = 0; round < rounds; round++) {
      ones.push(await measureThroughput([a], loadTokens));
      twos.push(await measureThroughput([a, b], loadTokens));
    }
    const one = median(ones);
    const two = median(twos);
    const propagation = await measureRevocation(a, b, loadTokens, victims);
    const report = render(one, two, propagation, ones, twos, [loadBefore, loadavg()[0]!]);
    console.log(report);
    if (write) writeBenchSection('cluster', 'Several instances (bench/cluster)', report);
  } finally {
    for (const instance of instances) await stopInstance(instance);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  }
}

const rps = (r: LoadResult) => Math.round(r.requests / r.seconds);

function median(results: LoadResult[]): LoadResult {
  return [...results].sort((x, y) => rps(x) - rps(y))[Math.floor(results.length / 2)]!;
}

function render(
  one: LoadResult,
  two: LoadResult,
  p: Propagation,
  ones: LoadResult[],
  twos: LoadResult[],
  load: number[],
): string {
  const spread = (rs: LoadResult[]) => `${Math.min(...rs.map(rps))}–${Math.max(...rs.map(rps))}`;
  const ms = (x: number) => x.toFixed(1);
  const lines = [
    `Command: \`npm run bench:cluster\` (${rounds} alternating rounds of ${durationMs / 1000} s, concurrency ${concurrency}, ${p.samples.length} revocations) on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}; PostgreSQL, Redis, the load client and`,
    `every instance (one child process each, \`node bin/hearth.mjs serve\`) share these cores; load average ${load.map((l) => l.toFixed(1)).join(' → ')} over the run.`,
    '',
    "GET /api/v1/me with a Bearer token over keep-alive connections; median round (all rounds' spread):",
    '',
    '| setup | requests/s | rounds | p50 ms | p99 ms | instance CPU ms/request | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| one instance | ${rps(one)} | ${spread(ones)} | ${ms(one.p50)} | ${ms(one.p99)} | ${one.cpuMsPerRequest.toFixed(2)} | ${one.errors} |`,
    `| two instances, round-robin | ${rps(two)} | ${spread(twos)} | ${ms(two.p50)} | ${ms(two.p99)} | ${two.cpuMsPerRequest.toFixed(2)} | ${two.errors} |`,
    '',
    `Revocation propagation under load (GET /api/v1/me with a Bearer token, round-robin on both, ${rps(p.background)} requests/s meanwhile):`,
    "sign-out on A, then B polled in a tight loop; time from A's answer to B's first 401.",
    '',
    '| p50 ms | p99 ms | max ms | requests B still accepted after the sign-out returned |',
    '| ---: | ---: | ---: | ---: |',
    `| ${ms(percentile(p.samples, 50))} | ${ms(percentile(p.samples, 99))} | ${ms(p.samples[p.samples.length - 1] ?? NaN)} | ${p.staleAccepted} |`,
    ...(p.staleAccepted === 0
      ? [
          '',
          'B refused every signed-out token at its first request after the sign-out: these times are the latency of one request to B under the load, not a delay in propagation.',
        ]
      : []),
  ];
  return lines.join('\n');
}

await main();
