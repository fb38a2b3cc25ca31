// The operator's view of outgoing mail: the queue, and the outbox folder used when no SMTP server is set.
// Wire types come from the server's own declarations (type-only imports), so client and server cannot drift.
import type { MailQueueView } from '../../../src/mail/outbox.ts';
import type { OutboxEntry } from '../../../src/mail/transports.ts';
import type { MailState } from '../../../src/wire/names.ts';
import { ApiError, request } from '../api.ts';

export type { MailState, OutboxEntry };

export type MailQueue = MailQueueView;

export const mailApi = {
  queue: () => request<MailQueue>('GET', '/admin/mail/queue?limit=100'),

  /** The owner only. */
  outbox: () => request<OutboxEntry[]>('GET', '/admin/mail/outbox'),

  /** One message as its RFC 822 source; the answer is text, not JSON. */
  outboxMessage: async (id: string): Promise<string> => {
    const response = await fetch(`/api/v1/admin/mail/outbox/${encodeURIComponent(id)}`, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'message/rfc822, application/json' },
    });
    if (response.ok) return response.text();
    const data = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
    throw new ApiError(
      response.status,
      data?.error?.code ?? `http_${response.status}`,
      data?.error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
      null,
    );
  },
};
