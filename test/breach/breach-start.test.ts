// Starting a breach response over the API and the CLI, on SQLite and PostgreSQL: a scope naming the most
// users allowed (by real-length email addresses, and the body limit that lets the longest names through),
// and a second start over the users of a response still running, which resumes it only when it asks for what
// that response does.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBreachResponse } from '../../src/breach/breach-response.ts';
import { currentPasswordKeyVersion } from '../../src/breach/password-key.ts';
import { MAX_LOGIN_LENGTH, MAX_SCOPE_USERS } from '../../src/breach/scope.ts';
import { breachCommand } from '../../src/cli/breach.command.ts';
import { BREACH_START_BODY_LIMIT } from '../../src/http/routes/breach.routes.ts';
import { findBreachResponse } from '../../src/store/breach.repository.ts';
import { expectError, setupOwner, storeSnapshot } from '../helpers/accounts.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { seedUsers } from './seed.ts';

const PASSWORD = 'velvet thunder orchard mosaic';

/** A username of 31 characters; its email address (`…@example.org`, as seeded) has 43, as real ones may. */
const longName = (i: number) => `streaming.household.member${String(i).padStart(5, '0')}`;
const emailOf = (i: number) => `${longName(i)}@example.org`;
/** As an operator may type it: with a capital, so that it is looked up as typed and lower-cased. */
const typed = (name: string) => name[0]!.toUpperCase() + name.slice(1);

async function captured(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await run(), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe.each(await storeKinds())('starting a breach response on %s', (store) => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers) await s.close();
    servers = [];
  });

  async function server(): Promise<TestServer> {
    const s = await startTestServer({ store, background: false });
    servers.push(s);
    return s;
  }

  it('S80: a dry run naming the most users allowed by their email addresses, in mixed case, answers 200 with their count (API, CLI --users and --users-file)', async () => {
    const s = await server();
    const { token } = await setupOwner(s);
    const hash = await s.deps.passwords.hash(PASSWORD);
    await seedUsers(s.deps.db, {
      users: MAX_SCOPE_USERS,
      sessionsPerUser: 1,
      passwordHash: hash,
      now: s.deps.clock(),
      username: longName,
    });
    // 20,000 logins (each as typed and lower-cased) matched against three columns: 60,000 parameters in one query.
    const users = Array.from({ length: MAX_SCOPE_USERS }, (_, i) => typed(emailOf(i)));
    const dryRun = (names: string[]) =>
      s.request('POST', '/api/v1/admin/breach-responses', {
        token,
        body: { scope: { users: names }, reason: 'r', message: 'A notice.', dry_run: true },
      });

    // About 460 KB: over the server's general limit of 64 KiB, which let through only about 1,400 of these.
    const res = await dryRun(users);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(res.body).toMatchObject({
      users: MAX_SCOPE_USERS,
      users_already_flagged: 0,
      sessions: MAX_SCOPE_USERS,
      mails: MAX_SCOPE_USERS,
    });
    expect(res.body.users_sample.slice(0, 2)).toEqual([longName(0), longName(1)]);

    // The same many names with a few unknown among them: the answer names those, it does not fail.
    const unknown = await dryRun([...users.slice(0, -2), 'Zz1', 'Zz2']);
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'invalid_body', details: { field: 'scope.users' } });
    expect(unknown.body.error.message).toBe('No such user: Zz1, Zz2.');

    const cli = await captured(() =>
      breachCommand(s.deps, ['start', '--users', users.join(','), '--reason', 'r', '--dry-run']),
    );
    expect(cli.code, cli.err).toBe(0);
    expect(cli.out).toContain(`flag ${MAX_SCOPE_USERS} users for a new password`);

    // Too long for one argument of a real command line (Linux takes 128 KiB): the same names from a file,
    // one a line, with a comment, blank lines and Windows line ends among them.
    const file = join(s.dataDir, 'users.txt');
    writeFileSync(file, `# customers in the leaked export\r\n\r\n${users.join('\r\n')}\r\n\n`);
    const fromFile = await captured(() =>
      breachCommand(s.deps, ['start', '--users-file', file, '--reason', 'r', '--dry-run']),
    );
    expect(fromFile.code, fromFile.err).toBe(0);
    expect(fromFile.out).toContain(`for ${MAX_SCOPE_USERS} named users would:`);
    expect(fromFile.out).toContain(`flag ${MAX_SCOPE_USERS} users for a new password (${longName(0)}, ${longName(1)},`);
    expect(fromFile.out).toContain(`queue ${MAX_SCOPE_USERS} notice mails`);
  }, 60_000);

  it('a second start over the users of a running response resumes it only when it asks the same: a key rotation, another reason or notice is refused (409)', async () => {
    const s = await server();
    const { token } = await setupOwner(s);
    await s.createUser({ username: 'solo', password: PASSWORD });
    const request = { scope: { all: true }, reason: 'backup disk stolen', message: 'Our backup disk was stolen.' };
    const start = (change: Record<string, unknown> = {}) =>
      s.request('POST', '/api/v1/admin/breach-responses', { token, body: { ...request, ...change } });

    const first = await start();
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.created).toBe(true);
    const id = first.body.response.id;
    const before = await storeSnapshot(s, ['sessions']);

    const refused: [Record<string, unknown>, string[]][] = [
      [{ rotate_password_key: true }, ['rotate_password_key']],
      [{ reason: 'database dump published' }, ['reason']],
      [{ message: 'A copy of the database was published.' }, ['message']],
      [
        { rotate_password_key: true, reason: 'database dump published', message: 'Another text.' },
        ['rotate_password_key', 'reason', 'message'],
      ],
    ];
    for (const [change, differs] of refused) {
      const res = await start(change);
      expect(res.status, JSON.stringify(change)).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'conflict', details: { response_id: id, differs } });
      expect(res.body.error.message).toContain(`Breach response ${id}`);
    }
    const rotation = (await start({ rotate_password_key: true })).body.error.message;
    expect(rotation).toContain('asks to rotate the password key, and the running response does not rotate it');
    expect((await start({ reason: 'database dump published' })).body.error.message).toContain(
      'its reason is "backup disk stolen"',
    );
    // Refused means refused: no key rotated, no response, no event.
    expect(await currentPasswordKeyVersion(s.deps.db)).toBe(1);
    expect(await storeSnapshot(s, ['sessions'])).toBe(before);

    // The same request (spaces around the reason and another batch size do not change what it does) resumes it.
    const again = await start({ reason: '  backup disk stolen ', batch_size: 10 });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.body).toMatchObject({ created: false, response: { id, rotate_password_key: false } });
  });

  it('a start without the key rotation resumes a running response that rotated it: that was done at its start, and the response shows it', async () => {
    const s = await server();
    await s.createUser({ username: 'solo', password: PASSWORD });
    const actor = { userId: null, username: 'test' };
    const input = { scope: { all: true as const }, reason: 'r', message: 'A notice.' };
    const first = await startBreachResponse(
      s.deps,
      actor,
      { ...input, rotatePasswordKey: true },
      { ip: null },
      s.deps.clock(),
    );
    if (first.dryRun) throw new Error('expected a real start');
    expect(await currentPasswordKeyVersion(s.deps.db)).toBe(2);
    const second = await startBreachResponse(s.deps, actor, input, { ip: null }, s.deps.clock());
    if (second.dryRun) throw new Error('expected a real start');
    expect(second).toMatchObject({
      created: false,
      response: { id: first.response.id, rotate_password_key: 1, password_key_version: 2 },
    });
    // Asked for again, the rotation is the running response's own: it resumes without rotating twice.
    const third = await startBreachResponse(
      s.deps,
      actor,
      { ...input, rotatePasswordKey: true },
      { ip: null },
      s.deps.clock(),
    );
    expect(third).toMatchObject({ created: false, response: { id: first.response.id } });
    expect(await currentPasswordKeyVersion(s.deps.db)).toBe(2);
    expect((await findBreachResponse(s.deps.db, first.response.id))!.password_key_version).toBe(2);
  });
});

