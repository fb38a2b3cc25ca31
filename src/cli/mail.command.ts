// `hearth mail`: what the operator needs of outgoing mail. Without SMTP, messages land in the outbox
// folder and are read here; with it, the queue tells what went out and what waits for a retry.
import { parseArgs } from 'node:util';
import type { Deps } from '../deps.ts';
import { findJob } from '../store/jobs.repository.ts';
import { findMailMessage } from '../store/mail.repository.ts';
import { checkEmail } from '../accounts/identity.ts';
import { mailQueueView, outboxEntries, outboxMessage } from '../mail/outbox.ts';
import { queueMail } from '../mail/queue.ts';
import { mailTime } from '../mail/templates.ts';
import type { MailState } from '../store/schema.ts';
import { CliError } from './io.ts';
import type { CliCommand } from './command.ts';

export const mailHelp = `Usage:
  hearth mail outbox              lists the messages written to <data>/outbox (no SMTP configured)
  hearth mail show <id>           prints one outbox message (RFC 822 text)
  hearth mail queue [--state S]   the queue: counts and recent messages (S: queued, sending, sent, failed, unconfirmed)
  hearth mail test <address>      sends a test message now, through the configured transport`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return (
    [header, ...rows]
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export async function mailCommand(deps: Deps, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'outbox') {
    const entries = outboxEntries(deps);
    if (entries.length === 0) {
      process.stdout.write(
        deps.config.smtpUrl ? 'The outbox is empty (mail goes out by SMTP).\n' : 'The outbox is empty.\n',
      );
      return 0;
    }
    process.stdout.write(
      table(
        ['DATE', 'TO', 'SUBJECT', 'ID'],
        entries.map((e) => [e.date.slice(0, 19).replace('T', ' '), e.to, e.subject, e.id]),
      ),
    );
    return 0;
  }
  if (sub === 'show') {
    const id = rest[0];
    if (!id) throw new CliError('name the message: hearth mail show <id>');
    process.stdout.write(outboxMessage(deps, id));
    return 0;
  }
  if (sub === 'queue') {
    const { values } = parseArgs({
      args: rest,
      options: { state: { type: 'string' }, limit: { type: 'string', default: '20' } },
      strict: true,
    });
    const state = values.state as MailState | undefined;
    if (state && !['queued', 'sending', 'sent', 'failed', 'unconfirmed'].includes(state)) {
      throw new CliError('--state is queued, sending, sent, failed or unconfirmed');
    }
    const view = await mailQueueView(deps, {
      limit: Math.max(1, Number(values.limit) || 20),
      ...(state ? { state } : {}),
    });
    const counts =
      Object.entries(view.counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'no messages';
    process.stdout.write(`Transport: ${view.transport}. ${counts}.\n`);
    if (view.messages.length > 0) {
      process.stdout.write(
        table(
          ['CREATED', 'STATE', 'TRIES', 'TO', 'TEMPLATE', 'ERROR'],
          view.messages.map((m) => [
            m.created_at.slice(0, 19).replace('T', ' '),
            m.state,
            String(m.attempts),
            m.recipient,
            m.template,
            m.error ?? '',
          ]),
        ),
      );
    }
    return 0;
  }
  if (sub === 'test') {
    const to = rest[0];
    if (!to) throw new CliError('name the address: hearth mail test <address>');
    const now = deps.clock();
    const { id } = await queueMail(
      deps,
      deps.db,
      { to: checkEmail(to), template: 'test', data: { at: mailTime(now) } },
      now,
    );
    const message = await findMailMessage(deps.db, id);
    await deps.jobs.runOne(deps, message!.job_id!);
    const sent = await findMailMessage(deps.db, id);
    if (sent?.state === 'sent') {
      process.stdout.write(
        sent.transport === 'outbox'
          ? `Written to the outbox: ${sent.outbox_file}\n`
          : `Sent to ${sent.recipient} by SMTP (${sent.message_id}).\n`,
      );
      return 0;
    }
    const job = await findJob(deps.db, message!.job_id!);
    process.stderr.write(`hearth: the test message was not sent: ${sent?.error ?? job?.error ?? 'unknown error'}\n`);
    process.stderr.write('It stays in the queue; a running server retries it.\n');
    return 1;
  }
  throw new CliError(mailHelp);
}

export const mailCommands: CliCommand[] = [
  {
    name: 'mail',
    summary: 'list the outbox, show the queue, send a test message',
    help: mailHelp,
    needsStore: true,
    run: (args, deps) => mailCommand(deps!, args),
  },
];
