// Outside services the suite may use. Absent ones skip their tests with a printed reason, except under
// CI=true, where an absent service is a failure (.ci/run starts them first).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

export const inCI = process.env.CI === 'true';
export const POSTGRES_URL = process.env.HEARTH_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.HEARTH_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const notes = new Set<string>();
function absent(what: string, why: string): false {
  if (inCI) throw new Error(`${what} is required under CI=true but ${why}`);
  if (!notes.has(what)) {
    notes.add(what);
    console.warn(`[skip] ${what} tests skipped: ${why}`);
  }
  return false;
}

export async function havePostgres(): Promise<boolean> {
  return (await portOpen(5432)) || absent('PostgreSQL', 'nothing listens on 127.0.0.1:5432');
}

export async function haveRedis(): Promise<boolean> {
  return (await portOpen(6379)) || absent('Redis', 'nothing listens on 127.0.0.1:6379');
}

export function haveProgram(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' });
    return true;
  } catch {
    return absent(name, `the program ${name} is not installed`);
  }
}

export function haveChromium(): boolean {
  return existsSync('/usr/bin/chromium') || absent('Chromium', '/usr/bin/chromium is not installed');
}

/** The stores the store tests run on: SQLite always, PostgreSQL when it is up. */
export async function storeKinds(): Promise<('sqlite' | 'postgres')[]> {
  return (await havePostgres()) ? ['sqlite', 'postgres'] : ['sqlite'];
}
