// Starting a server that fails halfway leaves nothing behind: `hearth serve` then exits, port free.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestServer } from './helpers/server.ts';
import { freePort } from './helpers/net.ts';

const failModules = { start: false };
vi.mock('../src/modules.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/modules.ts')>();
  return {
    ...original,
    async startModules(deps: Parameters<typeof original.startModules>[0]) {
      await original.startModules(deps);
      if (failModules.start) throw new Error('a module could not start');
    },
  };
});

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('startServer', () => {
  const dirs: string[] = [];
  afterEach(() => {
    failModules.start = false;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('closes the HTTP server it opened when starting the modules fails after listening', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'hearth-failed-start-'));
    dirs.push(dataDir);
    failModules.start = true;
    await expect(startTestServer({ dataDir, env: { HEARTH_PORT: String(port) } })).rejects.toThrow(
      'a module could not start',
    );
    expect(await listenable(port)).toBe(true);
  });

  it('a start that succeeds holds its port until closed', async () => {
    const port = await freePort();
    const s = await startTestServer({ env: { HEARTH_PORT: String(port) } });
    expect(await listenable(port)).toBe(false);
    await s.close();
    expect(await listenable(port)).toBe(true);
  });
});
