// `npm run bench:breach`: how long a breach response takes to flag and sign out 100,000 users with 300,000
// sessions, against a bare UPDATE of the same rows in the same run (target: at most 3×), on SQLite and on
// PostgreSQL. The response's work is its first job, exactly as it runs in service: per batch of users, in
// one transaction, flag them, revoke their sessions (one event per user on the bus), void their tokens,
// write one record and one security-log line per user. Sending mail is not part of it; queueing the
// notices is, and is timed on its own (the second job: render, seal and store one message and its send
// job per user), because the figure that matters in a breach is how fast the old credentials stop working.
//
// The bare UPDATE sets the same columns of the same rows in two statements (users, then sessions). The
// machine is shared and noisy, so the bare UPDATE and the response run in alternating rounds on the same
// rows (each undone after it ran) and the median round is reported with the spread; the notices are queued
// once, after the last round.
//
// Options: --users=<n> (100000), --sessions=<per user> (3), --batch=<users per transaction> (the default),
// --rounds=<n> (3), --notice-seconds=<s> (60: how long the notices are queued to measure their rate),
// --stores=sqlite,postgres, --no-write (print
// only; otherwise docs/benchmarks.md gets the figures between its bench:breach markers).
import { cpus, loadavg } from 'node:os';
import { sql } from 'kysely';
import { startBreachResponse, DEFAULT_BATCH_SIZE } from '../src/breach/breach-response.ts';
import { newId } from '../src/crypto.ts';
import { cancelJob, newJobRow } from '../src/jobs/runner.ts';
import { findBreachResponse } from '../src/store/breach.repository.ts';
import { findJob } from '../src/store/jobs.repository.ts';
import { startTestServer, type TestServer } from '../test/helpers/server.ts';
import { havePostgres } from '../test/helpers/services.ts';
import { seedUsersInStore } from '../test/breach/seed.ts';
import { writeBenchSection } from './docs-section.ts';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const users = Number(args.get('users') ?? 100_000);
const sessionsPerUser = Number(args.get('sessions') ?? 3);
const stores = (args.get('stores') ?? 'sqlite,postgres').split(',') as ('sqlite' | 'postgres')[];
const write = !args.has('no-write');
const rounds = Number(args.get('rounds') ?? 3);
const noticeSeconds = Number(args.get('notice-seconds') ?? 60);
const batchSize = args.has('batch') ? Number(args.get('batch')) : DEFAULT_BATCH_SIZE;

interface Result {
  store: string;
  bare: number[];
  response: number[];
  noticesMs: number;
  notices: number;
  /** Notices a second in the first and in the last tenth of the run. */
  noticeRates: [number, number];
  bareInsertMs: number;
  bareInserted: number;
  /** Peak resident memory per phase, MiB. */
  rss: Record<string, number>;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await fn();
  return [performance.now() - start, value];
}

async function count(s: TestServer, query: string): Promise<number> {
  return Number((await sql<{ n: number }>`${sql.raw(query)}`.execute(s.deps.db)).rows[0]!.n);
}

/** Puts the rows back as they were, out of the clock, and lets the store settle. */
async function undo(s: TestServer, all: boolean): Promise<void> {
  await s.deps.db.updateTable('users').set({ reset_required: 0, reset_required_reason: null }).execute();
  await s.deps.db.updateTable('sessions').set({ revoked_at: null, revoke_reason: null }).execute();
  if (all) {
    for (const table of ['breach_response_users', 'breach_responses', 'jobs', 'security_events'] as const)
      await s.deps.db.deleteFrom(table).execute();
  }
  if (s.deps.store.dialect === 'postgres') await sql`vacuum analyze`.execute(s.deps.db);
  else await sql`pragma wal_checkpoint(truncate)`.execute(s.deps.db);
}

