// `hearth link` as a real separate process against a listening server: it behaves like a TV while the
// test plays the person who approves it through the API. Each process start costs seconds (tsx), and the
// first poll waits the 5-second interval: hence the long time limits.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/hearth.mjs');

describe('hearth link and whoami (separate processes)', () => {
  let s: TestServer;
  let home: string;

  beforeAll(async () => {
    s = await startTestServer();
    home = mkdtempSync(join(tmpdir(), 'hearth-link-cli-'));
  });
  afterAll(async () => {
    await s?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  // HOME and XDG_CONFIG_HOME point into the test folder, so nothing of the real user's is read or written.
  const env = () => ({
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    HEARTH_LOG_LEVEL: 'silent',
  });

  it('S50: links like a TV: prints the code, polls, saves the token with mode 0600; whoami uses it; a revoked token is refused', async () => {
    const owner = await s.createUser({ username: 'couchpotato' });
    const ownerToken = await s.login(owner.username, DEFAULT_PASSWORD);
    const tokenFile = join(home, 'nested', 'token.json');

    const child = spawn(process.execPath, [BIN, 'link', '--server', s.url, '--token-file', tokenFile], {
      cwd: ROOT,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));

    try {
      const userCode = await new Promise<string>((found, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`no user code printed; stdout: ${stdout} stderr: ${stderr}`)),
          60_000,
        );
        const look = () => {
          const match = /^\s+([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\s*$/m.exec(stdout);
          if (match) {
            clearTimeout(timer);
            found(match[1]!);
          }
        };
        child.stdout.on('data', look);
        child.on('exit', () => fail(new Error(`link exited early; stdout: ${stdout} stderr: ${stderr}`)));
      });
      expect(stdout).toContain(`${s.origin}/link`);
      expect(stdout).toContain(`${s.origin}/link?code=${userCode}`);

      const shown = await s.request('POST', '/api/v1/link/lookup', {
        token: ownerToken,
        body: { user_code: userCode },
      });
      expect(shown.status, JSON.stringify(shown.body)).toBe(200);
      expect(shown.body.client).toBe('Hearth CLI');
      const approved = await s.request('POST', '/api/v1/link/approve', {
        token: ownerToken,
        body: { user_code: userCode, approve: true },
      });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);

      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 60_000)),
      ]);
      expect(code, `stdout: ${stdout} stderr: ${stderr}`).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill();
    }
    expect(stdout).toContain('Linked as couchpotato');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(tokenFile, 'utf8')) as { token: string; server: string };
    expect(saved.server).toBe(s.url);
    expect((await s.request('GET', '/api/v1/me', { token: saved.token })).body.username).toBe('couchpotato');

    const who = await run(process.execPath, [BIN, 'whoami', '--token-file', tokenFile], { cwd: ROOT, env: env() });
    expect(who.stdout).toContain('couchpotato');
    expect(who.stdout).toContain(s.url);

    // The linked CLI is a device like any other: signing it out ends its token.
    const sessions = await s.request('GET', '/api/v1/me/sessions', { token: ownerToken });
    const linked = sessions.body.find((x: { client: string | null }) => x.client === 'Hearth CLI');
    expect(linked.kind).toBe('device');
    expect((await s.request('DELETE', `/api/v1/me/sessions/${linked.id}`, { token: ownerToken })).status).toBe(200);
    const refused = await run(process.execPath, [BIN, 'whoami', '--server', s.url, '--token-file', tokenFile], {
      cwd: ROOT,
      env: env(),
    }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stderr).toContain('no longer works');
  }, 180_000);

  it('whoami without a saved token says how to link', async () => {
    const result = await run(process.execPath, [BIN, 'whoami'], { cwd: ROOT, env: env() }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(result?.code).toBe(2);
    expect(result?.stderr).toContain('hearth link --server URL');
  }, 60_000);
});
