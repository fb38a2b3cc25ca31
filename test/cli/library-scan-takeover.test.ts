// `hearth library scan` after a crash: a scan left running by a process that died is taken over (at once when
// that process ran on this host), instead of being followed for ever.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLibrary } from '../../src/media/libraries.ts';
import { requestScan } from '../../src/media/scanner.ts';
import { claimNextJob, findJob } from '../../src/store/jobs.repository.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestServer } from '../helpers/server.ts';

describe('hearth library scan after a crash', () => {
  const base = mkdtempSync(join(tmpdir(), 'hearth-scan-crash-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('takes over the scan whose process died on this host at once, and scans every file', async () => {
    const dataDir = join(base, 'data');
    const media = join(base, 'music');
    mkdirSync(join(media, 'Artist', 'Album'), { recursive: true });
    for (let i = 1; i <= 5; i++)
      writeFileSync(join(media, 'Artist', 'Album', `0${i} Song ${i}.mp3`), `not really mp3 ${i}`);
    const s = await startTestServer({ dataDir, keep: true, background: false });
    const library = await createLibrary(s.deps, { name: 'Music', kind: 'music', paths: [media] }, s.deps.clock());
    const queued = await requestScan(s.deps, library.id, { probe: false, createdBy: null }, s.deps.clock());
    // A CLI scan on this host that crashed right after taking the job, with a lease of an hour.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    expect(
      await claimNextJob(
        s.deps.db,
        ['library.scan'],
        `${hostname()}:${dead.stdout}:crashed`,
        Date.now(),
        3600_000,
        queued!.jobId,
      ),
    ).toBeDefined();
    await s.close();

    const res = await runCli(['library', 'scan', 'Music', '--names-only'], {
      env: { HEARTH_DATA_DIR: dataDir },
      timeoutMs: 150_000,
    });
    expect(res.code, res.stderr + res.stdout).toBe(0);

    const again = await startTestServer({ dataDir, keep: true, background: false });
    try {
      const job = await findJob(again.deps.db, queued!.jobId);
      expect(job?.state).toBe('done');
      // The five files, whatever rows for artist and album the scan adds around them.
      const items = await again.deps.db.selectFrom('media_items').select('id').execute();
      expect(items.length, JSON.stringify(job?.result)).toBeGreaterThanOrEqual(5);
      expect(JSON.parse(job!.result!), job?.result ?? '').toMatchObject({ walked: 5 });
    } finally {
      await again.close();
    }
  }, 240_000);
});