async function bareUpdate(s: TestServer): Promise<number> {
  const t = Date.now();
  const [ms] = await time(async () => {
    await s.deps.db
      .updateTable('users')
      .set({ reset_required: 1, reset_required_reason: 'bare', updated_at: t })
      .execute();
    await s.deps.db
      .updateTable('sessions')
      .set({ revoked_at: t, revoke_reason: 'bare' })
      .where('revoked_at', 'is', null)
      .execute();
  });
  await undo(s, false);
  return ms;
}

async function response(s: TestServer): Promise<[number, string]> {
  return time(async () => {
    const started = await startBreachResponse(
      s.deps,
      { userId: null, username: 'bench' },
      { scope: { all: true }, reason: 'bench', message: 'A copy of the account database may have leaked.', batchSize },
      { ip: null },
      s.deps.clock(),
    );
    if (started.dryRun) throw new Error('unexpected dry run');
    if (!(await s.deps.jobs.runOne(s.deps, started.response.job_id!))) throw new Error('the response job did not run');
    return started.response.id;
  });
}

async function measure(store: 'sqlite' | 'postgres'): Promise<Result> {
  const s = await startTestServer({ store, background: false });
  const rss = rssSampler();
  try {
    const hash = await s.deps.passwords.hash('velvet thunder orchard mosaic');
    process.stderr.write(`${store}: seeding ${users} users with ${users * sessionsPerUser} sessions…\n`);
    await seedUsersInStore(s.deps.db, store, { users, sessionsPerUser, passwordHash: hash, now: new Date() });
    await undo(s, false);
    const result: Result = {
      store,
      bare: [],
      response: [],
      noticesMs: 0,
      notices: 0,
      noticeRates: [0, 0],
      bareInsertMs: 0,
      bareInserted: 0,
      rss: {},
    };
    rss.phase('flagging');
    let responseId = '';
    for (let round = 1; round <= rounds; round++) {
      result.bare.push(await bareUpdate(s));
      const [ms, id] = await response(s);
      result.response.push(ms);
      responseId = id;
      const flagged = await count(s, 'select count(*) as n from users where reset_required = 1');
      const live = await count(s, 'select count(*) as n from sessions where revoked_at is null');
      if (flagged !== users || live !== 0)
        throw new Error(`the response did not finish: ${flagged} flagged, ${live} sessions live`);
      process.stderr.write(
        `${store}: round ${round}: bare UPDATE ${seconds(result.bare.at(-1)!)}, response ${seconds(ms)}\n`,
      );
      if (round < rounds) await undo(s, true);
    }
    // The notices: all of them, or as many as --notice-seconds allows (the job is then cancelled and its rate kept).
    // The job's progress is read once a second, to tell whether the rate falls as it goes; the process's memory
    // four times a second.
    const row = (await findBreachResponse(s.deps.db, responseId))!;
    const noticesStart = performance.now();
    const stop = setTimeout(() => void cancelJob(s.deps, row.notices_job_id!), noticeSeconds * 1000);
    const samples: { ms: number; queued: number }[] = [];
    const sampler = setInterval(() => {
      void findJob(s.deps.db, row.notices_job_id!).then((job) => {
        const queued = job?.progress ? Number(JSON.parse(job.progress).notices_queued ?? 0) : 0;
        samples.push({ ms: performance.now() - noticesStart, queued });
      });
    }, 1000);
    rss.phase('notices');
    await s.deps.jobs.runOne(s.deps, row.notices_job_id!);
    clearTimeout(stop);
    clearInterval(sampler);
    result.noticesMs = performance.now() - noticesStart;
    result.notices = await count(s, "select count(*) as n from mail_messages where template = 'breach_notice'");
    result.noticeRates = windowRates(samples);
    const jobs = await count(s, "select count(*) as n from jobs where type = 'mail.send'");
    if (jobs !== result.notices) throw new Error(`${jobs} mail jobs for ${result.notices} notices`);
    process.stderr.write(
      `${store}: ${result.notices} notices queued in ${seconds(result.noticesMs)} (first/last tenth: ${result.noticeRates.map((r) => r.toFixed(0)).join(' / ')} a second)\n`,
    );
    rss.phase('bare insert');
    [result.bareInsertMs, result.bareInserted] = await bareInsert(s, Math.min(result.notices, 100_000));
    process.stderr.write(
      `${store}: bare batched INSERT of ${result.bareInserted} notices' rows in ${seconds(result.bareInsertMs)}\n`,
    );
    result.rss = rss.report();
    return result;
  } finally {
    rss.stop();
    await s.close();
  }
}

