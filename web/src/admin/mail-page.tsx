import { useEffect, useRef, useState } from 'react';
import { errorText } from '../api.ts';
import { mailApi, type MailState, type OutboxEntry } from '../api/mail.ts';
import { Alert } from '../components/form.tsx';
import { formatDateTime } from '../components/format.ts';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { Table } from '../components/table.tsx';
import { useUser } from '../session.tsx';
import { readMail, type ReadableMail } from './mime.ts';

const stateLabels: Record<MailState, string> = {
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  unconfirmed: 'Unconfirmed',
};
const stateBadges: Record<MailState, string> = {
  queued: 'badge',
  sending: 'badge badge-warning',
  sent: 'badge badge-ok',
  failed: 'badge badge-danger',
  unconfirmed: 'badge badge-warning',
};

export function MailPage() {
  const user = useUser();
  const queue = useResource(mailApi.queue);
  const outbox = queue.data?.transport === 'outbox';

  return (
    <>
      {outbox &&
        (user.role === 'owner' ? (
          <OutboxSection />
        ) : (
          <Section id="outbox" title="Outbox">
            <p className="muted">
              No SMTP server is set, so mail is written to the outbox folder on the server. Only the owner can read it
              here.
            </p>
          </Section>
        ))}
      <Section
        id="queue"
        title="Mail queue"
        description="Every message Hearth sends goes through this queue and is retried when the mail server fails."
      >
        {queue.error !== null && <Alert kind="error">{queue.error}</Alert>}
        {queue.loading && queue.data === null ? (
          <Spinner label="Loading the queue…" />
        ) : (
          queue.data !== null && (
            <>
              <dl className="facts" aria-label="Queue">
                <div>
                  <dt>Delivery</dt>
                  <dd>{queue.data.transport === 'smtp' ? 'SMTP server' : 'Outbox folder (no SMTP server set)'}</dd>
                </div>
                {(['queued', 'sending', 'sent', 'failed', 'unconfirmed'] as const).map((state) => (
                  <div key={state}>
                    <dt>{stateLabels[state]}</dt>
                    <dd>{queue.data?.counts[state] ?? 0}</dd>
                  </div>
                ))}
              </dl>
              {queue.data.messages.length === 0 ? (
                <p className="muted">No message yet.</p>
              ) : (
                <Table columns={['Subject', 'To', 'State', 'Queued']}>
                  {queue.data.messages.map((message) => (
                    <tr key={message.id}>
                      <th scope="row" data-label="Subject">
                        {message.subject}
                        {message.error !== null && <span className="user-sub">{message.error}</span>}
                      </th>
                      <td data-label="To">{message.recipient}</td>
                      <td data-label="State">
                        <span className={stateBadges[message.state]}>{stateLabels[message.state]}</span>
                        {message.attempts > 1 && <span className="user-sub">{message.attempts} attempts</span>}
                      </td>
                      <td data-label="Queued">
                        <time dateTime={message.created_at}>{formatDateTime(message.created_at)}</time>
                      </td>
                    </tr>
                  ))}
                </Table>
              )}
            </>
          )
        )}
      </Section>
    </>
  );
}

function OutboxSection() {
  const entries = useResource(mailApi.outbox);
  const [open, setOpen] = useState<{ entry: OutboxEntry; mail: ReadableMail; raw: string } | null>(null);
  const [loading, setLoading] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const view = async (entry: OutboxEntry) => {
    setLoading(entry.id);
    setFailure(null);
    try {
      const raw = await mailApi.outboxMessage(entry.id);
      setOpen({ entry, mail: readMail(raw), raw });
    } catch (error) {
      setFailure(errorText(error));
    } finally {
      setLoading(null);
    }
  };

  const list = entries.data ?? [];

  return (
    <Section
      id="outbox"
      title="Outbox"
      description="No SMTP server is set, so Hearth writes each message to the outbox folder instead of sending it. Read them here, for example to pass a reset link on by hand."
    >
      {entries.error !== null && <Alert kind="error">{entries.error}</Alert>}
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {open !== null && (
        <MessageView entry={open.entry} mail={open.mail} raw={open.raw} onClose={() => setOpen(null)} />
      )}
      {entries.loading && entries.data === null ? (
        <Spinner label="Loading the outbox…" />
      ) : list.length === 0 ? (
        <p className="muted">The outbox is empty.</p>
      ) : (
        <Table columns={['Subject', 'To', 'Written']} actions>
          {list.map((entry) => (
            <tr key={entry.id}>
              <th scope="row" data-label="Subject">
                {entry.subject}
              </th>
              <td data-label="To">{entry.to}</td>
              <td data-label="Written">
                <time dateTime={entry.date}>{formatDateTime(entry.date)}</time>
              </td>
              <td data-label="Actions" className="actions-cell">
                <button
                  type="button"
                  className="button-secondary button-small"
                  disabled={loading !== null}
                  aria-busy={loading === entry.id}
                  onClick={() => void view(entry)}
                >
                  Read
                  <span className="visually-hidden">
                    {' '}
                    “{entry.subject}” to {entry.to}
                  </span>
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  );
}

function MessageView({
  entry,
  mail,
  raw,
  onClose,
}: {
  entry: OutboxEntry;
  mail: ReadableMail;
  raw: string;
  onClose: () => void;
}) {
  const [source, setSource] = useState(false);
  const panel = useRef<HTMLElement>(null);

  useEffect(() => {
    panel.current?.focus();
  }, [entry.id]);

  return (
    <article className="mail-view" ref={panel} tabIndex={-1} aria-labelledby="mail-view-subject">
      <h3 id="mail-view-subject">{mail.headers.subject ?? entry.subject}</h3>
      <dl className="facts">
        <div>
          <dt>From</dt>
          <dd>{mail.headers.from ?? '—'}</dd>
        </div>
        <div>
          <dt>To</dt>
          <dd>{mail.headers.to ?? entry.to}</dd>
        </div>
        <div>
          <dt>Date</dt>
          <dd>{mail.headers.date ?? formatDateTime(entry.date)}</dd>
        </div>
      </dl>
      {/* Text only: a message's HTML is never rendered in the admin's session. */}
      <pre className="mail-text" aria-label="Message text">
        {source ? raw : (mail.text ?? 'This message has no plain-text part. Show the source to read it.')}
      </pre>
      <div className="button-row">
        <button
          type="button"
          className="button-secondary"
          aria-pressed={source}
          onClick={() => setSource((value) => !value)}
        >
          {source ? 'Show the text' : 'Show the source'}
        </button>
        <button type="button" className="button-secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </article>
  );
}
