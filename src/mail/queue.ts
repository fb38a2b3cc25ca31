// The one mail path: every message is rendered from a template, stored, and sent by its own job. The
// message row says whether it went out, so neither an SMTP outage nor a restart loses a mail or sends
// one twice: a job that finds its message already sent ends without sending, and every attempt carries
// the same Message-ID.
import { decrypt, deriveKey, encrypt, newId } from '../crypto.ts';
import type { Deps, JobType } from '../deps.ts';
import { enqueueJob, PermanentJobError, type JobContext } from '../jobs/runner.ts';
import type { Db } from '../store/db.ts';
import {
  findMailMessage,
  insertMailMessage,
  markMailSent,
  markMailUnconfirmed,
  recordMailError,
  recordMailHandOver,
  startMailAttempt,
} from '../store/mail.repository.ts';
import { findUserById } from '../store/users.repository.ts';
import { mailerFor } from './mailer.ts';
import { renderMail, type TemplateData, type TemplateName } from './templates.ts';
import { isRefusalOfThisMessage } from './transports.ts';

export const MAIL_JOB = 'mail.send';
const MAX_ATTEMPTS = 16;
export const UNCONFIRMED_NOTE =
  'the worker stopped while handing this mail to the SMTP server, which may have it: not sent again, to never send it twice';

export interface QueueMailInput<T extends TemplateName> {
  /** The account the mail is about: its anti-phishing phrase heads the message. */
  userId?: string | null;
  to: string;
  template: T;
  data: TemplateData[T];
}

function bodyKey(deps: Pick<Deps, 'config'>): Buffer {
  return deriveKey(deps.config.secretKey, 'mail-body');
}

/**
 * Renders, stores and queues one message. Pass a transaction as `db` to queue it with the change it
 * reports (it then goes out only if that change commits).
 */
export async function queueMail<T extends TemplateName>(
  deps: Pick<Deps, 'config' | 'random' | 'jobs'>,
  db: Db,
  input: QueueMailInput<T>,
  now: Date,
): Promise<{ id: string }> {
  const store = async (trx: Db) => {
    const user = input.userId ? await findUserById(trx, input.userId) : undefined;
    const rendered = renderMail(input.template, input.data, {
      publicUrl: deps.config.publicUrl,
      phrase: user?.anti_phishing_phrase ?? null,
    });
    const id = newId(deps.random);
    const key = bodyKey(deps);
    // The job first, then its message: one transaction, so no worker sees the job without the message.
    const job = await enqueueJob(
      deps,
      trx,
      { type: MAIL_JOB, payload: { messageId: id }, dedupeKey: `mail:${id}` },
      now,
    );
    await insertMailMessage(trx, {
      id,
      user_id: input.userId ?? null,
      recipient: input.to,
      template: input.template,
      subject: rendered.subject,
      text: encrypt(key, rendered.text, `mail:${id}:text`, deps.random),
      html: encrypt(key, rendered.html, `mail:${id}:html`, deps.random),
      state: 'queued',
      attempts: 0,
      message_id: `<${id}@${deps.config.publicUrl.hostname}>`,
      job_id: job.id,
      transport: null,
      outbox_file: null,
      sent_at: null,
      error: null,
      created_at: now.getTime(),
      updated_at: now.getTime(),
    });
    return { id };
  };
  return db.isTransaction ? store(db) : db.transaction().execute(store);
}

/** 15 s, 30 s, 1 min … then hourly: sixteen attempts cover an SMTP outage of about ten hours. */
export function mailBackoffMs(attempt: number): number {
  return Math.min(3600_000, 15_000 * 2 ** Math.max(0, attempt - 1));
}

async function sendMessage(deps: Deps, ctx: JobContext<{ messageId: string }>): Promise<Record<string, unknown>> {
  const mailer = mailerFor(deps);
  const id = ctx.payload?.messageId;
  if (typeof id !== 'string') throw new PermanentJobError('the job names no message');
  const row = await findMailMessage(deps.db, id);
  if (!row) throw new PermanentJobError(`message ${id} is gone`);
  if (row.state === 'sent') return { message: id, skipped: 'already sent' };
  const was = await startMailAttempt(deps.db, id, deps.clock());
  if (was === null) return { message: id, skipped: row.state };
  // An earlier worker died while handing this message over: the SMTP server may have accepted it, and a second
  // hand-over could deliver it twice. The outbox is safe to write again (the same file, whole or not at all).
  if (was === 'sending' && mailer.kind === 'smtp') {
    await markMailUnconfirmed(deps.db, id, UNCONFIRMED_NOTE, deps.clock());
    deps.log.warn(
      { message: id, messageId: row.message_id },
      'a mail was being handed to the SMTP server when its worker stopped; not sent again',
    );
    return { message: id, skipped: 'unconfirmed' };
  }
  const key = bodyKey(deps);
  const text = decrypt(key, row.text, `mail:${id}:text`);
  const html = decrypt(key, row.html, `mail:${id}:html`);
  if (text === null || html === null) {
    const error = 'the message does not open with this secret key';
    await recordMailError(deps.db, id, error, 'failed', deps.clock());
    throw new PermanentJobError(error);
  }
  // Another worker may have taken this job if our lease lapsed under load: never send twice.
  if (!(await ctx.holdsLease())) return { message: id, skipped: 'lease lost' };
  // The hand-over is recorded before it happens; every attempt carries the same Message-ID.
  if (!(await recordMailHandOver(deps.db, id, was, deps.clock()))) return { message: id, skipped: 'changed meanwhile' };
  let delivery;
  try {
    delivery = await mailer.send({
      id,
      from: deps.config.mailFrom,
      to: row.recipient,
      subject: row.subject,
      text,
      html,
      messageId: row.message_id,
      date: new Date(row.created_at),
    });
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    const final = isRefusalOfThisMessage(err) || ctx.job.attempts >= ctx.job.max_attempts;
    await recordMailError(deps.db, id, message, final ? 'failed' : 'queued', deps.clock());
    throw final ? new PermanentJobError(message) : err;
  }
  // Written at once, before the job itself is closed: a job resumed after this line finds the
  // message sent and ends without sending it again.
  await markMailSent(deps.db, id, delivery, deps.clock());
  return { message: id, transport: delivery.transport, response: delivery.response.slice(0, 200) };
}

export function mailJobType(deps: Pick<Deps, 'config'>): JobType<{ messageId: string }> {
  return {
    type: MAIL_JOB,
    run: (d, ctx) => sendMessage(d, ctx),
    concurrency: 4,
    maxAttempts: MAX_ATTEMPTS,
    backoffMs: mailBackoffMs,
    ratePerMinute: deps.config.mailRatePerMinute,
  };
}
