// Two processes on one SQLite data folder (the server and the CLI, or two CLI commands): a transaction that reads
// and then writes must not fail because the other process committed in between. Begun deferred it did, at once,
// with "database is locked"; begun immediate it holds the write lock from the start and the other one waits.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, openStore } from '../../src/store/db.ts';
import { getMeta, setMeta } from '../../src/store/meta.repository.ts';

describe('SQLite transactions across processes', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('a transaction that read before another process wrote still commits its own write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-txn-'));
    dirs.push(dir);
    const store = openStore({ databaseUrl: null, databaseSchema: null, dataDir: dir });
    await migrateToLatest(store, null);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../helpers/slow-transaction.ts'), dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    const lines = new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()).includes('read\n') && resolve()),
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await lines;
    // The other process is inside its transaction, between its read and its write: write now.
    await setMeta(store.db, 'race', 'from this process');
    await exited;
    expect(out).toBe('read\ncommitted\n');
    // Each write happened whole, one after the other: this one waited for the other's commit.
    expect(await getMeta(store.db, 'race')).toBe('from this process');
    await store.close();
  }, 30_000);
});
