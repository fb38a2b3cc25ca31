// Outbox files hold live reset and invitation links in clear: they are deleted HEARTH_OUTBOX_KEEP_HOURS after
// they were written, at start and hourly, with any temporary file a crash left behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { outboxDir, pruneOutbox } from '../../src/mail/transports.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const HOUR = 3600_000;

function seedOutbox(dataDir: string, now: Date): string {
  const dir = outboxDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const files: [string, number][] = [
    ['20261101T120000000Z-oldmessage.eml', 100 * HOUR],
    ['.20261101T120000000Z-crashed.eml.tmp', 100 * HOUR],
    ['20261204T120000000Z-recentmessage.eml', 2 * HOUR],
    ['notes.txt', 100 * HOUR],
  ];
  for (const [name, age] of files) {
    const path = join(dir, name);
    writeFileSync(path, 'Subject: x\r\n\r\nhttps://hearth.example/reset#token=hr_live');
    const at = new Date(now.getTime() - age);
    utimesSync(path, at, at);
  }
  return dir;
}

describe('outbox pruning', () => {
  let s: TestServer | undefined;
  let dataDir: string;
  afterEach(async () => {
    await s?.close();
    s = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deletes outbox files and crash leftovers older than the keep time, and nothing else', () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-prune-'));
    const now = new Date();
    const dir = seedOutbox(dataDir, now);
    expect(pruneOutbox(dataDir, 72 * HOUR, now)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['20261204T120000000Z-recentmessage.eml', 'notes.txt']);
    expect(pruneOutbox(dataDir, 1 * HOUR, now)).toBe(1);
    expect(existsSync(join(dir, '20261204T120000000Z-recentmessage.eml'))).toBe(false);
  });

  it('a server prunes at start by HEARTH_OUTBOX_KEEP_HOURS', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-prune-'));
    const dir = seedOutbox(dataDir, new Date());
    s = await startTestServer({ dataDir, keep: true, env: { HEARTH_OUTBOX_KEEP_HOURS: '24' } });
    expect(readdirSync(dir).sort()).toEqual(['20261204T120000000Z-recentmessage.eml', 'notes.txt']);
  });
});
