// `hearth breach-response`: the operator's one command when the database may have leaked. `start` records
// the response and runs its jobs here with a progress bar, unless a running server has taken them (then it
// shows their progress); started again over the same users with the same request, it resumes the response
// instead of starting another (a different request is refused). `status` shows where a response is.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  breachResponseView,
  DEFAULT_BATCH_SIZE,
  getBreachResponse,
  latestBreachResponse,
  listBreachResponseViews,
  startBreachResponse,
  type BreachPlan,
  type BreachResponseView,
} from '../breach/breach-response.ts';
import { MAX_SCOPE_USERS, type ScopeInput } from '../breach/scope.ts';
import { OPERATOR } from '../accounts/caller.ts';
import type { Deps } from '../deps.ts';
import { expireLeaseOf, findBreachResponse } from '../store/breach.repository.ts';
import { findJob, type JobRow } from '../store/jobs.repository.ts';
import { CliError, progressBar, readStdin } from './io.ts';
import type { CliCommand } from './command.ts';

export const breachHelp = `Usage:
  hearth breach-response start (--all | --users A,B,... | --users-file FILE
                                | --active-since DATE [--active-until DATE])
                               --reason "..." [--message-file FILE] [--dry-run] [--rotate-password-key]
      Makes every user in scope choose a new password: flags the accounts, signs out every session,
      device and app password, voids reset, invite, link and sign-in-alert tokens, and queues a notice
      mail per user. --users takes usernames, email addresses or ids (at most ${MAX_SCOPE_USERS.toLocaleString('en')}); --users-file
      takes them one a line, for lists too long for one argument (blank lines and lines starting with #
      are skipped; "-" reads standard input). --active-since picks the users with a session in use
      during that window. --message-file holds your notice text (what happened, what was and was not
      exposed; "-" reads standard input). --dry-run shows exactly what would be done and changes nothing.
      --rotate-password-key (with --all only) also makes every stored password hash unusable at once.
      Started again over the same users while it runs, with the same reason and notice, it resumes the
      same response; with another reason or notice, or a key rotation the running response does not
      make, it is refused until that response has ended.
      --batch-size N sets how many users are done per transaction (default ${DEFAULT_BATCH_SIZE}).
  hearth breach-response status [ID] [--json]
      Where a response is (the latest without ID), with a progress bar while it runs.
  hearth breach-response list`;

const DEFAULT_MESSAGE =
  'The administrators of this Hearth server have reason to believe that its account data may have been exposed. ' +
  'As a precaution, every password on the server must be replaced, and every device was signed out.';

const cliContext = { ip: null, device: 'hearth CLI' };
const POLL_MS = 200;

interface ScopeOptions {
  all?: boolean;
  users?: string;
  'users-file'?: string;
  'active-since'?: string;
  'active-until'?: string;
}

/** The scope the options ask for; a users file is only named here, and read by readScope. */
function scopeFrom(values: ScopeOptions): ScopeInput | { usersFile: string } {
  const chosen = [
    values.all,
    values.users !== undefined,
    values['users-file'] !== undefined,
    values['active-since'] !== undefined,
  ];
  if (chosen.filter(Boolean).length !== 1) {
    throw new CliError(
      'choose the users with exactly one of --all, --users, --users-file or --active-since\n\n' + breachHelp,
    );
  }
  if (values.all) return { all: true };
  if (values.users !== undefined)
    return {
      users: values.users
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    };
  if (values['users-file'] !== undefined) return { usersFile: values['users-file'] };
  if (values['active-until'] !== undefined && values['active-since'] === undefined)
    throw new CliError('--active-until goes with --active-since');
  return { active_since: values['active-since']!, active_until: values['active-until'] ?? null };
}

/**
 * The users a file names, one a line. An empty or too long list is left to the scope's own checks, so that
 * it is refused with the same words as the same list given to --users.
 */
function parseUsersFile(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
}

async function readScope(chosen: ScopeInput | { usersFile: string }): Promise<ScopeInput> {
  if (!('usersFile' in chosen)) return chosen;
  const file = chosen.usersFile;
  if (file === '-') return { users: parseUsersFile(await readStdin()) };
  try {
    return { users: parseUsersFile(readFileSync(file, 'utf8')) };
  } catch (err) {
    throw new CliError(`cannot read the users file ${file}: ${(err as Error).message}`);
  }
}

