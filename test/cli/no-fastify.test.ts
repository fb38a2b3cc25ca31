// The CLI never loads Fastify (nor anything of src/http): `hearth --help` and `hearth user list` are checked
// with a module probe loaded before the CLI (test/cli/module-probe.mjs), which lists every module the process loaded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, cliEnv } from '../helpers/cli.ts';

const SECRET_KEY = '7a'.repeat(32);
const dir = mkdtempSync(join(tmpdir(), 'hearth-cli-modules-'));
let runs = 0;

/** Runs node with the probe and returns what it loaded. */
function loaded(args: string[]): { status: number | null; stdout: string; modules: string[] } {
  const probe = join(dir, `probe-${runs++}.txt`);
  const result = spawnSync(process.execPath, ['--import', './test/cli/module-probe.mjs', ...args], {
    cwd: REPO_ROOT,
    env: cliEnv({ HEARTH_MODULE_PROBE: probe, HEARTH_DATA_DIR: join(dir, 'data'), HEARTH_SECRET_KEY: SECRET_KEY }),
    encoding: 'utf8',
    timeout: 80_000,
  });
  return {
    status: result.status,
    stdout: result.stdout,
    modules: readFileSync(probe, 'utf8').split('\n').filter(Boolean),
  };
}

const fastify = (modules: string[]) => modules.filter((m) => /node_modules[\\/](fastify|@fastify)[\\/]/.test(m));
// src/ through tsx, or dist/ as compiled at install time (what bin/hearth.mjs runs while it is current).
const httpLayer = (modules: string[]) => modules.filter((m) => /[\\/](src|dist)[\\/](http[\\/]|server\.[jt]s)/.test(m));

describe('the CLI stays out of the HTTP layer', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the probe sees Fastify when a process does load it (so the checks below can fail)', () => {
    const run = loaded([
      '--input-type=module',
      '-e',
      "await import('fastify'); await import('tsx/esm/api').then((t) => t.register()); await import('./src/http/app.ts');",
    ]);
    expect(run.status).toBe(0);
    expect(fastify(run.modules).length).toBeGreaterThan(0);
    expect(httpLayer(run.modules).length).toBeGreaterThan(0);
  });

  it('hearth --help loads neither Fastify nor src/http', () => {
    const run = loaded(['bin/hearth.mjs', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: hearth');
    expect(fastify(run.modules)).toEqual([]);
    expect(httpLayer(run.modules)).toEqual([]);
  });

  it('hearth user list loads neither Fastify nor src/http', () => {
    const run = loaded(['bin/hearth.mjs', 'user', 'list']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('USERNAME');
    expect(fastify(run.modules)).toEqual([]);
    expect(httpLayer(run.modules)).toEqual([]);
  });
});
