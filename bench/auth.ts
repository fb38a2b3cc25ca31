// `npm run bench:auth`: what signing in costs on top of the password hash it is made of.
//   (a) sign-ins per second at concurrency 8 (real HTTP) against raw argon2id verifications per second at
//       concurrency 8 with the same parameters over the same peppered input — target >= 0.9 of raw;
//   (b) event-loop delay p99 in the server while 8 sign-ins at a time run for 10 s — target < 20 ms; beside it
//       the event-loop CPU each sign-in takes (from /proc, so machine load does not inflate it) and the p99 of a
//       loop that does nothing but await 8 raw verifications at a time (what the hashing alone does here);
//   (c) authenticated GET /api/v1/me throughput against GET /api/v1/health (prepared requests on 32 keep-alive
//       connections) —
//       target >= 0.8;
//   (d) median time of an unknown-user sign-in over a wrong-password one — target 0.9 to 1.1.
//
// The server is a child process (this file with --server), so the client's work is not the server's; the raw
// argon2 runs in this process, on the same machine with the same thread pool size. The machine may be shared
// and noisy, so (a) and (c) alternate the two sides in rounds and sum them, and the load average is reported.
// The timed requests of (a), (b) and (c) are sent as prepared bytes on one keep-alive connection per lane
// (prepared-connection.ts), as load generators do: the client shares the cores the server is measured on.
//
// The throttle is never tripped and never weakened: every concurrent sign-in has its own user and the device
// marker of its earlier sign-in (so only its own known-device key counts, and a success clears it); the
// failing sign-ins of (d) come from their own loopback address (127.0.x.y) each, with at most 3 failures per
// account. Any 429 aborts the run.
//
// Options: --duration=<s> of each (a) side per round (default 3), --rounds=<n> (8), --eld-seconds=<n> (10),
// --requests=<n> for (c) per side (40000), --samples=<n> for (d) per kind (61), --only=a,b,c,d, --postgres
// (PostgreSQL at HEARTH_TEST_POSTGRES_URL or 127.0.0.1:5432/test, in a schema of its own), --profile=<dir> (a CPU
// profile of the server), --no-write (print
// only; otherwise docs/benchmarks.md gets the figures between its bench:auth markers).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import pg from 'pg';
import { defaultArgon2Params, pepperPassword } from '../src/accounts/passwords.ts';
import { deriveKey } from '../src/crypto.ts';
import { writeBenchSection } from './docs-section.ts';
import { PreparedConnection, prepareRequest } from './prepared-connection.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);

const SIGN_IN_CONCURRENCY = 8;
const READ_CONCURRENCY = 32;
const ELD_RESOLUTION_MS = 1;
const PASSWORD_OF = (i: number) => `velvet thunder orchard mosaic ${i}`;

type ToServer =
  | { type: 'users'; prefix: string; count: number }
  | { type: 'eld-start' }
  | { type: 'eld-stop' }
  | { type: 'cpu' }
  | { type: 'stop' };
type FromServer =
  | { type: 'ready'; url: string }
  | { type: 'users'; done: number }
  | { type: 'cpu'; mainThreadCpuMs: number; processCpuMs: number }
  | { type: 'eld'; p50: number; p99: number; max: number; samples: number; mainThreadCpuMs: number }
  | { type: 'error'; message: string };

// ---------------------------------------------------------------- the server side (child process)

/**
 * CPU time of this process's main thread (the event loop) alone, from /proc on Linux; NaN elsewhere. Unlike
 * wall time it does not grow when the machine is busy, so it tells what a sign-in costs the event loop.
 */
function mainThreadCpuMs(): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

