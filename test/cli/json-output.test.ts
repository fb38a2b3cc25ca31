// `--json` output is JSON in every case: an empty answer, and errors too (on standard output, where the caller
// parses; the one-line message stays on standard error for people).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

describe('hearth … --json', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-json-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('no breach response yet, a bad option and a bad setting all print JSON', async () => {
    const none = await runCli(['breach-response', 'status', '--json'], { env: { HEARTH_DATA_DIR: dataDir } });
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toBeNull();

    const bad = await runCli(['breach-response', 'status', '--json', '--bogus'], { env: { HEARTH_DATA_DIR: dataDir } });
    expect(bad.code).not.toBe(0);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      error: { code: expect.any(String), message: expect.stringContaining('bogus') },
    });

    const config = await runCli(['breach-response', 'status', '--json'], {
      env: { HEARTH_DATA_DIR: dataDir, HEARTH_PORT: 'nope' },
    });
    expect(config.code).not.toBe(0);
    expect(JSON.parse(config.stdout)).toMatchObject({ error: { code: 'configuration_error' } });
  }, 240_000);
});
