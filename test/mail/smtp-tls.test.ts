// HEARTH_SMTP_URL in the README's form (smtp://user:pass@host:587) requires STARTTLS: a server that does not
// offer it, or a man in the middle who strips it from EHLO, never sees the password or a message in clear.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { queueMail } from '../../src/mail/queue.ts';
import { mailTime } from '../../src/mail/templates.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { sleep, startSmtp, until, wiretap } from './smtp.ts';

const PUBLIC_URL = 'https://hearth.example.test';
const USER = 'hearth';
const PASS = 'smtp-secret-9f2c';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function capturedLog() {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { log, lines };
}

async function queueOne(s: TestServer, to: string): Promise<string> {
  const now = s.deps.clock();
  const { id } = await queueMail(s.deps, s.deps.db, { to, template: 'test', data: { at: mailTime(now) } }, now);
  return id;
}

const messageRow = (s: TestServer, id: string) =>
  s.deps.db
    .selectFrom('mail_messages')
    .select(['state', 'attempts', 'error'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe('SMTP transport security', () => {
  it('smtp://user:pass@host with no STARTTLS offered: nothing is sent, the password never crosses in clear, the error is recorded and logged', async () => {
    const smtp = await startSmtp({ auth: { user: USER, pass: PASS }, starttls: false });
    const tap = await wiretap(smtp.port);
    const url = `smtp://${USER}:${PASS}@127.0.0.1:${tap.port}`;
    const { log, lines } = capturedLog();
    const s = await startTestServer({
      env: { HEARTH_SMTP_URL: url, HEARTH_PUBLIC_URL: PUBLIC_URL },
      log,
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    cleanups.push(
      () => smtp.close(),
      () => tap.close(),
      () => s.close(),
    );

    const id = await queueOne(s, 'someone@example.org');
    const row = await until(
      async () => {
        const r = await messageRow(s, id);
        return r.attempts >= 1 && r.error ? r : null;
      },
      10_000,
      'the first attempt',
    );
    await sleep(200);
    expect(row.error).toMatch(/did not start TLS \(STARTTLS\), so nothing was sent/);
    // Missing TLS is about the setup, not this mail: it stays queued for the next attempt.
    expect(row.state).toBe('queued');
    expect(lines.join('\n')).toMatch(/did not start TLS \(STARTTLS\), so nothing was sent/);
    expect(smtp.received).toHaveLength(0);
    expect(smtp.logins).toEqual([]);
    const wire = tap.clientBytes();
    expect(wire.toString('latin1')).toMatch(/STARTTLS/);
    expect(wire.includes(PASS)).toBe(false);
    for (const encoded of [`\0${USER}\0${PASS}`, PASS].map((t) => Buffer.from(t).toString('base64'))) {
      expect(wire.includes(encoded)).toBe(false);
    }
    expect(wire.toString('latin1')).not.toMatch(/^(AUTH|MAIL FROM|DATA)/m);
  });

  it('smtp://user:pass@host with STARTTLS offered: the mail goes out over TLS, authenticated, and the password is not on the wire', async () => {
    const smtp = await startSmtp({ auth: { user: USER, pass: PASS } });
    const tap = await wiretap(smtp.port);
    const url = `smtp://${USER}:${PASS}@127.0.0.1:${tap.port}?tls.rejectUnauthorized=false`;
    const s = await startTestServer({
      env: { HEARTH_SMTP_URL: url, HEARTH_PUBLIC_URL: PUBLIC_URL },
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    cleanups.push(
      () => smtp.close(),
      () => tap.close(),
      () => s.close(),
    );

    await queueOne(s, 'tls@example.org');
    const mail = await smtp.waitFor((m) => m.to.includes('tls@example.org'));
    expect({ secure: mail.secure, user: mail.user }).toEqual({ secure: true, user: USER });
    expect(smtp.logins).toEqual([{ user: USER, secure: true, accepted: true }]);
    expect(tap.clientBytes().includes(PASS)).toBe(false);
  });

  it('insecure=true is the opt-out for a local relay without TLS: the mail goes out in clear', async () => {
    const smtp = await startSmtp({ starttls: false });
    const { log, lines } = capturedLog();
    const s = await startTestServer({
      env: { HEARTH_SMTP_URL: `${smtp.url}?insecure=true`, HEARTH_PUBLIC_URL: PUBLIC_URL },
      log,
      jobs: { pollMs: 20, leaseMs: 2000 },
    });
    cleanups.push(
      () => smtp.close(),
      () => s.close(),
    );

    await queueOne(s, 'relay@example.org');
    const mail = await smtp.waitFor((m) => m.to.includes('relay@example.org'));
    expect(mail.secure).toBe(false);
    expect(lines.join('\n')).toMatch(/insecure=true/);
  });

  it('nodemailer TLS switches in the URL cannot turn TLS off behind the configuration', async () => {
    for (const query of [
      'ignoreTLS=true',
      'requireTLS=false',
      'secure=false',
      'opportunisticTLS=true',
      'insecure=yes',
    ]) {
      await expect(
        startTestServer({
          env: { HEARTH_SMTP_URL: `smtp://u:p@127.0.0.1:2525?${query}`, HEARTH_PUBLIC_URL: PUBLIC_URL },
        }),
      ).rejects.toThrow(/HEARTH_SMTP_URL/);
    }
    await expect(
      startTestServer({ env: { HEARTH_SMTP_URL: 'smtps://u:p@127.0.0.1:465?insecure=true' } }),
    ).rejects.toThrow(/smtps/);
  });
});
