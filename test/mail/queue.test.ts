// The mail queue against a real SMTP server: an outage, a restart in the middle, a refusal for good,
// STARTTLS with auth and DKIM; and the outbox when no SMTP server is configured.
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { queueMail } from '../../src/mail/queue.ts';
import { mailTime } from '../../src/mail/templates.ts';
import { startTestServer, testClock, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { sleep, startSmtp, until } from './smtp.ts';

const PUBLIC_URL = 'https://hearth.example.test';
const run = promisify(execFile);

async function queueTestMails(s: TestServer, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const now = s.deps.clock();
    const { id } = await queueMail(
      s.deps,
      s.deps.db,
      { to: `${prefix}${i}@example.org`, template: 'test', data: { at: mailTime(now) } },
      now,
    );
    ids.push(id);
  }
  return ids;
}

async function messageStates(s: TestServer, ids: string[]) {
  return s.deps.db
    .selectFrom('mail_messages')
    .select(['id', 'state', 'attempts', 'error', 'message_id'])
    .where('id', 'in', ids)
    .execute();
}

const idle = (s: TestServer) =>
  until(
    async () => (await s.deps.db.selectFrom('jobs').select('id').where('state', '=', 'running').execute()).length === 0,
  );

describe('mail queue', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('an SMTP server that is down and comes back: every mail arrives, once', async () => {
    const smtp = await startSmtp({ down: true });
    const clock = testClock(new Date());
    const s = await startTestServer({
      env: { HEARTH_SMTP_URL: smtp.url, HEARTH_PUBLIC_URL: PUBLIC_URL },
      clock: clock.clock,
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    cleanups.push(
      () => s.close(),
      () => smtp.close(),
    );
    const ids = await queueTestMails(s, 3, 'outage');
    const failed = await until(
      async () => {
        const rows = await messageStates(s, ids);
        return rows.every((r) => r.attempts >= 1 && r.state === 'queued' && r.error) ? rows : null;
      },
      10_000,
      'a failed first attempt',
    );
    expect(failed[0]!.error).toMatch(/ECONNREFUSED|connect/i);
    expect(smtp.received).toHaveLength(0);

    await smtp.listen();
    await idle(s);
    clock.advance(20_000);
    s.deps.jobs.kick();
    const got = await smtp.waitForCount(3);
    await sleep(300);
    expect(smtp.received).toHaveLength(3);
    expect(new Set(got.map((m) => m.messageId)).size).toBe(3);
    const rows = await messageStates(s, ids);
    expect(rows.map((r) => r.state)).toEqual(['sent', 'sent', 'sent']);
    expect(got.map((m) => m.messageId).sort()).toEqual(rows.map((r) => r.message_id).sort());
  });

  it('a recipient refused for good is marked failed at once, not retried', async () => {
    const smtp = await startSmtp({ refuse: ['gone@example.org'] });
    const s = await startTestServer({
      env: { HEARTH_SMTP_URL: smtp.url, HEARTH_PUBLIC_URL: PUBLIC_URL },
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    cleanups.push(
      () => s.close(),
      () => smtp.close(),
    );
    const now = s.deps.clock();
    const { id } = await queueMail(
      s.deps,
      s.deps.db,
      { to: 'gone@example.org', template: 'test', data: { at: mailTime(now) } },
      now,
    );
    const row = await until(async () => (await messageStates(s, [id])).find((r) => r.state === 'failed'));
    expect(row.attempts).toBe(1);
    expect(row.error).toMatch(/550|No such mailbox/);
    const job = await s.deps.db
      .selectFrom('jobs')
      .select(['state', 'attempts'])
      .where('dedupe_key', '=', `mail:${id}`)
      .executeTakeFirstOrThrow();
    expect(job).toEqual({ state: 'failed', attempts: 1 });
  });

  it('a wrong SMTP password (535) keeps every mail queued, logged once, and they all go out once the password is fixed', async () => {
    let wrongPassword = true;
    const smtp = await startSmtp({ auth: { user: 'hearth', pass: 'right' }, refuseAuth: () => wrongPassword });
    const clock = testClock(new Date());
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const s = await startTestServer({
      env: { HEARTH_SMTP_URL: smtp.url, HEARTH_PUBLIC_URL: PUBLIC_URL },
      clock: clock.clock,
      log,
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    cleanups.push(
      () => s.close(),
      () => smtp.close(),
    );
    const ids = await queueTestMails(s, 3, 'auth');
    const waiting = await until(
      async () => {
        const rows = await messageStates(s, ids);
        return rows.every((r) => r.attempts >= 1 && r.state === 'queued' && r.error) ? rows : null;
      },
      10_000,
      'a refused first attempt',
    );
    expect(waiting[0]!.error).toMatch(/535/);
    await idle(s);
    const jobs = await s.deps.db
      .selectFrom('jobs')
      .select('state')
      .where(
        'dedupe_key',
        'in',
        ids.map((id) => `mail:${id}`),
      )
      .execute();
    expect(jobs.map((j) => j.state)).toEqual(['queued', 'queued', 'queued']);
    const told = lines.filter((l) => l.includes('mail cannot be sent'));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/refused the user name or password in HEARTH_SMTP_URL/);
    expect(smtp.received).toHaveLength(0);

    // The operator fixes the password (here: the server starts accepting it); the backoff brings the mails back.
    wrongPassword = false;
    clock.advance(20_000);
    s.deps.jobs.kick();
    await smtp.waitForCount(3);
    await idle(s);
    expect((await messageStates(s, ids)).map((r) => r.state)).toEqual(['sent', 'sent', 'sent']);
    expect(lines.some((l) => l.includes('mail is going out again'))).toBe(true);
  });

  it('STARTTLS and SMTP auth from the URL, and a DKIM signature when a key is configured', async () => {
    const smtp = await startSmtp({ auth: { user: 'hearth', pass: 's3cret pass' }, starttls: true });
    const keyDir = mkdtempSync(join(tmpdir(), 'hearth-dkim-'));
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(keyDir, 'dkim.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const s = await startTestServer({
      env: {
        HEARTH_SMTP_URL: smtp.url,
        HEARTH_PUBLIC_URL: PUBLIC_URL,
        HEARTH_MAIL_FROM: 'Hearth <hearth@hearth.example.test>',
        HEARTH_DKIM_DOMAIN: 'hearth.example.test',
        HEARTH_DKIM_SELECTOR: 'mail2026',
        HEARTH_DKIM_PRIVATE_KEY_FILE: keyFile,
      },
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    cleanups.push(
      () => s.close(),
      () => smtp.close(),
      async () => rmSync(keyDir, { recursive: true, force: true }),
    );
    await queueTestMails(s, 1, 'signed');
    const mail = await smtp.waitFor((m) => m.to.includes('signed0@example.org'));
    expect(mail.secure).toBe(true);
    expect(mail.user).toBe('hearth');
    const header = /^DKIM-Signature:(.*(?:\r?\n[ \t].*)*)/m.exec(mail.raw)?.[1]?.replace(/\s+/g, '') ?? '';
    expect(header).toMatch(/(^|;)d=hearth\.example\.test(;|$)/);
    expect(header).toMatch(/(^|;)s=mail2026(;|$)/);
    expect(header).toMatch(/(^|;)a=rsa-sha256(;|$)/);
    // The body hash in the signature is that of the body we received (relaxed canonicalization).
    const bh = /bh=([A-Za-z0-9+/=\s]+);/.exec(mail.raw)![1]!.replace(/\s+/g, '');
    const body = mail.raw.slice(mail.raw.search(/\r?\n\r?\n/)).replace(/^\r?\n\r?\n/, '');
    const relaxed =
      body
        .split(/\r?\n/)
        .map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''))
        .join('\r\n')
        .replace(/(\r\n)*$/, '') + '\r\n';
    expect(createHash('sha256').update(relaxed).digest('base64')).toBe(bh);
  });

  it('outbox mode: with no SMTP a .eml file appears, listed by `hearth mail outbox` and by the owner-only API', async () => {
    const s = await startTestServer({ env: { HEARTH_PUBLIC_URL: PUBLIC_URL }, jobs: { pollMs: 20, leaseMs: 2000 } });
    cleanups.push(() => s.close());
    const owner = await s.createUser({ username: 'owner', role: 'owner' });
    const admin = await s.createUser({ username: 'admina', role: 'admin' });
    const [id] = await queueTestMails(s, 1, 'outbox');
    const outbox = join(s.dataDir, 'outbox');
    const file = await until(() => existsSync(outbox) && readdirSync(outbox).find((f) => f.endsWith(`-${id}.eml`)));
    expect(file).toMatch(/^\d{8}T\d{9}Z-[A-Za-z0-9_-]+\.eml$/);

    const env = { ...process.env, HEARTH_DATA_DIR: s.dataDir, HEARTH_LOG_LEVEL: 'silent' };
    const listed = await run('node', ['bin/hearth.mjs', 'mail', 'outbox'], { env });
    expect(listed.stdout).toContain('outbox0@example.org');
    expect(listed.stdout).toContain('Test message');
    expect(listed.stdout).toContain(id);

    const ownerToken = await s.login('owner', owner.password);
    const list = await s.request('GET', '/api/v1/admin/mail/outbox', { token: ownerToken });
    expect(list.status).toBe(200);
    expect(list.body).toContainEqual(expect.objectContaining({ id, file, to: 'outbox0@example.org' }));
    const one = await s.request('GET', `/api/v1/admin/mail/outbox/${id}`, { token: ownerToken });
    expect(one.status).toBe(200);
    expect(one.headers['content-type']).toMatch(/^message\/rfc822/);
    expect(one.body).toContain('Subject: Test message');
    expect(one.body).toContain(`Message-ID: <${id}@hearth.example.test>`);
    expect((await s.request('GET', '/api/v1/admin/mail/outbox/nope', { token: ownerToken })).status).toBe(404);

    // Outbox files hold live links: an admin who is not the owner may see the queue, not the mails.
    const adminToken = await s.login('admina', admin.password);
    expect((await s.request('GET', '/api/v1/admin/mail/outbox', { token: adminToken })).status).toBe(403);
    expect((await s.request('GET', `/api/v1/admin/mail/outbox/${id}`, { token: adminToken })).status).toBe(403);
    const queue = await s.request('GET', '/api/v1/admin/mail/queue', { token: adminToken });
    expect(queue.status).toBe(200);
    expect(queue.body.transport).toBe('outbox');
    expect(queue.body.messages).toContainEqual(expect.objectContaining({ id, state: 'sent' }));
  }, 120_000);
});

describe.each(await storeKinds())('mail queue across a restart (%s)', (store) => {
  it('closing the server while mails are queued and starting a new one on the same store: every mail arrives exactly once', async () => {
    const smtp = await startSmtp({ delayMs: 60 });
    const clock = testClock(new Date());
    const options = {
      store,
      env: { HEARTH_SMTP_URL: smtp.url, HEARTH_PUBLIC_URL: PUBLIC_URL },
      clock: clock.clock,
      jobs: { pollMs: 20, leaseMs: 1000 },
    };
    const first = await startTestServer({ ...options, keep: true });
    let second: TestServer | null = null;
    try {
      const ids = await queueTestMails(first, 16, 'restart');
      await until(() => smtp.received.length >= 2, 10_000, 'the first mails');
      await first.close();
      const before = smtp.received.length;
      expect(before).toBeLessThan(16);

      // Whatever the first server held when it stopped waits for its lease to lapse.
      clock.advance(5000);
      second = await startTestServer({
        ...options,
        dataDir: first.dataDir,
        ...(first.schema ? { schema: first.schema } : {}),
      });
      await smtp.waitForCount(16, 30_000);
      await idle(second);
      await sleep(300);
      expect(smtp.received).toHaveLength(16);
      const received = smtp.received.map((m) => m.messageId);
      expect(new Set(received).size).toBe(16);
      const rows = await messageStates(second, ids);
      expect(rows.every((r) => r.state === 'sent')).toBe(true);
      expect(received.sort()).toEqual(rows.map((r) => r.message_id).sort());
    } finally {
      await second?.close();
      if (!second) rmSync(first.dataDir, { recursive: true, force: true });
      await smtp.close();
    }
  }, 120_000);
});