/** The rate in the first and in the last tenth of the samples (each at least two samples apart). */
function windowRates(samples: { ms: number; queued: number }[]): [number, number] {
  const rate = (a: { ms: number; queued: number }, b: { ms: number; queued: number }) =>
    ((b.queued - a.queued) / (b.ms - a.ms)) * 1000;
  const moving = samples.filter((x, i) => i === 0 || x.queued > 0);
  if (moving.length < 3) return [0, 0];
  const tenth = Math.max(1, Math.floor(moving.length / 10));
  return [rate(moving[0]!, moving[tenth]!), rate(moving[moving.length - 1 - tenth]!, moving[moving.length - 1]!)];
}

/**
 * The baseline for the notices: the same rows (a send job, a message of the same size and a security-log line per
 * user, made up front, nothing rendered or sealed) written with multi-row INSERTs, as many per transaction as the
 * notices job writes. Removed afterwards.
 */
async function bareInsert(s: TestServer, n: number): Promise<[number, number]> {
  const sample = await s.deps.db
    .selectFrom('mail_messages')
    .selectAll()
    .where('template', '=', 'breach_notice')
    .limit(1)
    .executeTakeFirst();
  if (!sample || n === 0) return [0, 0];
  const t = Date.now();
  const batch = 500;
  const [ms] = await time(async () => {
    for (let start = 0; start < n; start += batch) {
      const size = Math.min(batch, n - start);
      const ids = Array.from({ length: size }, () => newId(s.deps.random));
      const jobs = ids.map((id) =>
        newJobRow(s.deps, { type: 'bare', payload: { messageId: id }, dedupeKey: `bare:${id}` }, new Date(t)),
      );
      await s.deps.db.transaction().execute(async (trx) => {
        await trx.insertInto('jobs').values(jobs).execute();
        await trx
          .insertInto('mail_messages')
          .values(
            ids.map((id, i) => ({ ...sample, id, template: 'bare', message_id: `<${id}@bare>`, job_id: jobs[i]!.id })),
          )
          .execute();
        await trx
          .insertInto('security_events')
          .values(
            ids.map((id) => ({
              id,
              user_id: sample.user_id,
              type: 'bare',
              ip: null,
              device: null,
              detail: '{"response_id":"bare","reason":"bench","signed_out":true,"tokens_voided":0}',
              created_at: t,
            })),
          )
          .execute();
      });
    }
  });
  await s.deps.db.deleteFrom('mail_messages').where('template', '=', 'bare').execute();
  await s.deps.db.deleteFrom('jobs').where('type', '=', 'bare').execute();
  await s.deps.db.deleteFrom('security_events').where('type', '=', 'bare').execute();
  return [ms, n];
}

