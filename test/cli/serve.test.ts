// `hearth serve` as an operator meets it: configured by environment variables only, a free port on request,
// a secret key made at first start with mode 0600, and a one-line error with a non-zero exit for bad settings.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.ts';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const SLOW = 120_000;

/** The process failed with exactly one line on stderr; returns it. */
function oneLineError(result: { code: number | null; stderr: string; stdout: string }): string {
  expect(result.code, result.stderr + result.stdout).not.toBe(0);
  expect(result.code).not.toBeNull();
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(result.stderr + result.stdout).not.toMatch(/\n\s+at |node_modules/);
  return lines[0]!;
}

async function serveFails(env: Record<string, string>) {
  const serve = startServe(env);
  const code = await serve.exited;
  return { code, stdout: serve.stdout(), stderr: serve.stderr() };
}

describe('hearth serve', () => {
  let serve: ServeProcess | undefined;
  afterAll(async () => {
    await serve?.stop();
  });

  it(
    'HEARTH_PORT=0 picks a free port and prints it; the first start prints a one-time setup token that works',
    async () => {
      const dir = dataDir();
      serve = startServe({ HEARTH_DATA_DIR: dir, HEARTH_PORT: '0' });
      const url = await serve.listening;
      const port = Number(new URL(url).port);
      expect(port).toBeGreaterThan(0);
      expect(url).toBe(`http://127.0.0.1:${port}`);
      expect(await (await fetch(`${url}/api/v1/health`)).json()).toEqual({ status: 'ok' });

      const token = /Setup token: (\S+)/.exec(serve.stdout())?.[1];
      expect(token).toBeDefined();
      const setup = await fetch(`${url}/api/v1/setup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          setup_token: token,
          username: 'owner',
          email: 'owner@example.org',
          password: 'velvet thunder orchard mosaic',
        }),
      });
      expect(setup.status).toBe(201);

      // The secret key was made at first start, readable by its owner only, and is not in the database.
      const keyFile = join(dir, 'secret.key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const key = readFileSync(keyFile, 'utf8').trim();
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      expect(await serve.stop()).toBe(0);
      for (const file of ['hearth.db', 'hearth.db-wal']) {
        try {
          expect(readFileSync(join(dir, file)).includes(key)).toBe(false);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }

      // A second start keeps the key (the owner still signs in) and offers no setup token.
      serve = startServe({ HEARTH_DATA_DIR: dir, HEARTH_PORT: '0' });
      const again = await serve.listening;
      expect(readFileSync(keyFile, 'utf8').trim()).toBe(key);
      expect(serve.stdout()).not.toContain('Setup token');
      const login = await fetch(`${again}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'owner', password: 'velvet thunder orchard mosaic' }),
      });
      expect(login.status).toBe(200);
      expect(await serve.stop()).toBe(0);
    },
    SLOW,
  );

  it(
    'a bad URL in the configuration: one line naming the variable, non-zero exit',
    async () => {
      const results = await Promise.all([
        serveFails({ HEARTH_DATA_DIR: dataDir(), HEARTH_PUBLIC_URL: 'not a url' }),
        serveFails({ HEARTH_DATA_DIR: dataDir(), HEARTH_DATABASE_URL: 'mysql://localhost/hearth' }),
      ]);
      expect(oneLineError(results[0]!)).toMatch(/HEARTH_PUBLIC_URL/);
      expect(oneLineError(results[1]!)).toMatch(/HEARTH_DATABASE_URL/);
    },
    SLOW,
  );

  it(
    'a missing, unreadable or too short secret key: one line, non-zero exit, and no new key is made',
    async () => {
      const missing = join(dataDir(), 'nowhere', 'secret.key');
      const folderAsKey = dataDir();
      const dir = dataDir();
      mkdirSync(join(folderAsKey, 'key-is-a-folder'));
      const results = await Promise.all([
        serveFails({ HEARTH_DATA_DIR: dir, HEARTH_SECRET_KEY_FILE: missing }),
        serveFails({ HEARTH_DATA_DIR: dataDir(), HEARTH_SECRET_KEY_FILE: join(folderAsKey, 'key-is-a-folder') }),
        serveFails({ HEARTH_DATA_DIR: dataDir(), HEARTH_SECRET_KEY: 'abcd' }),
      ]);
      expect(oneLineError(results[0]!)).toContain(missing);
      expect(oneLineError(results[1]!)).toMatch(/cannot read the secret key/);
      expect(oneLineError(results[2]!)).toMatch(/too short/);
      expect(() => statSync(join(dir, 'secret.key'))).toThrow();
    },
    SLOW,
  );

  it(
    'a port in use: one line, non-zero exit',
    async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        const line = oneLineError(await serveFails({ HEARTH_DATA_DIR: dataDir(), HEARTH_PORT: String(port) }));
        expect(line).toContain(String(port));
        expect(line).toMatch(/in use/);
      } finally {
        blocker.close();
      }
    },
    SLOW,
  );

  it(
    'a port that is not a number: one line, non-zero exit',
    async () => {
      const result = await runCli(['serve'], { env: { HEARTH_DATA_DIR: dataDir(), HEARTH_PORT: 'eighty' } });
      expect(oneLineError(result)).toMatch(/HEARTH_PORT/);
    },
    SLOW,
  );
});
