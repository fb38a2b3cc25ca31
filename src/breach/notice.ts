// The breach notice: the operator's own words first (what happened, what was and was not exposed), then
// the steps. It holds no token: the way back starts from the reset page, which the user is told to reach
// by typing the server's address, like every Hearth mail says (S60, S61).
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { BreachResponseRow, NoticeRecipient } from '../store/breach.repository.ts';
import { deriveKey, encrypt, newId } from '../crypto.ts';
import { newJobRow } from '../jobs/runner.ts';
import { MAIL_JOB } from '../mail/queue.ts';
import type { JobsTable, MailMessagesTable } from '../store/schema.ts';
import { renderMail } from '../mail/templates.ts';

/** Refuses, before anything changes, a notice that could not be sent (a link to another site, say). */
export function checkNoticeMessage(deps: Pick<Deps, 'config'>, message: string): void {
  try {
    renderMail('breach_notice', { username: 'user', message }, { publicUrl: deps.config.publicUrl, phrase: null });
  } catch (err) {
    throw new AppError(
      'invalid_body',
      `The notice cannot be sent as written: ${(err as Error).message}. Mails from this server may only link to ${deps.config.publicUrl.origin}.`,
      { field: 'message' },
    );
  }
}

/** A batch of notices as rows: each message with its send job, written by the caller in one transaction. */
export interface NoticeRows {
  jobs: JobsTable[];
  messages: MailMessagesTable[];
  mailIds: string[];
}

/**
 * Renders and seals a batch of notices, outside any transaction: the rows queueMail would write for each, so the
 * caller writes the batch with one multi-row INSERT per table instead of four statements per user. Sealed as the
 * mail module seals every body (its `mail-body` key, the message id in the associated data), with the same
 * Message-ID form, so the mail job sends them as any other queued mail.
 */
export function breachNoticeRows(
  deps: Pick<Deps, 'config' | 'random' | 'jobs'>,
  response: BreachResponseRow,
  recipients: NoticeRecipient[],
  now: Date,
): NoticeRows {
  const key = deriveKey(deps.config.secretKey, 'mail-body');
  const t = now.getTime();
  const rows: NoticeRows = { jobs: [], messages: [], mailIds: [] };
  for (const recipient of recipients) {
    const rendered = renderMail(
      'breach_notice',
      { username: recipient.username, message: response.message },
      { publicUrl: deps.config.publicUrl, phrase: recipient.anti_phishing_phrase },
    );
    const id = newId(deps.random);
    const job = newJobRow(deps, { type: MAIL_JOB, payload: { messageId: id }, dedupeKey: `mail:${id}` }, now);
    rows.jobs.push(job);
    rows.mailIds.push(id);
    rows.messages.push({
      id,
      user_id: recipient.user_id,
      recipient: recipient.email,
      template: 'breach_notice',
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
      created_at: t,
      updated_at: t,
    });
  }
  return rows;
}
