// The one mailer of a running process: the configured transport, plus what a clean stop needs. A stop
// lets the sends already under way finish (an SMTP server may have accepted a message whose answer we
// have not read yet, so a cut-off send is no proof it was not delivered): sends are never cancelled.
import type { Deps } from '../deps.ts';
import {
  createTransport,
  isRefusalOfThisMessage,
  type Delivery,
  type MailTransport,
  type OutgoingMail,
} from './transports.ts';

/** Where the mailer reports a problem with the mail configuration (the process's pino logger). */
export interface MailerLog {
  error(obj: object, msg: string): void;
  info(msg: string): void;
}

export class Mailer {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  /** The configuration problem last logged (a wrong password, no TLS, the server down), until a mail goes out. */
  private problem: string | null = null;

  constructor(
    readonly transport: MailTransport,
    private readonly log: MailerLog | null = null,
  ) {}

  get kind(): 'smtp' | 'outbox' {
    return this.transport.kind;
  }

  async send(mail: OutgoingMail): Promise<Delivery> {
    if (this.closing) throw new Error('the mailer is stopping');
    const sending = this.transport.send(mail);
    this.inFlight.add(sending);
    try {
      const delivery = await sending;
      if (this.problem !== null) {
        this.problem = null;
        this.log?.info('mail is going out again');
      }
      return delivery;
    } catch (err) {
      this.reportTransportProblem(err);
      throw err;
    } finally {
      this.inFlight.delete(sending);
    }
  }

  /**
   * A problem with the configuration fails every queued mail alike, attempt after attempt: it is logged once, with
   * what to do, and again only when it changes. The mails wait in the queue and are retried.
   */
  private reportTransportProblem(err: unknown): void {
    if (isRefusalOfThisMessage(err)) return;
    const e = err as { code?: string; responseCode?: number; message?: string };
    const problem = `${e?.code ?? ''}:${e?.responseCode ?? ''}`;
    if (problem === this.problem) return;
    this.problem = problem;
    if (this.transport.kind === 'outbox') {
      this.log?.error(
        { code: e?.code, reason: e?.message ?? String(err) },
        `mail cannot be written to the outbox: ${e?.message ?? String(err)}; queued mail is kept and retried, and goes out once this is fixed`,
      );
      return;
    }
    const hint =
      e?.code === 'EAUTH'
        ? 'the SMTP server refused the user name or password in HEARTH_SMTP_URL'
        : e?.code === 'ETLS'
          ? 'TLS with the SMTP server failed'
          : 'the SMTP server cannot be used';
    this.log?.error(
      { code: e?.code, responseCode: e?.responseCode, reason: e?.message ?? String(err) },
      `mail cannot be sent: ${hint}; queued mail is kept and retried, and goes out once this is fixed`,
    );
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
    mailer = new Mailer(createTransport(deps.config), deps.log);
    if (mailer.transport.insecure) {
      deps.log.warn(
        'HEARTH_SMTP_URL has insecure=true: the SMTP password and every mail may cross the network in clear text',
      );
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
