// What the operator sees of outgoing mail: the outbox folder (when no SMTP server is configured) and
// the queue's state. Outbox files hold live links, so only the owner may read them (S33: an admin
// must not be able to take over an account with someone else's reset link).
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import { countMailByState, listMailMessages } from '../store/mail.repository.ts';
import type { MailState } from '../store/schema.ts';
import { listOutbox, readOutboxMessage, type OutboxEntry } from './transports.ts';

export function outboxEntries(deps: Pick<Deps, 'config'>): OutboxEntry[] {
  return listOutbox(deps.config.dataDir);
}

export function outboxMessage(deps: Pick<Deps, 'config'>, id: string): string {
  const text = readOutboxMessage(deps.config.dataDir, id);
  if (text === null) throw new AppError('not_found');
  return text;
}

export interface MailQueueView {
  /** outbox: messages are written to a folder instead of being sent. */
  transport: 'smtp' | 'outbox';
  counts: Partial<Record<MailState, number>>;
  messages: {
    id: string;
    recipient: string;
    template: string;
    subject: string;
    state: MailState;
    attempts: number;
    error: string | null;
    created_at: string;
    sent_at: string | null;
  }[];
}

export async function mailQueueView(
  deps: Pick<Deps, 'db' | 'config'>,
  query: { state?: MailState; limit: number },
): Promise<MailQueueView> {
  const rows = await listMailMessages(deps.db, query);
  return {
    transport: deps.config.smtpUrl ? 'smtp' : 'outbox',
    counts: await countMailByState(deps.db),
    messages: rows.map((r) => ({
      id: r.id,
      recipient: r.recipient,
      template: r.template,
      subject: r.subject,
      state: r.state,
      attempts: r.attempts,
      error: r.error,
      created_at: new Date(r.created_at).toISOString(),
      sent_at: r.sent_at === null ? null : new Date(r.sent_at).toISOString(),
    })),
  };
}
