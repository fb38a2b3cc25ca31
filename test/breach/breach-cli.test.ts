// `hearth breach-response` in process: the dry run prints the plan and changes nothing, start runs the
// response to its end with a progress bar, status and list report it, bad arguments are explained.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_BATCH_SIZE, startBreachResponse } from '../../src/breach/breach-response.ts';
import { currentPasswordKeyVersion } from '../../src/breach/password-key.ts';
import { MAX_SCOPE_USERS } from '../../src/breach/scope.ts';
import { breachCommand, breachHelp } from '../../src/cli/breach.command.ts';
import { CliError } from '../../src/cli/io.ts';
import { findLatestBreachResponse } from '../../src/store/breach.repository.ts';
import { AppError } from '../../src/errors.ts';
import { storeSnapshot } from '../helpers/accounts.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'velvet thunder orchard mosaic';
const ROOT = resolve(import.meta.dirname, '../..');

describe('hearth breach-response', () => {
  let s: TestServer;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    s = await startTestServer({ background: false });
    for (const name of ['ana', 'ben', 'cleo']) {
      await s.createUser({ username: name, password: PASSWORD });
      tokens[name] = await s.login(name, PASSWORD);
    }
  });
  afterAll(async () => s?.close());

  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
    try {
      const code = await breachCommand(s.deps, args);
      return { code, out, err };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  it('--dry-run prints what would be done and changes nothing', async () => {
    const before = await storeSnapshot(s);
    const { code, out } = await run(['start', '--users', 'ana,ben', '--reason', 'check', '--dry-run']);
    expect(code).toBe(0);
    expect(out).toContain('Dry run: nothing was changed');
    expect(out).toContain('flag 2 users for a new password');
    expect(out).toContain('(ana, ben)');
    expect(out).toContain('sign out 2 sessions and devices');
    expect(out).toContain('queue 2 notice mails');
    expect(await storeSnapshot(s)).toBe(before);
  });

  it('start runs the response to its end with a progress bar and the report; status and list show it', async () => {
    const notice = join(s.dataDir, 'notice.txt');
    writeFileSync(notice, 'Our backup disk was stolen on Tuesday. It held the account database.\n');
    const { code, out, err } = await run([
      'start',
      '--users',
      'ana,ben',
      '--reason',
      'stolen backup',
      '--message-file',
      notice,
    ]);
    expect(code, err).toBe(0);
    expect(out).toMatch(/Breach response \S+ started for 2 users/);
    expect(err).toMatch(/Flagging users\s+\[#+\] 2\/2 100%/);
    expect(err).toMatch(/Queueing notices \[#+\] 2\/2 100%/);
    expect(out).toMatch(/Users flagged:\s+2 of 2/);
    expect(out).toMatch(/Sessions revoked:\s+2/);
    expect(out).toMatch(/Notices:\s+2 queued/);
    for (const name of ['ana', 'ben'])
      expect((await s.request('GET', '/api/v1/me', { token: tokens[name] })).status).toBe(401);
    expect((await s.request('GET', '/api/v1/me', { token: tokens.cleo })).status).toBe(200);
    const mail = await s.deps.db
      .selectFrom('mail_messages')
      .select(['recipient'])
      .where('template', '=', 'breach_notice')
      .execute();
    expect(mail.map((m) => m.recipient).sort()).toEqual(['ana@example.org', 'ben@example.org']);

    const status = await run(['status']);
    expect(status.out).toMatch(/Breach response \S+: done/);
    expect(status.out).toContain('stolen backup');
    const json = JSON.parse((await run(['status', '--json'])).out);
    expect(json.report).toMatchObject({ users_flagged: 2, sessions_revoked: 2, mails_queued: 2 });
    expect(json.message).toContain('backup disk was stolen');
    const list = await run(['list']);
    expect(list.out).toMatch(/done\s+2 users\s+2 named users\s+\(stolen backup\)/);
  });

  it('explains what is missing or wrong', async () => {
    await expect(run(['start', '--reason', 'x'])).rejects.toThrow(CliError);
    await expect(run(['start', '--all', '--users', 'ana', '--reason', 'x'])).rejects.toThrow(/exactly one of/);
    await expect(run(['start', '--all'])).rejects.toThrow(/--reason is required/);
    await expect(run(['start', '--users', 'nobody', '--reason', 'x'])).rejects.toThrow(AppError);
    await expect(run(['start', '--users', 'ana', '--reason', 'x', '--rotate-password-key'])).rejects.toThrow(
      /all users/,
    );
    await expect(run(['start', '--all', '--reason', 'x', '--message-file', '/nonexistent/notice.txt'])).rejects.toThrow(
      /cannot read/,
    );
    await expect(run(['status', 'no-such-response'])).rejects.toThrow(AppError);
    await expect(run(['frobnicate'])).rejects.toThrow(CliError);
  });

  it('--users-file reads the users one a line (comments and blank lines skipped), and refuses what --users refuses with the same words', async () => {
    const before = await storeSnapshot(s);
    const file = join(s.dataDir, 'users-ana-ben.txt');
    writeFileSync(file, '\uFEFF# from the leaked export\n\n  ana  \r\n#cleo\nBen@Example.org\n\n');
    const { code, out } = await run(['start', '--users-file', file, '--reason', 'check', '--dry-run']);
    expect(code).toBe(0);
    expect(out).toContain('for 2 named users would:');
    expect(out).toContain('flag 2 users for a new password');
    expect(out).toContain('(ana, ben)');
    expect(await storeSnapshot(s)).toBe(before);

    await expect(run(['start', '--users-file', join(s.dataDir, 'no-such-list.txt'), '--reason', 'x'])).rejects.toThrow(
      /^cannot read the users file .*no-such-list\.txt: ENOENT/,
    );
    await expect(run(['start', '--users-file', s.dataDir, '--reason', 'x'])).rejects.toThrow(
      /cannot read the users file/,
    );
    for (const other of [['--users', 'ana'], ['--all'], ['--active-since', '2024-01-01T00:00:00Z']]) {
      await expect(run(['start', '--users-file', file, ...other, '--reason', 'x'])).rejects.toThrow(
        /exactly one of --all, --users, --users-file or --active-since/,
      );
    }
    await expect(run(['start', '--users-file', '-', '--message-file', '-', '--reason', 'x'])).rejects.toThrow(
      /cannot both read standard input/,
    );

    /** The message of what a start refuses, or a failure when it does not refuse. */
    const refusal = (args: string[]) =>
      run(['start', ...args, '--reason', 'x', '--dry-run']).then(
        () => expect.fail(`not refused: ${args.join(' ').slice(0, 100)}`),
        (err: Error) => err,
      );
    const empty = join(s.dataDir, 'users-empty.txt');
    writeFileSync(empty, '# nobody yet\n\n   \n');
    const emptyError = await refusal(['--users-file', empty]);
    expect(emptyError).toBeInstanceOf(AppError);
    expect(emptyError.message).toBe('Name at least one user.');
    expect((await refusal(['--users', ' , '])).message).toBe(emptyError.message);

    const many = Array.from({ length: MAX_SCOPE_USERS + 1 }, (_, i) => `someone${i}@example.org`);
    const tooMany = join(s.dataDir, 'users-too-many.txt');
    writeFileSync(tooMany, many.join('\n'));
    const tooManyError = await refusal(['--users-file', tooMany]);
    expect(tooManyError).toBeInstanceOf(AppError);
    expect(tooManyError.message).toBe(`At most ${MAX_SCOPE_USERS} users by name; use all users or a time window.`);
    expect((await refusal(['--users', many.join(',')])).message).toBe(tooManyError.message);

    const unknown = join(s.dataDir, 'users-unknown.txt');
    writeFileSync(unknown, 'ana\nnobody\n');
    expect((await refusal(['--users-file', unknown])).message).toBe('No such user: nobody.');
    expect(await storeSnapshot(s)).toBe(before);
  });

  it('the help states the default batch size that a start without --batch-size really uses', async () => {
    expect(breachHelp).toContain(`(default ${DEFAULT_BATCH_SIZE})`);
    const { code, err } = await run(['start', '--users', 'cleo', '--reason', 'batch size']);
    expect(code, err).toBe(0);
    expect((await findLatestBreachResponse(s.deps.db))!.batch_size).toBe(DEFAULT_BATCH_SIZE);
  });

  /** The real command line against this server's data folder, in a process of its own. */
  function hearth(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
    return new Promise((done) => {
      const child = execFile(
        process.execPath,
        [join(ROOT, 'bin/hearth.mjs'), ...args],
        { cwd: ROOT, env: { ...process.env, HEARTH_DATA_DIR: s.dataDir, HEARTH_LOG_LEVEL: 'silent' } },
        (error, out, err) => done({ code: error ? Number(error.code ?? 1) : 0, out, err }),
      );
      child.stdin!.end(stdin);
    });
  }

  it('--users-file - reads the users from standard input; the help describes it', async () => {
    const before = await storeSnapshot(s);
    const { code, out, err } = await hearth(
      ['breach-response', 'start', '--users-file', '-', '--reason', 'check', '--dry-run'],
      '# piped in\nana\n\ncleo\n',
    );
    expect(code, err).toBe(0);
    expect(out).toContain('flag 2 users for a new password');
    expect(out).toContain('(ana, cleo)');
    expect(await storeSnapshot(s)).toBe(before);
    expect(breachHelp).toContain('--users-file FILE');
    expect(breachHelp).toMatch(/lines starting with #\s+are skipped; "-" reads standard input/);
  }, 30_000);

  it('a start asking for more or other than the response running over the same users is refused with what differs (exit 1); the same start resumes it', async () => {
    const notice = join(s.dataDir, 'stolen-disk.txt');
    writeFileSync(notice, 'Our backup disk was stolen.\n');
    const running = await startBreachResponse(
      s.deps,
      { userId: null, username: 'test' },
      { scope: { all: true }, reason: 'stolen disk', message: 'Our backup disk was stolen.' },
      { ip: null },
      s.deps.clock(),
    );
    if (running.dryRun) throw new Error('expected a real start');
    const id = running.response.id;

    const rotate = await hearth([
      'breach-response',
      'start',
      '--all',
      '--reason',
      'stolen disk',
      '--message-file',
      notice,
      '--rotate-password-key',
    ]);
    expect(rotate.code, rotate.err).toBe(1);
    expect(rotate.err).toContain(`Breach response ${id}`);
    expect(rotate.err).toContain('asks to rotate the password key, and the running response does not rotate it');
    expect(rotate.out).not.toContain('resuming');
    expect(await currentPasswordKeyVersion(s.deps.db)).toBe(1);
    await expect(run(['start', '--all', '--reason', 'another incident', '--message-file', notice])).rejects.toThrow(
      /its reason is "stolen disk"/,
    );
    await expect(run(['start', '--all', '--reason', 'stolen disk'])).rejects.toThrow(/another notice text/);

    const same = await run(['start', '--all', '--reason', 'stolen disk', '--message-file', notice]);
    expect(same.code, same.err).toBe(0);
    expect(same.out).toContain(`Breach response ${id} (started`);
    expect(same.out).toContain('resuming it');
    expect(same.out).toMatch(/Users flagged:\s+3 of 3/);
  }, 30_000);
});
