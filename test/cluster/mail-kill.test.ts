// A mail never goes out twice: an instance (its own process) is SIGKILLed at the worst moment, right after the
// SMTP server accepted a message and before the instance could record it; another instance on the same
// PostgreSQL + Redis, on the same host, takes the job over at once (the dead pid's lease) and must not hand the
// message over again. Repeated 20 times.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { POSTGRES_URL, REDIS_URL } from '../helpers/services.ts';
import { haveClusterServices } from './cluster-helpers.ts';

const ready = await haveClusterServices();
const ROUNDS = 20;
const PASSWORD = 'velvet thunder orchard mosaic';

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.runIf(ready)('a mail handed over by an instance killed at that moment', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(32).toString('hex');
  const received: { to: string; messageId: string }[] = [];
  let killOnReceipt: ServeProcess | null = null;
  let smtp: SMTPServer;
  let smtpUrl: string;
  let base: TestServer;
  const dirs: string[] = [];

  const shared = { HEARTH_REDIS_URL: REDIS_URL, HEARTH_SECRET_KEY: secretKey, HEARTH_SMTP_URL: '' };

  beforeAll(async () => {
    const port = await freePort();
    smtp = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const to = [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? ''));
            received.push({ to: to.join(','), messageId: mail.messageId ?? '' });
            // The whole message is here: the sender dies before it can read the 250 and record it, which for
            // the sender is the same moment as dying right after reading it.
            const victim = killOnReceipt;
            killOnReceipt = null;
            if (victim) {
              victim.child.kill('SIGKILL');
              victim.exited.then(
                () => callback(),
                () => callback(),
              );
            } else {
              callback();
            }
          })
          .catch(callback);
      },
    });
    smtp.on('error', () => {});
    await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
    smtpUrl = `smtp://127.0.0.1:${port}?insecure=true`;
    shared.HEARTH_SMTP_URL = smtpUrl;
    // An instance without background work: only the store handle the test reads and seeds with.
    base = await startTestServer({ store: 'postgres', schema, keep: true, background: false, env: shared });
    for (let i = 0; i < ROUNDS; i++)
      await base.createUser({ username: `kill${i}`, email: `kill${i}@example.org`, password: PASSWORD });
  });

  afterAll(async () => {
    await base?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it(`SIGKILL right after the SMTP server accepted a mail, ${ROUNDS} times: no message is received twice, none is lost unseen`, async () => {
    let unconfirmedRounds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const address = `kill${round}@example.org`;
      const dataDir = mkdtempSync(join(tmpdir(), 'hearth-kill-'));
      dirs.push(dataDir);
      const a = startServe({
        ...shared,
        HEARTH_DATA_DIR: dataDir,
        HEARTH_PORT: '0',
        HEARTH_DATABASE_URL: POSTGRES_URL,
        HEARTH_DATABASE_SCHEMA: schema,
      });
      const url = await a.listening;
      killOnReceipt = a;
      const request = await fetch(`${url}/api/v1/auth/password-reset/request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: address }),
      });
      expect(request.status).toBe(202);
      expect(await a.exited).toBeNull();

      // The second instance, on this host, with a 30 s lease: it takes over because the first one's pid is dead.
      const b = await startTestServer({
        store: 'postgres',
        schema,
        keep: true,
        env: shared,
        jobs: { pollMs: 20, leaseMs: 30_000 },
      });
      try {
        const settled = await waitFor(async () => {
          const rows = await b.deps.db
            .selectFrom('mail_messages')
            .innerJoin('jobs', 'jobs.id', 'mail_messages.job_id')
            .select(['mail_messages.state', 'mail_messages.message_id', 'jobs.state as job'])
            .where('mail_messages.recipient', '=', address)
            .execute();
          const open = await b.deps.db
            .selectFrom('jobs')
            .select('id')
            .where('state', 'in', ['queued', 'running'])
            .execute();
          return rows.length > 0 && open.length === 0 && rows.every((r) => r.job === 'done') ? rows : null;
        });
        // Every message of this round reached the SMTP server exactly once.
        for (const row of settled) {
          const copies = received.filter((m) => m.messageId === row.message_id);
          expect(copies, `round ${round}: ${row.message_id} (${row.state})`).toHaveLength(1);
          // Accepted by the server: either recorded as sent, or kept for the operator as unconfirmed.
          expect(['sent', 'unconfirmed']).toContain(row.state);
        }
        if (settled.some((r) => r.state === 'unconfirmed')) unconfirmedRounds += 1;
      } finally {
        await b.close();
        rmSync(b.dataDir, { recursive: true, force: true });
      }
    }
    expect(new Set(received.map((m) => m.messageId)).size).toBe(received.length);
    // Every kill landed between the server's receipt and the record: the takeover met the hand-over each time.
    expect(unconfirmedRounds).toBe(ROUNDS);
  }, 1_200_000);
});
