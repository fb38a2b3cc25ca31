// The one test helper for "a running server with a fresh store": SQLite in a temp folder, or a
// PostgreSQL schema of its own, dropped at close.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../src/config.ts';
import { systemRandom, type Clock } from '../../src/crypto.ts';
import { createUser } from '../../src/accounts/users.ts';
import type { Role } from '../../src/store/schema.ts';
import { startServer, type RunningServer, type StartOptions } from '../../src/server.ts';
import { POSTGRES_URL } from './services.ts';

export const SETUP_TOKEN = 'test-setup-token-0123456789';

export interface TestClock {
  clock: Clock;
  set(date: Date): void;
  advance(ms: number): void;
}

export function testClock(start = new Date('2026-11-27T12:00:00Z')): TestClock {
  let now = start.getTime();
  return {
    clock: () => new Date(now),
    set: (d) => {
      now = d.getTime();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface TestServerOptions extends StartOptions {
  store?: 'sqlite' | 'postgres';
  env?: Record<string, string>;
  /** An existing data folder or schema (restart tests). */
  dataDir?: string;
  schema?: string;
  /** Keep the folder/schema at close (restart tests drop it themselves). */
  keep?: boolean;
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
  cookies: { name: string; value: string; [k: string]: unknown }[];
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  cookie?: string;
  headers?: Record<string, string>;
  /** Send as the web app would: same-origin Origin header. */
  browser?: boolean;
}

export interface TestServer extends RunningServer {
  dataDir: string;
  schema: string | null;
  origin: string;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  createUser(input: {
    username: string;
    email?: string;
    password?: string;
    role?: Role;
  }): Promise<{ id: string; username: string; email: string; password: string }>;
  login(
    login: string,
    password: string,
    options?: RequestOptions & { device?: Record<string, string> },
  ): Promise<string>;
}

export const DEFAULT_PASSWORD = 'correct horse battery staple';

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hearth-test-'));
  const store = options.store ?? 'sqlite';
  const schema = store === 'postgres' ? (options.schema ?? `t_${randomBytes(6).toString('hex')}`) : null;
  const env: Record<string, string> = {
    HEARTH_DATA_DIR: dataDir,
    HEARTH_HOST: '127.0.0.1',
    HEARTH_PORT: '0',
    HEARTH_SETUP_TOKEN: SETUP_TOKEN,
    HEARTH_LOG_LEVEL: 'silent',
    ...(store === 'postgres' ? { HEARTH_DATABASE_URL: POSTGRES_URL, HEARTH_DATABASE_SCHEMA: schema! } : {}),
    ...options.env,
  };
  const config = loadConfig(env, systemRandom);
  const log: Logger = options.log ?? pino({ level: env.HEARTH_LOG_LEVEL ?? 'silent' });
  const server = await startServer(config, { webDist: null, ...options, log });
  const origin = config.publicUrl.origin;

  const request = async (method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.cookie) headers.cookie = opts.cookie;
    if (opts.browser) headers.origin = origin;
    const res = await server.app.inject({
      method: method as 'GET',
      url: path,
      headers,
      ...(opts.body !== undefined ? { payload: opts.body as object } : {}),
    });
    let body: unknown = res.body;
    try {
      body = JSON.parse(res.body);
    } catch {
      // not JSON: keep the text
    }
    return {
      status: res.statusCode,
      body,
      headers: res.headers as ApiResponse['headers'],
      cookies: res.cookies as ApiResponse['cookies'],
    };
  };

  let counter = 0;
  return {
    ...server,
    dataDir,
    schema,
    origin,
    request,
    async createUser(input) {
      counter += 1;
      const password = input.password ?? DEFAULT_PASSWORD;
      const email = input.email ?? `${input.username}@example.org`;
      const user = await createUser(
        server.deps,
        { username: input.username, email, password, role: input.role ?? 'member', emailVerified: true },
        { ip: null },
        server.deps.clock(),
      );
      return { id: user.id, username: user.username, email, password };
    },
    async login(login, password, opts = {}) {
      const res = await request('POST', '/api/v1/auth/login', {
        ...opts,
        body: { login, password, ...(opts.device ? { device: opts.device } : {}) },
      });
      if (res.status !== 200 || !res.body.token)
        throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    async close() {
      await server.close();
      if (options.keep) return;
      if (schema) {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
