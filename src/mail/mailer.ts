// The one mailer of a running process: the configured transport, plus what a clean stop needs. A stop
// lets the sends already under way finish (an SMTP server may have accepted a message whose answer we
// have not read yet, so a cut-off send is no proof it was not delivered): sends are never cancelled.
import type { Deps } from '../deps.ts';
import { createTransport, type Delivery, type MailTransport, type OutgoingMail } from './transports.ts';

export class Mailer {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;

  constructor(readonly transport: MailTransport) {}

  get kind(): 'smtp' | 'outbox' {
    return this.transport.kind;
  }

  async send(mail: OutgoingMail): Promise<Delivery> {
    if (this.closing) throw new Error('the mailer is stopping');
    const sending = this.transport.send(mail);
    this.inFlight.add(sending);
    try {
      return await sending;
    } finally {
      this.inFlight.delete(sending);
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled([...this.inFlight]);
    await this.transport.close();
  }
}

const mailers = new WeakMap<Deps, Mailer>();

/** The mailer for this process, made on first use and closed with it. */
export function mailerFor(deps: Deps): Mailer {
  let mailer = mailers.get(deps);
  if (!mailer) {
    mailer = new Mailer(createTransport(deps.config));
    if (mailer.transport.insecure) {
      deps.log.warn('HEARTH_SMTP_URL has insecure=true: the SMTP password and every mail may cross the network in clear text');
    }
    mailers.set(deps, mailer);
    const made = mailer;
    deps.onClose.push(async () => {
      // The job runner stops first (waiting for the sends under way), so no send finds the mailer closed.
      await deps.jobs.stop();
      await made.close();
    });
  }
  return mailer;
}
