// `hearth user create|list|revoke-sessions` against a data folder, checked through a server on the same folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { REPO_ROOT, cliEnv, runCli } from '../helpers/cli.ts';
import { haveProgram } from '../helpers/services.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const SECRET_KEY = '7a'.repeat(32);
const SLOW = 120_000;

/**
 * Runs `hearth user create …` on a pseudo-terminal (script(1)), as a person at a terminal would, answering each
 * prompt with the next line. Returns everything the terminal showed.
 */
async function createAtTerminal(
  args: string[],
  env: Record<string, string>,
  answers: string[],
): Promise<{ code: number | null; screen: string }> {
  const command = ['node', 'bin/hearth.mjs', 'user', 'create', ...args].join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, env: cliEnv(env) });
  let screen = '';
  let prompts = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    // Each prompt ends with ': ' and is answered once.
    const seen = (screen.match(/password[^:\n]*: /gi) ?? []).length;
    while (prompts < seen && prompts < answers.length) child.stdin.write(`${answers[prompts++]}\r`);
  });
  child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, screen };
}

describe('hearth user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-cli-user-'));
  const env = { HEARTH_DATA_DIR: dir, HEARTH_SECRET_KEY: SECRET_KEY };
  let s: TestServer | undefined;
  const server = async () =>
    (s ??= await startTestServer({ dataDir: dir, keep: true, env: { HEARTH_SECRET_KEY: SECRET_KEY } }));

  beforeAll(async () => {
    // Both creations at once: each process is slow to start, and they touch different rows.
    const [owner, member] = await Promise.all([
      runCli(['user', 'create', '--username', 'founder', '--email', 'founder@example.org', '--role', 'owner'], {
        env,
        input: 'garnet pylon sable orchid\n',
      }),
      runCli(['user', 'create', '--username', 'guest', '--email', 'guest@example.org'], {
        env,
        input: 'lichen tambour vessel moon',
      }),
    ]);
    expect(owner.code, owner.stderr).toBe(0);
    expect(owner.stdout).toMatch(/^Created owner founder <founder@example\.org> \(id [\w-]+\)\n$/);
    expect(member.code, member.stderr).toBe(0);
    expect(member.stdout).toMatch(/^Created member guest <guest@example\.org>/);
  }, SLOW);
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('user create: reads the password from standard input (one trailing newline dropped), and the server accepts it', async () => {
    const srv = await server();
    expect(
      (
        await srv.request('POST', '/api/v1/auth/login', {
          body: { login: 'founder', password: 'garnet pylon sable orchid' },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await srv.request('POST', '/api/v1/auth/login', {
          body: { login: 'founder', password: 'garnet pylon sable orchid\n' },
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await srv.request('POST', '/api/v1/auth/login', {
          body: { login: 'guest@example.org', password: 'lichen tambour vessel moon' },
        })
      ).status,
    ).toBe(200);
    // An owner made from the shell claims the server: setup is closed.
    expect((await srv.request('GET', '/api/v1/setup')).body).toEqual({ setup_required: false });
  });

  it(
    'user create: a second owner is refused; the server has one',
    async () => {
      const second = await runCli(
        ['user', 'create', '--username', 'usurper', '--email', 'usurper@example.org', '--role', 'owner'],
        {
          env,
          input: 'quartz lantern meadow fjord',
        },
      );
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(/already has an owner/);
    },
    SLOW,
  );

  it(
    'user list: one row per user with name, email, role and state',
    async () => {
      const list = await runCli(['user', 'list'], { env });
      expect(list.code, list.stderr).toBe(0);
      const lines = list.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^USERNAME\s+EMAIL\s+ROLE\s+STATE\s+CREATED$/);
      expect(
        lines
          .slice(1)
          .map((l) => l.split(/\s+/).slice(0, 4))
          .sort(),
      ).toEqual([
        ['founder', 'founder@example.org', 'owner', 'active'],
        ['guest', 'guest@example.org', 'member', 'active'],
      ]);
      expect(list.stdout).not.toMatch(/argon2|\$k1|password/i);
    },
    SLOW,
  );

  it(
    'user create: refuses a weak password, an empty standard input and a taken name, with the reason and a non-zero exit',
    async () => {
      const [weak, empty, taken] = await Promise.all([
        runCli(['user', 'create', '--username', 'weakling', '--email', 'weak@example.org'], {
          env,
          input: 'iloveyou\n',
        }),
        runCli(['user', 'create', '--username', 'silent', '--email', 'silent@example.org'], { env, input: '' }),
        runCli(['user', 'create', '--username', 'guest', '--email', 'other@example.org'], {
          env,
          input: 'thimble quarry nylon fox',
        }),
      ]);
      expect(weak.code).not.toBe(0);
      expect(weak.stderr).toMatch(/most common or breached/);
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/standard input/);
      expect(taken.code).not.toBe(0);
      expect(taken.stderr).toMatch(/taken/);
      const list = await runCli(['user', 'list'], { env });
      expect(list.stdout).not.toMatch(/weakling|silent|other@example/);
    },
    SLOW,
  );

  it(
    'user revoke-sessions: signs the user out everywhere and says how many; an unknown user is an error',
    async () => {
      const srv = await server();
      const tokens = [
        await srv.login('guest', 'lichen tambour vessel moon'),
        await srv.login('guest', 'lichen tambour vessel moon'),
      ];
      const [revoked, unknown] = await Promise.all([
        runCli(['user', 'revoke-sessions', 'GUEST@example.org'], { env }),
        runCli(['user', 'revoke-sessions', 'nobody'], { env }),
      ]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toMatch(/^Signed guest out of [2-9] sessions\n$/);
      for (const token of tokens) expect((await srv.request('GET', '/api/v1/me', { token })).status).toBe(401);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(/no user "nobody"/);
    },
    SLOW,
  );
  it.runIf(haveProgram('script'))(
    'user create at a terminal: the password is typed without echo and asked twice',
    async () => {
      const secret = 'zircon tapestry walrus dune';
      const made = await createAtTerminal(['--username', 'typist', '--email', 'typist@example.org'], env, [
        secret,
        secret,
      ]);
      expect(made.screen).toMatch(/Created member typist/);
      expect(made.code).toBe(0);
      expect(made.screen).not.toContain(secret);
      const srv = await server();
      expect(
        (await srv.request('POST', '/api/v1/auth/login', { body: { login: 'typist', password: secret } })).status,
      ).toBe(200);

      const differ = await createAtTerminal(['--username', 'fumbler', '--email', 'fumbler@example.org'], env, [
        secret,
        `${secret}x`,
      ]);
      expect(differ.code).not.toBe(0);
      expect(differ.screen).toMatch(/the two passwords differ/);
      expect(differ.screen).not.toContain(secret);
      expect(
        (await srv.request('POST', '/api/v1/auth/login', { body: { login: 'fumbler', password: secret } })).status,
      ).toBe(401);
    },
    SLOW,
  );
});