async function serverMain(): Promise<void> {
  const { loadConfig } = await import('../src/config.ts');
  const { systemRandom } = await import('../src/crypto.ts');
  const { startServer } = await import('../src/server.ts');
  const { createUser } = await import('../src/accounts/users.ts');
  const send = (m: FromServer) => process.send!(m);
  const server = await startServer(loadConfig(process.env, systemRandom), { webDist: null });
  let histogram: ReturnType<typeof monitorEventLoopDelay> | null = null;
  let cpuAtStart = 0;
  process.on('message', async (m: ToServer) => {
    try {
      if (m.type === 'users') {
        const now = server.deps.clock();
        for (let i = 0; i < m.count; i += 1) {
          await createUser(
            server.deps,
            {
              username: `${m.prefix}${i}`,
              email: `${m.prefix}${i}@example.org`,
              password: PASSWORD_OF(i),
              role: 'member',
              emailVerified: true,
            },
            { ip: null },
            now,
          );
        }
        send({ type: 'users', done: m.count });
      } else if (m.type === 'eld-start') {
        histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
        histogram.enable();
        cpuAtStart = mainThreadCpuMs();
      } else if (m.type === 'eld-stop') {
        histogram!.disable();
        // The histogram records whole timer intervals; the delay is what exceeds the timer's own period.
        const ms = (ns: number) => Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS);
        send({
          type: 'eld',
          p50: ms(histogram!.percentile(50)),
          p99: ms(histogram!.percentile(99)),
          max: ms(histogram!.max),
          samples: histogram!.count,
          mainThreadCpuMs: mainThreadCpuMs() - cpuAtStart,
        });
      } else if (m.type === 'cpu') {
        const all = process.cpuUsage();
        send({ type: 'cpu', mainThreadCpuMs: mainThreadCpuMs(), processCpuMs: (all.user + all.system) / 1000 });
      } else if (m.type === 'stop') {
        await server.close();
        process.exit(0);
      }
    } catch (err) {
      send({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
  });
  send({ type: 'ready', url: server.url });
}

// ---------------------------------------------------------------- the client side

interface Server {
  child: ChildProcess;
  url: URL;
  ask<T extends FromServer['type']>(message: ToServer, answer: T): Promise<Extract<FromServer, { type: T }>>;
}

async function startBenchServer(env: Record<string, string>): Promise<Server> {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], {
    cwd: root,
    env: { ...process.env, ...env },
    // --profile=<dir>: the server writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
    execArgv: [
      '--import',
      'tsx',
      ...(args.has('profile') ? ['--cpu-prof', `--cpu-prof-dir=${args.get('profile')}`] : []),
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (m: FromServer) => void>();
  child.on('message', (m: FromServer) => {
    if (m.type === 'error') throw new Error(`bench server: ${m.message}`);
    const resolve = waiting.get(m.type);
    waiting.delete(m.type);
    resolve?.(m);
  });
  const ready = await new Promise<FromServer>((resolve, reject) => {
    waiting.set('ready', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    child,
    url: new URL((ready as { url: string }).url),
    ask(message, answer) {
      return new Promise((resolve) => {
        waiting.set(answer, resolve as (m: FromServer) => void);
        child.send(message);
      });
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

interface Answer {
  status: number;
  body: string;
}

function call(
  server: Server,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; device?: string; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      {
        agent,
        host: server.url.hostname,
        port: server.url.port,
        method,
        path,
        localAddress: options.localAddress,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.device ? { 'x-hearth-device': options.device } : {}),
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

function refuseThrottle(answer: Answer, what: string): void {
  if (answer.status === 429)
    throw new Error(`${what} was throttled: the benchmark must not trip the throttle (${answer.body})`);
}

/** Runs `worker` on `concurrency` lanes until `until` says stop; returns how many finished. */
async function lanes(
  concurrency: number,
  worker: (lane: number) => Promise<void>,
  until: () => boolean,
): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, lane) => {
      while (!until()) {
        await worker(lane);
        done += 1;
      }
    }),
  );
  return done;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Setup {
  server: Server;
  signInLane: (lane: number) => Promise<void>;
  rawLane: () => Promise<void>;
  readToken: string;
}

/**
 * (a) Sign-ins against raw verifications, in alternating rounds of `seconds` each. Beside the rates, where the CPU
 * of each sign-in goes: the server's hashing threads, its event loop, and this process as the client; and the CPU
 * of one raw verification. On a machine whose cores are all busy, those sums are what the rates are made of.
 */
async function measureSignInThroughput({ server, signInLane, rawLane }: Setup, rounds: number, seconds: number) {
  const totals = {
    raw: { n: 0, ms: 0, ownCpu: 0 },
    signIn: { n: 0, ms: 0, ownCpu: 0, serverLoop: 0, serverAll: 0 },
  };
  const roundRatios: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const rates = { raw: NaN, signIn: NaN };
    for (const side of round % 2 ? (['signIn', 'raw'] as const) : (['raw', 'signIn'] as const)) {
      const serverBefore = await server.ask({ type: 'cpu' }, 'cpu');
      const ownBefore = process.cpuUsage();
      const start = performance.now();
      const n = await lanes(
        SIGN_IN_CONCURRENCY,
        side === 'raw' ? rawLane : signInLane,
        () => performance.now() - start >= seconds * 1000,
      );
      const ms = performance.now() - start;
      const own = process.cpuUsage(ownBefore);
      const serverAfter = await server.ask({ type: 'cpu' }, 'cpu');
      rates[side] = n / ms;
      totals[side].n += n;
      totals[side].ms += ms;
      totals[side].ownCpu += (own.user + own.system) / 1000;
      if (side === 'signIn') {
        totals.signIn.serverLoop += serverAfter.mainThreadCpuMs - serverBefore.mainThreadCpuMs;
        totals.signIn.serverAll += serverAfter.processCpuMs - serverBefore.processCpuMs;
      }
    }
    roundRatios.push(rates.signIn / rates.raw);
  }
  const { raw, signIn } = totals;
  return {
    raw: raw.n / (raw.ms / 1000),
    signIn: signIn.n / (signIn.ms / 1000),
    // How much one round's pair says on its own: the spread is the machine's noise.
    rounds: { min: Math.min(...roundRatios), median: median(roundRatios), max: Math.max(...roundRatios) },
    cpu: {
      rawVerify: raw.ownCpu / raw.n,
      serverHashing: (signIn.serverAll - signIn.serverLoop) / signIn.n,
      serverLoop: signIn.serverLoop / signIn.n,
      client: signIn.ownCpu / signIn.n,
    },
  };
}

/**
 * (b) The server's event loop while 8 sign-ins at a time run. Two references put the figure in context: the
 * idle server, and this process's own loop while it awaits 8 raw verifications at a time, which is what the
 * hashing alone does to an event loop on this machine.
 */
async function measureEventLoop({ server, signInLane, rawLane }: Setup, seconds: number) {
  server.child.send({ type: 'eld-start' } satisfies ToServer);
  await new Promise((r) => setTimeout(r, 2000));
  const idle = await server.ask({ type: 'eld-stop' }, 'eld');

  const own = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  own.enable();
  const rawStart = performance.now();
  await lanes(SIGN_IN_CONCURRENCY, rawLane, () => performance.now() - rawStart >= (seconds * 1000) / 2);
  own.disable();
  const rawOnly = { p99: Math.max(0, own.percentile(99) / 1e6 - ELD_RESOLUTION_MS) };

  server.child.send({ type: 'eld-start' } satisfies ToServer);
  const start = performance.now();
  const n = await lanes(SIGN_IN_CONCURRENCY, signInLane, () => performance.now() - start >= seconds * 1000);
  const eld = await server.ask({ type: 'eld-stop' }, 'eld');
  return { eld, idle, rawOnly, signInsPerSecond: n / seconds, cpuPerSignIn: eld.mainThreadCpuMs / n };
}

/**
 * (c) GET /api/v1/me with a Bearer token against GET /api/v1/health, in alternating tenths, sent as prepared
 * requests on 32 keep-alive connections: the client then takes a fraction of what the server does, and the
 * rates are the server's (with Node's http.request as the client, the client cost as much as the server and the
 * ratio said more about it than about the server).
 */
async function measureReads({ server, readToken }: Setup, requests: number) {
  const prepared = {
    me: prepareRequest('GET', server.url, '/api/v1/me', { Authorization: `Bearer ${readToken}` }),
    health: prepareRequest('GET', server.url, '/api/v1/health', {}),
  };
  const connections = await Promise.all(
    Array.from({ length: READ_CONCURRENCY }, () => PreparedConnection.open(server.url)),
  );
  const get = async (side: 'me' | 'health', lane: number) => {
    const res = await connections[lane]!.send(prepared[side]);
    if (res.status !== 200) throw new Error(`GET ${side} answered ${res.status}: ${res.body.toString()}`);
  };
  try {
    const warm = (
      (n) => () =>
        n-- <= 0
    )(4000);
    await lanes(READ_CONCURRENCY, (lane) => get(lane % 2 ? 'me' : 'health', lane), warm);
    const totals = { me: { n: 0, ms: 0, cpu: 0 }, health: { n: 0, ms: 0, cpu: 0 } };
    // Ten short alternations rather than a few long ones: a neighbour's burst then falls on both sides alike.
    const SEGMENTS = 10;
    const segment = Math.ceil(requests / SEGMENTS);
    for (let q = 0; q < SEGMENTS; q += 1) {
      for (const side of q % 2 ? (['me', 'health'] as const) : (['health', 'me'] as const)) {
        let left = segment;
        const cpu = (await server.ask({ type: 'cpu' }, 'cpu')).mainThreadCpuMs;
        const start = performance.now();
        totals[side].n += await lanes(
          READ_CONCURRENCY,
          (lane) => get(side, lane),
          () => left-- <= 0,
        );
        totals[side].ms += performance.now() - start;
        totals[side].cpu += (await server.ask({ type: 'cpu' }, 'cpu')).mainThreadCpuMs - cpu;
      }
    }
    return {
      me: totals.me.n / (totals.me.ms / 1000),
      health: totals.health.n / (totals.health.ms / 1000),
      meCpuMicros: (totals.me.cpu * 1000) / totals.me.n,
      healthCpuMicros: (totals.health.cpu * 1000) / totals.health.n,
    };
  } finally {
    for (const connection of connections) connection.close();
  }
}

/** (d) One at a time, alternating; each failure from its own loopback address, at most 3 per account. */
async function measureTiming({ server }: Setup, samples: number, wrongUsers: number) {
  const times = { unknown: [] as number[], wrong: [] as number[] };
  let address = 1;
  for (let i = 0; i < samples + 2; i += 1) {
    for (const kind of i % 2 ? (['wrong', 'unknown'] as const) : (['unknown', 'wrong'] as const)) {
      address += 1;
      const localAddress = `127.0.${1 + (address >> 8)}.${address & 255 || 1}`;
      const login = kind === 'unknown' ? `nobody${i % wrongUsers}x${i}` : `wrong${i % wrongUsers}`;
      const start = performance.now();
      const res = await call(server, 'POST', '/api/v1/auth/login', {
        body: { login, password: `not the password ${i}` },
        localAddress,
      });
      const took = performance.now() - start;
      refuseThrottle(res, `a ${kind} sign-in`);
      if (res.status !== 401) throw new Error(`${kind} sign-in answered ${res.status}: ${res.body}`);
      // The first two pairs warm the path and are not counted.
      if (i >= 2) times[kind].push(took);
    }
  }
  return { unknown: median(times.unknown), wrong: median(times.wrong) };
}

async function main(): Promise<void> {
  const roundSeconds = Number(args.get('duration') ?? 3);
  const rounds = Number(args.get('rounds') ?? 8);
  const eldSeconds = Number(args.get('eld-seconds') ?? 10);
  const readRequests = Number(args.get('requests') ?? 40_000);
  const samples = Number(args.get('samples') ?? 61);
  const only = new Set((args.get('only') ?? 'a,b,c,d').split(','));
  const usePostgres = args.has('postgres');
  const wrongUsers = Math.ceil((samples + 2) / 3);
  const loadBefore = loadavg();

  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-auth-'));
  const secretKey = randomBytes(32);
  const schema = usePostgres ? `bench_auth_${randomBytes(4).toString('hex')}` : null;
  const postgresUrl = process.env.HEARTH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const server = await startBenchServer({
    HEARTH_DATA_DIR: dataDir,
    HEARTH_HOST: '127.0.0.1',
    HEARTH_PORT: '0',
    HEARTH_SECRET_KEY: secretKey.toString('hex'),
    HEARTH_SETUP_TOKEN: 'bench-auth-setup-token-0123456789',
    HEARTH_LOG_LEVEL: 'warn',
    ...(schema ? { HEARTH_DATABASE_URL: postgresUrl, HEARTH_DATABASE_SCHEMA: schema } : {}),
  });
  process.once('SIGINT', () => void server.child.kill('SIGTERM'));
  let closeConnections = () => {};

  try {
    const log = (line: string) => process.stderr.write(`bench:auth: ${line}\n`);
    log(`server at ${server.url.origin} on ${usePostgres ? 'PostgreSQL' : 'SQLite'}; making users…`);
    await server.ask({ type: 'users', prefix: 'lane', count: SIGN_IN_CONCURRENCY }, 'users');
    await server.ask({ type: 'users', prefix: 'wrong', count: wrongUsers }, 'users');

    // Each lane signs in once without a marker, then always with the one it was given.
    const markers: string[] = [];
    let readToken = '';
    for (let lane = 0; lane < SIGN_IN_CONCURRENCY; lane += 1) {
      const first = await call(server, 'POST', '/api/v1/auth/login', {
        body: { login: `lane${lane}`, password: PASSWORD_OF(lane) },
      });
      if (first.status !== 200) throw new Error(`first sign-in failed: ${first.status} ${first.body}`);
      const parsed = JSON.parse(first.body) as { device_marker: string; token: string };
      markers.push(parsed.device_marker);
      readToken = parsed.token;
    }
    // The timed sign-ins go out as prepared bytes on a keep-alive connection per lane (see prepared-connection.ts).
    const connections = await Promise.all(markers.map(() => PreparedConnection.open(server.url)));
    closeConnections = () => connections.forEach((c) => c.close());
    const signInRequests = markers.map((marker, lane) =>
      prepareRequest(
        'POST',
        server.url,
        '/api/v1/auth/login',
        { 'X-Hearth-Device': marker },
        { login: `lane${lane}`, password: PASSWORD_OF(lane) },
      ),
    );
    const signInLane = async (lane: number) => {
      const res = await connections[lane]!.send(signInRequests[lane]!);
      const answer = { status: res.status, body: res.body.toString() };
      refuseThrottle(answer, 'a sign-in');
      if (answer.status !== 200) throw new Error(`sign-in failed: ${answer.status} ${answer.body}`);
    };

    // The same argon2id call the server makes: same parameters, same peppered input, same output length.
    const pepper = deriveKey(secretKey, 'password-pepper:1');
    const argon2Options = { algorithm: 2, version: 1, outputLen: 32, ...defaultArgon2Params } as const;
    const rawHash = await argon2Hash(pepperPassword(pepper, PASSWORD_OF(0)), argon2Options);
    const rawLane = async () => {
      if (!(await argon2Verify(rawHash, pepperPassword(pepper, PASSWORD_OF(0))))) throw new Error('raw verify failed');
    };
    const setup: Setup = { server, signInLane, rawLane, readToken };

    // Warm both paths (code loading, first queries) before anything is timed.
    await lanes(
      SIGN_IN_CONCURRENCY,
      signInLane,
      (
        (n) => () =>
          n-- <= 0
      )(SIGN_IN_CONCURRENCY),
    );
    await lanes(
      SIGN_IN_CONCURRENCY,
      rawLane,
      (
        (n) => () =>
          n-- <= 0
      )(SIGN_IN_CONCURRENCY),
    );

    const none = { p50: NaN, p99: NaN, max: NaN, samples: 0, mainThreadCpuMs: NaN };
    let a = {
      raw: NaN,
      signIn: NaN,
      rounds: { min: NaN, median: NaN, max: NaN },
      cpu: { rawVerify: NaN, serverHashing: NaN, serverLoop: NaN, client: NaN },
    };
    let b = { eld: none, idle: none, rawOnly: { p99: NaN }, signInsPerSecond: NaN, cpuPerSignIn: NaN };
    let c = { me: NaN, health: NaN, meCpuMicros: NaN, healthCpuMicros: NaN };
    let d = { unknown: NaN, wrong: NaN };
    if (only.has('a')) {
      log(`(a) ${rounds} alternating rounds of ${roundSeconds} s of raw verifications and of sign-ins…`);
      a = await measureSignInThroughput(setup, rounds, roundSeconds);
    }
    if (only.has('b')) {
      log(`(b) event-loop delay during ${eldSeconds} s of sign-ins…`);
      b = await measureEventLoop(setup, eldSeconds);
    }
    if (only.has('c')) {
      log(`(c) ${readRequests} GET /api/v1/me and as many GET /api/v1/health at concurrency ${READ_CONCURRENCY}…`);
      c = await measureReads(setup, readRequests);
    }
    if (only.has('d')) {
      log(`(d) ${samples} unknown-user and ${samples} wrong-password sign-ins…`);
      d = await measureTiming(setup, samples, wrongUsers);
    }

    const markdown = render({
      store: usePostgres ? 'PostgreSQL' : 'SQLite',
      a,
      b,
      c,
      d,
      loadBefore,
      loadAfter: loadavg(),
      options: { roundSeconds, rounds, eldSeconds, readRequests, samples },
    });
    process.stdout.write(`${markdown}\n`);
    if (!args.has('no-write')) writeBenchSection('auth', 'Signing in (bench/auth)', markdown);
  } finally {
    server.child.send({ type: 'stop' } satisfies ToServer);
    await new Promise((resolve) => {
      server.child.once('exit', resolve);
      setTimeout(() => resolve(server.child.kill('SIGKILL')), 5000);
    });
    closeConnections();
    agent.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }
}

type Eld = { p50: number; p99: number; max: number; samples: number; mainThreadCpuMs: number };
type Report = {
  store: string;
  a: {
    raw: number;
    signIn: number;
    rounds: { min: number; median: number; max: number };
    cpu: { rawVerify: number; serverHashing: number; serverLoop: number; client: number };
  };
  b: { eld: Eld; idle: Eld; rawOnly: { p99: number }; signInsPerSecond: number; cpuPerSignIn: number };
  c: { me: number; health: number; meCpuMicros: number; healthCpuMicros: number };
  d: { unknown: number; wrong: number };
  loadBefore: number[];
  loadAfter: number[];
  options: { roundSeconds: number; rounds: number; eldSeconds: number; readRequests: number; samples: number };
};

function render(r: Report): string {
  const f = (n: number, digits = 1) => (Number.isNaN(n) ? '–' : n.toFixed(digits));
  const verdict = (ratio: number, ok: boolean) => (Number.isNaN(ratio) ? 'not run' : ok ? 'met' : '**missed**');
  const cpu = cpus();
  const o = r.options;
  const ratioA = r.a.signIn / r.a.raw;
  const ratioC = r.c.me / r.c.health;
  const ratioD = r.d.unknown / r.d.wrong;
  return [
    `Command: \`npm run bench:auth\` (${r.store}), ${new Date().toISOString().slice(0, 10)}. Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}; load average ${r.loadBefore.map((x) => f(x, 2)).join(' / ')} before, ${r.loadAfter.map((x) => f(x, 2)).join(' / ')} after (1/5/15 min).`,
    'Server in a child process; client and raw argon2 in the parent; all on this machine. argon2id m=19456 KiB, t=2, p=1.',
    '',
    '| measure | Hearth | reference | ratio | target | |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    `| (a) sign-ins/s at concurrency 8 (reference: raw argon2 verifications/s at concurrency 8; ${o.rounds} alternating rounds of ${o.roundSeconds} s; one round's pair alone gave ${f(r.a.rounds.min, 2)} to ${f(r.a.rounds.max, 2)}, median ${f(r.a.rounds.median, 2)}). CPU per sign-in: ${f(r.a.cpu.serverHashing, 2)} ms on the server's hashing threads + ${f(r.a.cpu.serverLoop, 2)} ms on its event loop + ${f(r.a.cpu.client, 2)} ms in the client, against ${f(r.a.cpu.rawVerify, 2)} ms per raw verification | ${f(r.a.signIn)} | ${f(r.a.raw)} | ${f(ratioA, 2)} | ≥ 0.9 | ${verdict(ratioA, ratioA >= 0.9)} |`,
    `| (b) server event-loop delay p99 while 8 sign-ins at a time run for ${o.eldSeconds} s (${f(r.b.signInsPerSecond)} sign-ins/s, each using ${f(r.b.cpuPerSignIn, 2)} ms of event-loop CPU; p50 ${f(r.b.eld.p50, 2)} ms, max ${f(r.b.eld.max)} ms). Reference: p99 of a loop that only awaits 8 raw verifications at a time; idle server p99 ${f(r.b.idle.p99, 2)} ms | ${f(r.b.eld.p99, 2)} ms | ${f(r.b.rawOnly.p99, 2)} ms | | < 20 ms | ${verdict(r.b.eld.p99, r.b.eld.p99 < 20)} |`,
    `| (c) GET /api/v1/me with a Bearer token, requests/s (reference: GET /api/v1/health; ${o.readRequests} each as prepared requests on ${READ_CONCURRENCY} keep-alive connections, alternating tenths; server event-loop CPU per request ${f(r.c.meCpuMicros, 0)} µs against ${f(r.c.healthCpuMicros, 0)} µs) | ${f(r.c.me)} | ${f(r.c.health)} | ${f(ratioC, 2)} | ≥ 0.8 | ${verdict(ratioC, ratioC >= 0.8)} |`,
    `| (d) median ms of an unknown-user sign-in (reference: a wrong password for a real user; ${o.samples} each, one at a time, alternating) | ${f(r.d.unknown)} | ${f(r.d.wrong)} | ${f(ratioD, 2)} | 0.9 – 1.1 | ${verdict(ratioD, ratioD >= 0.9 && ratioD <= 1.1)} |`,
    '',
    "Reading the figures: the server hashes on one worker thread per core; the raw reference awaits argon2 on libuv's 4",
    "threads. Every core is busy in (a), so each rate is the machine's CPU divided by the CPU one operation takes, and",
    "the CPU line of (a) says where a sign-in's goes: the hash, the event loop's own work (parsing, about ten statements",
    'with one commit, the response) and the client, which shares these cores and sends prepared requests. The event-loop CPU',
    '(from /proc) is several times what the same work takes on an idle machine: the hashes, 19 MiB each, push',
    "everything else out of the caches. In (c) the client sends prepared requests, so both rates are the server's, and",
    "the ratio is what /me does beyond /health: the token's SHA-256, the session lookup (answered from memory while",
    "nothing was committed; the store's commit counter is read once per turn of the event loop for every request read",
    'in that turn) and a larger body. On an AMD EPYC that is 2–3 µs of event loop per request; on an Intel Xeon /me came',
    "out below /health (answered in batches). On a shared machine the load average above says how much is the neighbours'.",
  ].join('\n');
}

if (process.argv.includes('--server')) await serverMain();
else await main();
