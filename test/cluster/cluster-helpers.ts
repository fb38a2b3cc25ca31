// Two instances on one PostgreSQL schema and one Redis, as a cluster runs them: same store, same
// secret key, same Redis. Each test gets a schema (and so a Redis namespace) of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import pg from 'pg';
import { POSTGRES_URL, REDIS_URL, havePostgres, haveRedis } from '../helpers/services.ts';
import { startTestServer, type TestServer, type TestServerOptions } from '../helpers/server.ts';

/** Both services up (or, outside CI, a printed reason and false). */
export async function haveClusterServices(): Promise<boolean> {
  const pgUp = await havePostgres();
  const redisUp = await haveRedis();
  return pgUp && redisUp;
}

export interface CapturedLog {
  log: Logger;
  lines: { level: number; msg: string; [k: string]: unknown }[];
  messages(level?: 'info' | 'warn'): string[];
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog['lines'] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const levels = { info: 30, warn: 40 };
  return {
    log: pino({ level: 'info' }, stream),
    lines,
    messages: (level) => lines.filter((l) => level === undefined || l.level === levels[level]).map((l) => l.msg),
  };
}

export interface Cluster {
  schema: string;
  secretKey: string;
  /** Starts one more instance on the shared schema (closed by `close`). */
  start(options?: TestServerOptions): Promise<TestServer>;
  close(): Promise<void>;
}

export function cluster(env: Record<string, string> = {}): Cluster {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(32).toString('hex');
  const started: TestServer[] = [];
  return {
    schema,
    secretKey,
    async start(options = {}) {
      const server = await startTestServer({
        store: 'postgres',
        schema,
        keep: true,
        ...options,
        env: { HEARTH_REDIS_URL: REDIS_URL, HEARTH_SECRET_KEY: secretKey, ...env, ...options.env },
      });
      started.push(server);
      return server;
    },
    async close() {
      // Every instance keeps the shared schema at close; it goes once they all are gone.
      for (const server of started.splice(0)) {
        await server.close();
        rmSync(server.dataDir, { recursive: true, force: true });
      }
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

/** A Redis of the test's own on `port`, for tests that stop, freeze or kill it. */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  // Even if this test process dies mid-test, a frozen redis-server is not left behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return child;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Thaws (a stopped process ignores nothing but SIGKILL, yet gets it only once running) and kills it. */
export async function killRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}