async function readMessage(file: string | undefined): Promise<string | null> {
  if (file === undefined) return null;
  if (file === '-') return readStdin();
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the message file ${file}: ${(err as Error).message}`);
  }
}

function printPlan(plan: BreachPlan): void {
  const out = (line: string) => process.stdout.write(line + '\n');
  const sample = plan.users_sample.length
    ? ` (${plan.users_sample.slice(0, 10).join(', ')}${plan.users > 10 ? ', …' : ''})`
    : '';
  out(`Dry run: nothing was changed. A breach response for ${plan.scope_description} would:`);
  out(
    `  flag ${plan.users} users for a new password${plan.users_already_flagged ? ` (${plan.users_already_flagged} flagged already)` : ''}${sample}`,
  );
  out(`  sign out ${plan.sessions} sessions and devices`);
  out(`  revoke ${plan.app_passwords} app passwords`);
  out(
    `  void ${plan.reset_and_alert_links} reset and sign-in-alert links, ${plan.pending_sign_ins} sign-ins waiting for a second factor, ${plan.link_codes} device links`,
  );
  out(`  void ${plan.invites} open invites`);
  out(`  queue ${plan.mails} notice mails`);
  if (plan.password_key_version)
    out(`  rotate the password key from version ${plan.password_key_version.from} to ${plan.password_key_version.to}`);
}

export function printReport(view: BreachResponseView): void {
  const r = view.report;
  const out = (line: string) => process.stdout.write(line + '\n');
  out(`Breach response ${view.id}: ${view.state}`);
  out(`  Scope:                  ${view.scope_description}`);
  out(`  Reason:                 ${view.reason}`);
  out(`  Started:                ${view.created_at} by ${view.created_by.name}`);
  if (view.password_key_version !== null)
    out(`  Password key:           rotated to version ${view.password_key_version}`);
  out(`  Users flagged:          ${r.users_flagged} of ${r.users_in_scope}`);
  out(`  Sessions revoked:       ${r.sessions_revoked}`);
  out(`  App passwords revoked:  ${r.app_passwords_revoked}`);
  out(`  Tokens voided:          ${r.tokens_voided} (and ${r.invites_voided} invites)`);
  out(
    `  Notices:                ${r.mails_queued} queued, ${r.mails_sent} sent, ${r.mails_failed} failed, ${r.mails_pending} waiting`,
  );
  out(`  Reset since:            ${r.users_reset_since} users`);
  out(
    `  Second factor:          ${r.users_with_second_factor} users (authenticator app ${r.users_with_two_factor}, passkey ${r.users_with_passkey})`,
  );
  if (view.error) out(`  Error:                  ${view.error}`);
}

/** The holder of a job's lease, when it is a process of this host that has died: its lease can go now. */
function deadLocalOwner(job: JobRow): boolean {
  if (!job.lease_owner) return false;
  const [host, pid] = job.lease_owner.split(':');
  if (host !== hostname() || !pid || !/^[0-9]+$/.test(pid) || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const ended = (job: JobRow) => job.state === 'done' || job.state === 'failed' || job.state === 'cancelled';

/**
 * Follows one job with a progress bar until it ends. With `run`, takes the job into this process whenever
 * it is free to take (queued, or its worker gone), so it finishes with or without a server.
 */
async function follow(
  deps: Deps,
  jobId: string,
  label: string,
  run: boolean,
  measure: (p: Record<string, any>) => [number, number],
) {
  const bar = progressBar(label);
  let local: Promise<boolean> | null = null;
  let job = await findJob(deps.db, jobId);
  while (job && !ended(job)) {
    if (job.progress) bar.update(...measure(JSON.parse(job.progress)));
    const now = deps.clock();
    if (run && !local) {
      let free = job.state === 'queued' ? job.run_at <= now.getTime() : (job.lease_expires_at ?? 0) < now.getTime();
      if (!free && job.state === 'running' && job.lease_owner && deadLocalOwner(job)) {
        free = await expireLeaseOf(deps.db, jobId, job.lease_owner, now);
      }
      if (free) {
        local = deps.jobs.runOne(deps, jobId).finally(() => {
          local = null;
        });
      }
    }
    await sleep(POLL_MS);
    job = await findJob(deps.db, jobId);
  }
  if (local) await local;
  job = await findJob(deps.db, jobId);
  if (job?.progress) bar.update(...measure(JSON.parse(job.progress)));
  bar.done();
  return job;
}

async function followResponse(deps: Deps, id: string, run: boolean): Promise<number> {
  let row = await getBreachResponse(deps, id);
  if (row.job_id) {
    const job = await follow(deps, row.job_id, 'Flagging users ', run, (p) => [
      p.users_flagged ?? 0,
      p.users_total ?? 0,
    ]);
    if (job && job.state !== 'done') {
      printReport(await breachResponseView(deps, row));
      return 1;
    }
  }
  row = (await findBreachResponse(deps.db, id))!;
  if (row.notices_job_id) {
    const job = await follow(deps, row.notices_job_id, 'Queueing notices', run, (p) => [
      p.notices_queued ?? 0,
      p.users_flagged ?? 0,
    ]);
    if (job && job.state !== 'done') {
      printReport(await breachResponseView(deps, row));
      return 1;
    }
  }
  const view = await breachResponseView(deps, (await findBreachResponse(deps.db, id))!);
  printReport(view);
  if (view.report.mails_pending > 0) {
    process.stdout.write(
      `The ${view.report.mails_pending} waiting notices are sent by the running server (hearth serve), at most ${deps.config.mailRatePerMinute} a minute.\n`,
    );
  }
  return 0;
}

/** True when nobody is working on the response right now (no server, or its worker died). */
async function stalled(deps: Deps, view: BreachResponseView, id: string): Promise<boolean> {
  const row = (await findBreachResponse(deps.db, id))!;
  const jobId = view.state === 'notifying' ? row.notices_job_id : row.job_id;
  if (!jobId) return false;
  const job = await findJob(deps.db, jobId);
  if (!job || ended(job)) return false;
  if (job.state === 'queued') return false;
  return (job.lease_expires_at ?? 0) < deps.clock().getTime() || deadLocalOwner(job);
}

export async function breachCommand(deps: Deps, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'start') {
    const { values } = parseArgs({
      args: rest,
      options: {
        all: { type: 'boolean' },
        users: { type: 'string' },
        'users-file': { type: 'string' },
        'active-since': { type: 'string' },
        'active-until': { type: 'string' },
        reason: { type: 'string' },
        'message-file': { type: 'string' },
        'dry-run': { type: 'boolean' },
        'rotate-password-key': { type: 'boolean' },
        'batch-size': { type: 'string' },
      },
      strict: true,
    });
    const chosen = scopeFrom(values);
    if (!values.reason?.trim())
      throw new CliError('--reason is required: why the response is made (kept with it, not mailed)');
    if (values['users-file'] === '-' && values['message-file'] === '-') {
      throw new CliError(
        '--users-file and --message-file cannot both read standard input ("-"): give one of them a file',
      );
    }
    const scope = await readScope(chosen);
    const fromFile = await readMessage(values['message-file']);
    if (fromFile === null && !values['dry-run']) {
      process.stderr.write(
        'No --message-file: the notice starts with a general text. Write your own to say what happened.\n',
      );
    }
    const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
    const result = await startBreachResponse(
      deps,
      OPERATOR,
      {
        scope,
        reason: values.reason,
        message: fromFile ?? DEFAULT_MESSAGE,
        dryRun: values['dry-run'] === true,
        rotatePasswordKey: values['rotate-password-key'] === true,
        batchSize,
      },
      cliContext,
      deps.clock(),
    );
    if (result.dryRun) {
      printPlan(result.plan);
      return 0;
    }
    const row = result.response;
    process.stdout.write(
      result.created
        ? `Breach response ${row.id} started for ${row.users_total} users.\n`
        : `Breach response ${row.id} (started ${new Date(row.created_at).toISOString()}) is still running over the same users: resuming it.\n`,
    );
    if (result.created && row.password_key_version !== null) {
      process.stdout.write(
        `The password key is now version ${row.password_key_version}: no stored password works any more.\n`,
      );
    } else if (row.password_key_version !== null) {
      process.stdout.write(`It rotated the password key to version ${row.password_key_version} when it started.\n`);
    }
    return followResponse(deps, row.id, true);
  }
  if (sub === 'status') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const row = positionals[0] ? await getBreachResponse(deps, positionals[0]) : await latestBreachResponse(deps);
    if (!row) {
      process.stdout.write(values.json ? 'null\n' : 'No breach response has been made on this server.\n');
      return 0;
    }
    const view = await breachResponseView(deps, row);
    if (values.json) {
      process.stdout.write(JSON.stringify(view, null, 2) + '\n');
      return 0;
    }
    if (view.state === 'flagging' || view.state === 'notifying') {
      if (await stalled(deps, view, row.id)) {
        printReport(view);
        process.stdout.write(
          'Nobody is working on it right now: start the server (it resumes the response), or run the same `hearth breach-response start` again.\n',
        );
        return 0;
      }
      return followResponse(deps, row.id, false);
    }
    printReport(view);
    return 0;
  }
  if (sub === 'list') {
    const views = await listBreachResponseViews(deps, 50);
    if (views.length === 0) {
      process.stdout.write('No breach response has been made on this server.\n');
      return 0;
    }
    for (const v of views) {
      process.stdout.write(
        `${v.id}  ${v.created_at.slice(0, 16).replace('T', ' ')}  ${v.state.padEnd(9)}  ${String(v.report.users_flagged).padStart(7)} users  ${v.scope_description}  (${v.reason})\n`,
      );
    }
    return 0;
  }
  throw new CliError(breachHelp);
}

export const breachCommands: CliCommand[] = [
  {
    name: 'breach-response',
    summary: 'mandatory password reset for every user (or some), with a progress bar',
    help: breachHelp,
    needsStore: true,
    run: (args, deps) => breachCommand(deps!, args),
  },
];