describe('the body limit of a breach response start', () => {
  let s: TestServer;
  afterEach(async () => s?.close());

  const START = '/api/v1/admin/breach-responses';
  const json = { 'content-type': 'application/json' };

  it('S80: takes the most users a scope may name by the longest names, pretty-printed; a byte more is 413 payload_too_large', async () => {
    s = await startTestServer({ background: false });
    const { token } = await setupOwner(s);
    // The longest names in bytes: four bytes a character in UTF-8, a code point each for the schema's maxLength.
    const names = Array.from(
      { length: MAX_SCOPE_USERS },
      (_, i) => String(i).padStart(5, '0') + '\u{1F512}'.repeat(MAX_LOGIN_LENGTH - 5),
    );
    const body = JSON.stringify(
      { scope: { users: names }, reason: 'r'.repeat(500), message: 'A notice.', dry_run: true },
      null,
      2,
    );
    expect(Buffer.byteLength(body)).toBeGreaterThan(10_000_000);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(BREACH_START_BODY_LIMIT);

    // Read, checked and looked up: nobody has such a name.
    const res = await s.request('POST', START, { token, body, headers: json });
    expectError(res, 400, 'invalid_body');
    expect(res.body.error.message).toMatch(/^No such user: 00000.+ and 9995 more\.$/u);

    const over = JSON.stringify({ scope: { all: true }, reason: 'r', message: '' });
    const padded = over.replace(
      '"message":""',
      `"message":"${'x'.repeat(BREACH_START_BODY_LIMIT + 1 - Buffer.byteLength(over))}"`,
    );
    expect(Buffer.byteLength(padded)).toBe(BREACH_START_BODY_LIMIT + 1);
    expectError(await s.request('POST', START, { token, body: padded, headers: json }), 413, 'payload_too_large', {
      tableMessage: true,
    });
  }, 60_000);

  it('only this route takes more than 64 KiB, and only from an owner or admin: others are refused before the body is read', async () => {
    s = await startTestServer({ background: false });
    const { token } = await setupOwner(s);
    await s.createUser({ username: 'member', password: PASSWORD });
    const member = await s.login('member', PASSWORD);
    const big = JSON.stringify({
      scope: { users: Array.from({ length: MAX_SCOPE_USERS }, (_, i) => emailOf(i)) },
      reason: 'r',
      message: 'A notice.',
      dry_run: true,
    });
    expect(Buffer.byteLength(big)).toBeGreaterThan(64 * 1024);

    expectError(await s.request('POST', START, { body: big, headers: json }), 401, 'unauthorized');
    expectError(await s.request('POST', START, { token: member, body: big, headers: json }), 403, 'forbidden');
    // Another admin route keeps the general limit.
    const invite = JSON.stringify({ email: 'new@example.org', note: 'x'.repeat(64 * 1024) });
    expectError(
      await s.request('POST', '/api/v1/admin/invites', { token, body: invite, headers: json }),
      413,
      'payload_too_large',
    );
  });
});
