// The database files (and the secret key) are readable by Hearth's user only, whatever the data folder's mode:
// SQLite would make hearth.db, and after it -wal and -shm, 0644.
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('file modes in the data folder', () => {
  let s: TestServer | undefined;
  let dir: string;
  afterEach(async () => {
    await s?.close();
    s = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('hearth.db, its -wal and -shm files and secret.key are 0600 in a folder open to everyone', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-modes-'));
    chmodSync(dir, 0o777);
    s = await startTestServer({ dataDir: dir, keep: true });
    await s.createUser({ username: 'owner', role: 'owner' });
    for (const name of ['hearth.db', 'hearth.db-wal', 'hearth.db-shm', 'secret.key']) {
      expect(existsSync(join(dir, name)), name).toBe(true);
      expect(modeOf(join(dir, name)).toString(8), name).toBe('600');
    }
  });

  it('a database file left readable by everyone is set back to 0600 at the next start', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-modes-'));
    s = await startTestServer({ dataDir: dir, keep: true });
    await s.close();
    s = undefined;
    chmodSync(join(dir, 'hearth.db'), 0o644);
    s = await startTestServer({ dataDir: dir, keep: true });
    expect(modeOf(join(dir, 'hearth.db')).toString(8)).toBe('600');
  });
});
