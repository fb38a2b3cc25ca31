// Account scenarios shared by the security tests: an owner, a look at every table, captured logs,
// and plain HTTP against a listening server (where real sockets matter: timing, concurrency).
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino, type Logger } from 'pino';
import { expect } from 'vitest';
import { errorCodes, type ErrorCode } from '../../src/errors.ts';
import { SETUP_TOKEN, type ApiResponse, type TestServer } from './server.ts';

export const OWNER = { username: 'owner', email: 'owner@example.org', password: 'velvet thunder orchard mosaic' };

/** Claims the fresh server through POST /api/v1/setup and signs the owner in. */
export async function setupOwner(s: TestServer): Promise<{ id: string; token: string }> {
  const res = await s.request('POST', '/api/v1/setup', { body: { setup_token: SETUP_TOKEN, ...OWNER } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.user.id as string, token: await s.login(OWNER.username, OWNER.password) };
}

/** Asserts the stable error shape, and the table's message unless the route gives its own. */
export function expectError(
  res: ApiResponse,
  status: number,
  code: ErrorCode,
  options: { tableMessage?: boolean } = {},
): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body?.error?.code, JSON.stringify(res.body)).toBe(code);
  expect(typeof res.body.error.message).toBe('string');
  if (options.tableMessage) expect(res.body.error.message).toBe(errorCodes[code][1]);
}

export async function tableNames(s: TestServer): Promise<string[]> {
  const db = s.deps.db;
  if (s.deps.store.dialect === 'sqlite') {
    const r = await sql<{
      name: string;
    }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db);
    return r.rows.map((row) => row.name).sort();
  }
  const r = await sql<{
    name: string;
  }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(db);
  return r.rows.map((row) => row.name).sort();
}

/** Every row of every table, as a copy of the database would show them. */
export async function dumpStore(s: TestServer): Promise<Record<string, Record<string, unknown>[]>> {
  const dump: Record<string, Record<string, unknown>[]> = {};
  for (const table of await tableNames(s)) {
    const r = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(s.deps.db);
    dump[table] = r.rows;
  }
  return dump;
}

/** The store with rows sorted, for before/after comparisons; `skip` names tables allowed to change. */
export async function storeSnapshot(s: TestServer, skip: string[] = []): Promise<string> {
  const dump = await dumpStore(s);
  const out: Record<string, string[]> = {};
  for (const [table, rows] of Object.entries(dump)) {
    if (skip.includes(table)) continue;
    out[table] = rows.map((row) => JSON.stringify(row, Object.keys(row).sort())).sort();
  }
  return JSON.stringify(out, null, 1);
}

/** A pino logger whose lines the test can read. */
export function capturedLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts.filter((p) => p.length > 0));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

export interface HttpAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/** A request over a real socket to a listening server. */
export async function http(
  s: TestServer,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(s.url + path, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Counts the argon2 verifications the server runs (real ones: the wrapper calls through). */
export function countVerifications(s: TestServer): { readonly total: number; readonly inFlight: number } {
  const passwords = s.deps.passwords;
  const counter = { total: 0, inFlight: 0 };
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      counter.total += 1;
      counter.inFlight += 1;
      try {
        return await fn(...args);
      } finally {
        counter.inFlight -= 1;
      }
    };
  passwords.verify = wrap(passwords.verify.bind(passwords));
  passwords.verifyDummy = wrap(passwords.verifyDummy.bind(passwords));
  return counter;
}
