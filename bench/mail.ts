// `npm run bench:mail`: messages per second through Hearth's mail queue (render, store, one job per
// message, SMTP) to a local SMTP server, against nodemailer sending the same messages straight to the
// same server with the same pool size, in the same run. The queue's price is what makes a mail survive an
// outage or a restart: a stored row, a job taken with a lease, the sent state written before the job ends.
//
// The machine is shared and noisy, so the two are measured in alternating rounds and the median round
// is reported with the spread.
//
// Options: --messages=<n> per round (default 500), --rounds=<n> (3), --store=sqlite|postgres (sqlite),
// --no-write (print only; otherwise docs/benchmarks.md gets the figures between its bench:mail markers).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../src/config.ts';
import { systemRandom } from '../src/crypto.ts';
import { queueMail } from '../src/mail/queue.ts';
import { mailTime, renderMail } from '../src/mail/templates.ts';
import { startServer } from '../src/server.ts';
import { POSTGRES_URL, havePostgres } from '../test/helpers/services.ts';
import { writeBenchSection } from './docs-section.ts';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const messages = Number(args.get('messages') ?? 500);
const rounds = Number(args.get('rounds') ?? 3);
const store = args.get('store') === 'postgres' ? 'postgres' : 'sqlite';
const write = !args.has('no-write');
const PUBLIC_URL = 'https://hearth.example.test';
const POOL = 4;

/** A local SMTP server that accepts and counts; it reads each message to its end, nothing more. */
async function startSink(): Promise<{
  port: number;
  count: () => number;
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}> {
  let received = 0;
  let waiter: { n: number; resolve: () => void } | null = null;
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received += 1;
        callback();
        if (waiter && received >= waiter.n) {
          waiter.resolve();
          waiter = null;
        }
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    count: () => received,
    waitFor: (n) => (received >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiter = { n, resolve }))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function sampleMessage(i: number) {
  const rendered = renderMail(
    'password_reset',
    {
      username: `user${i}`,
      token: `hr_${randomBytes(32).toString('base64url')}`,
      reason: 'requested',
      requested: { at: mailTime(new Date()), ip: '203.0.113.7', device: 'Firefox on Linux' },
    },
    { publicUrl: new URL(PUBLIC_URL), phrase: 'amber lantern seven' },
  );
  return { to: `user${i}@example.org`, ...rendered };
}

async function direct(port: number): Promise<number> {
  const transporter = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: POOL,
  });
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: messages }, (_, i) => {
      const m = sampleMessage(i);
      return transporter.sendMail({
        from: 'Hearth <hearth@hearth.example.test>',
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
      });
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  transporter.close();
  return messages / seconds;
}

async function queued(
  port: number,
  sink: { count: () => number; waitFor(n: number): Promise<void> },
): Promise<{ rate: number; enqueueRate: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hearth-bench-mail-'));
  const schema = store === 'postgres' ? `bench_mail_${randomBytes(4).toString('hex')}` : null;
  const env: Record<string, string> = {
    HEARTH_DATA_DIR: dataDir,
    HEARTH_PORT: '0',
    HEARTH_PUBLIC_URL: PUBLIC_URL,
    HEARTH_SMTP_URL: `smtp://127.0.0.1:${port}?insecure=true`,
    HEARTH_MAIL_FROM: 'Hearth <hearth@hearth.example.test>',
    // The rate limit is a policy, not a cost: lifted so the queue's own speed shows.
    HEARTH_MAIL_RATE_PER_MINUTE: '1000000',
    ...(schema ? { HEARTH_DATABASE_URL: POSTGRES_URL, HEARTH_DATABASE_SCHEMA: schema } : {}),
  };
  const server = await startServer(loadConfig(env, systemRandom), { webDist: null, log: pino({ level: 'silent' }) });
  try {
    const before = sink.count();
    const start = process.hrtime.bigint();
    for (let i = 0; i < messages; i += 1) {
      const m = sampleMessage(i);
      const now = new Date();
      await queueMail(
        server.deps,
        server.deps.db,
        {
          to: m.to,
          template: 'password_reset',
          data: {
            username: `user${i}`,
            token: `hr_${randomBytes(32).toString('base64url')}`,
            reason: 'requested',
            requested: { at: mailTime(now), ip: '203.0.113.7', device: 'Firefox on Linux' },
          },
        },
        now,
      );
    }
    const enqueued = Number(process.hrtime.bigint() - start) / 1e9;
    await sink.waitFor(before + messages);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { rate: messages / seconds, enqueueRate: messages / enqueued };
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (schema) {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => x.toFixed(0);

async function main(): Promise<void> {
  if (store === 'postgres' && !(await havePostgres()))
    throw new Error('--store=postgres needs PostgreSQL on 127.0.0.1:5432');
  const load = loadavg()[0]!;
  const sink = await startSink();
  const directRates: number[] = [];
  const queueRates: number[] = [];
  const enqueueRates: number[] = [];
  try {
    // Warm-up: JIT, the first connections, the first migration.
    await direct(sink.port);
    for (let round = 1; round <= rounds; round += 1) {
      const d = await direct(sink.port);
      const q = await queued(sink.port, sink);
      directRates.push(d);
      queueRates.push(q.rate);
      enqueueRates.push(q.enqueueRate);
      process.stderr.write(
        `round ${round}: direct ${fmt(d)}/s, queue ${fmt(q.rate)}/s (queued at ${fmt(q.enqueueRate)}/s)\n`,
      );
    }
  } finally {
    await sink.close();
  }
  const d = median(directRates);
  const q = median(queueRates);
  const e = median(enqueueRates);
  const spread = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
  const report = [
    `Command: \`npm run bench:mail -- --messages=${messages} --rounds=${rounds}${store === 'postgres' ? ' --store=postgres' : ''}\`, run ${new Date().toISOString().slice(0, 10)},`,
    `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}, load average ${load.toFixed(1)} at the start), Node ${process.version}, store ${store}. ${messages} password-reset`,
    `messages per round to a local smtp-server on 127.0.0.1, ${POOL} pooled SMTP connections on both sides; median of ${rounds} alternating rounds, range in brackets.`,
    '',
    '| path | messages per second |',
    '| --- | --- |',
    `| nodemailer straight to SMTP | ${fmt(d)} (${spread(directRates)}) |`,
    `| Hearth queue, end to end (render, store, job, SMTP) | ${fmt(q)} (${spread(queueRates)}) |`,
    `| Hearth queue, queueing alone (render, seal, insert message and job) | ${fmt(e)} (${spread(enqueueRates)}) |`,
    '',
    `The queue delivers at ${((q / d) * 100).toFixed(0)}% of the direct rate. The configured rate limit`,
    '(`HEARTH_MAIL_RATE_PER_MINUTE`, default 600 a minute) was lifted for the run; in service it, not the queue, sets the pace.',
  ].join('\n');
  process.stdout.write(report + '\n');
  if (write) writeBenchSection('mail', 'Mail queue (bench/mail)', report);
}

await main();
