// The server and the CLI run as JavaScript compiled at install time (scripts/build-server.mjs, the prepare step);
// bin/hearth.mjs runs it only while it is current, and CI refuses a dist/ that does not match src/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript modules of the build, without type declarations
import { compiledIsCurrent } from '../../scripts/compiled.mjs';
// @ts-expect-error: as above
import { sourceDigest } from '../../scripts/source-digest.mjs';
import { REPO_ROOT, runCli } from '../helpers/cli.ts';
import { inCI } from '../helpers/services.ts';

describe('the compiled server', () => {
  it('dist/ was built from the src/ of this checkout (a stale or missing build fails under CI)', () => {
    const stamp = join(REPO_ROOT, 'dist/.build');
    const built = existsSync(stamp) ? (JSON.parse(readFileSync(stamp, 'utf8')) as { source: string }).source : null;
    const current = sourceDigest(join(REPO_ROOT, 'src'));
    if (built !== current && !inCI) {
      console.warn(
        `[skip] dist/ is ${built ? 'older than src/' : 'not built'}: run \`npm run build:server\` (CI fails here)`,
      );
      return;
    }
    expect(built).toBe(current);
  });

  it('the compiled CLI runs a command end to end when it is current', { timeout: 180_000 }, async () => {
    if (!compiledIsCurrent(REPO_ROOT)) {
      if (inCI) throw new Error('dist/ is not current under CI');
      console.warn('[skip] dist/ is not current: run `npm run build:server`');
      return;
    }
    const help = await runCli(['--help'], { env: {} });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: hearth <command>');
    const data = mkdtempSync(join(tmpdir(), 'hearth-compiled-'));
    try {
      // A store made and migrated by the compiled code, then read.
      const list = await runCli(['user', 'list'], {
        env: { HEARTH_DATA_DIR: data, HEARTH_SECRET_KEY: 'cd'.repeat(32) },
      });
      expect(list.stderr).toBe('');
      expect(list.code).toBe(0);
      expect(list.stdout.trim()).toMatch(/^USERNAME\s+EMAIL\s+ROLE\s+STATE\s+CREATED$/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('bin/hearth.mjs picks dist/ or src/', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  function layout(): { root: string; at: (path: string, seconds: number) => void } {
    const root = mkdtempSync(join(tmpdir(), 'hearth-layout-'));
    roots.push(root);
    mkdirSync(join(root, 'src/cli'), { recursive: true });
    mkdirSync(join(root, 'dist'), { recursive: true });
    writeFileSync(join(root, 'src/cli/main.ts'), 'export {};\n');
    writeFileSync(join(root, 'dist/.build'), '{}\n');
    const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
    for (const p of ['src/cli/main.ts', 'src/cli', 'src']) at(p, 1000);
    at('dist/.build', 2000);
    return { root, at };
  }

  it('runs dist/ when it was built after every change in src/', () => {
    const { root } = layout();
    expect(compiledIsCurrent(root, {})).toBe(true);
  });

  it('runs src/ through tsx when a source file, or a folder (a file added or removed), changed after the build', () => {
    const file = layout();
    file.at('src/cli/main.ts', 3000);
    expect(compiledIsCurrent(file.root, {})).toBe(false);
    const folder = layout();
    folder.at('src/cli', 3000);
    expect(compiledIsCurrent(folder.root, {})).toBe(false);
  });

  it('runs src/ when there is no build, or when HEARTH_FROM_SOURCE=1', () => {
    const { root } = layout();
    expect(compiledIsCurrent(root, { HEARTH_FROM_SOURCE: '1' })).toBe(false);
    rmSync(join(root, 'dist/.build'));
    expect(compiledIsCurrent(root, {})).toBe(false);
  });
});