/** The process's resident memory, sampled four times a second: the peak per phase. */
function rssSampler() {
  const peaks = new Map<string, number>();
  let phase = 'seed';
  const sample = () => peaks.set(phase, Math.max(peaks.get(phase) ?? 0, process.memoryUsage().rss));
  const timer = setInterval(sample, 250);
  return {
    phase(name: string) {
      sample();
      phase = name;
      sample();
    },
    stop: () => clearInterval(timer),
    report: () => Object.fromEntries([...peaks].map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
  };
}

function section(results: Result[], loadStart: number, loadEnd: number): string {
  const cpu = cpus();
  const lines = [
    `Command: \`npm run bench:breach\`${process.argv.length > 2 ? ` (\`${process.argv.slice(2).join(' ')}\`)` : ''} · ${new Date().toISOString().slice(0, 10)} · ` +
      `Node ${process.version} · ${cpu.length} × ${cpu[0]?.model ?? 'CPU'} · load average ${loadStart.toFixed(1)} → ${loadEnd.toFixed(1)}`,
    '',
    `${users.toLocaleString('en')} users with ${(users * sessionsPerUser).toLocaleString('en')} sessions, written straight into the store. ` +
      `The response runs its first job in this process (\`deps.jobs.runOne\`): batches of ${batchSize} users, one transaction each, then ` +
      'one transaction that revokes every session. The bare UPDATE sets the same columns of the same rows in two statements. ' +
      `${rounds} alternating rounds on the same rows, each undone after it ran; median round, all rounds in brackets.`,
    '',
    '| store | bare UPDATE | response: flag, void, record, revoke | × bare (target ≤ 2) |',
    '| --- | ---: | ---: | ---: |',
  ];
  const perSecond = (n: number, ms: number) => (ms > 0 ? (n / ms) * 1000 : 0);
  for (const r of results) {
    const ratios = r.response.map((ms, i) => ms / r.bare[i]!);
    const spread = (values: number[], f: (v: number) => string) =>
      `${f(Math.min(...values))}–${f(Math.max(...values))}`;
    const ratio = median(ratios);
    lines.push(
      `| ${r.store} | ${seconds(median(r.bare))} (${spread(r.bare, seconds)}) | ${seconds(median(r.response))} (${spread(r.response, seconds)}) | ` +
        `${ratio.toFixed(2)} (${spread(ratios, (v) => v.toFixed(2))}) ${ratio <= 2 ? '✓' : '✗'} |`,
    );
  }
  lines.push(
    '',
    'Then the notices (the second job): rendered, sealed and queued, a send job, a message and a security-log line per user, ' +
      'against a bare batched INSERT of the same rows (made up front, nothing rendered; 500 users per transaction, as the job).',
    '',
    '| store | notices queued | notices a second (first → last tenth) | bare INSERT, users a second | × bare (target ≥ 0.5) | peak RSS: flagging / notices |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of results) {
    const rate = perSecond(r.notices, r.noticesMs);
    const bare = perSecond(r.bareInserted, r.bareInsertMs);
    const ratio = bare > 0 ? rate / bare : 0;
    const all =
      r.notices >= users
        ? `all in ${seconds(r.noticesMs)}`
        : `${r.notices.toLocaleString('en')} in ${seconds(r.noticesMs)}; all: about ${Math.round(users / rate / 60)} min`;
    lines.push(
      `| ${r.store} | ${all} | ${rate.toFixed(0)} (${r.noticeRates[0].toFixed(0)} → ${r.noticeRates[1].toFixed(0)}) | ${bare.toFixed(0)} | ` +
        `${ratio.toFixed(2)} ${ratio >= 0.5 ? '✓' : '✗'} | ${r.rss.flagging ?? '?'} / ${r.rss.notices ?? '?'} MiB |`,
    );
  }
  lines.push(
    '',
    "Every old session, device token and app password is refused from the moment its user's batch commits: the one token check " +
      'refuses a flagged account, before the session rows themselves are revoked. The notices are then rendered, sealed and ' +
      "queued in batches of 500 users (one multi-row INSERT per table, rendered outside the transaction), with the line in each user's " +
      'security log; sending them is paced by `HEARTH_MAIL_RATE_PER_MINUTE` (600 a minute by default, so 100,000 notices take ' +
      'close to three hours to go out) and is not measured here.',
  );
  return lines.join('\n');
}

const loadStart = loadavg()[0]!;
const results: Result[] = [];
for (const store of stores) {
  if (store === 'postgres' && !(await havePostgres())) continue;
  results.push(await measure(store));
}
const text = section(results, loadStart, loadavg()[0]!);
process.stdout.write(text + '\n');
if (write) writeBenchSection('breach', 'Breach response (bench/breach)', text);
