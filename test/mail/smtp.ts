// A real SMTP server for the mail tests (smtp-server on 127.0.0.1), keeping what it receives parsed
// with mailparser, plus the small readers the tests share.
import net from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { freePort } from '../helpers/net.ts';

export interface Received {
  parsed: ParsedMail;
  raw: string;
  to: string[];
  messageId: string;
  text: string;
  html: string;
  subject: string;
  /** Whether the session ran over TLS (STARTTLS), and who authenticated. */
  secure: boolean;
  user: string | null;
}

export interface TestSmtp {
  port: number;
  url: string;
  received: Received[];
  /** Every AUTH the server saw: who, and whether it came over TLS. */
  logins: { user: string; secure: boolean; accepted: boolean }[];
  /** Resolves with the first message (new or already in) that matches, or fails after timeoutMs. */
  waitFor(match: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  waitForCount(count: number, timeoutMs?: number): Promise<Received[]>;
  /** Starts listening (again) on the same port. */
  listen(): Promise<void>;
  /** Stops listening; the port stays reserved for listen(). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export interface SmtpOptions {
  port?: number;
  /** Required credentials (without: anyone may send). */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS (with smtp-server's built-in test certificate); default true, as Hearth requires it. */
  starttls?: boolean;
  /** Refuse every login with 535 while this returns true (a wrong password the operator then fixes). */
  refuseAuth?: () => boolean;
  /** Wait this long before accepting each message (to catch a sender in the middle). */
  delayMs?: number;
  /** Start stopped (an SMTP server that is down). */
  down?: boolean;
  /** Recipients refused for good (550). */
  refuse?: string[];
}

export async function startSmtp(options: SmtpOptions = {}): Promise<TestSmtp> {
  const port = options.port ?? (await freePort());
  const starttls = options.starttls ?? true;
  const received: Received[] = [];
  const logins: TestSmtp['logins'] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };

  const make = () => {
    const serverOptions: SMTPServerOptions = {
      logger: false,
      secure: false,
      disabledCommands: starttls ? [] : ['STARTTLS'],
      authOptional: !options.auth,
      allowInsecureAuth: true,
      onAuth(auth, session, callback) {
        const accepted =
          !options.refuseAuth?.() &&
          !!options.auth &&
          auth.username === options.auth.user &&
          auth.password === options.auth.pass;
        logins.push({ user: auth.username ?? '', secure: session.secure, accepted });
        if (accepted) {
          callback(null, { user: auth.username });
        } else {
          const err = new Error('Authentication credentials invalid') as Error & { responseCode: number };
          err.responseCode = 535;
          callback(err);
        }
      },
      onRcptTo(address, _session, callback) {
        if (options.refuse?.includes(address.address)) {
          const err = new Error('No such mailbox here') as Error & { responseCode: number };
          err.responseCode = 550;
          callback(err);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const parsed = await simpleParser(raw);
          if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
          received.push({
            parsed,
            raw,
            to: session.envelope.rcptTo.map((r) => r.address),
            messageId: parsed.messageId ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            subject: parsed.subject ?? '',
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : null,
          });
          callback();
          notify();
        });
      },
    };
    return new SMTPServer(serverOptions);
  };

  let server: SMTPServer | null = null;
  const listen = async () => {
    if (server) return;
    server = make();
    await new Promise<void>((resolve, reject) => {
      server!.server.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
  };
  const stop = async () => {
    if (!server) return;
    const s = server;
    server = null;
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  if (!options.down) await listen();

  const waitFor = (match: (m: Received) => boolean, timeoutMs = 10_000) =>
    new Promise<Received>((resolve, reject) => {
      const check = () => {
        const found = received.find(match);
        if (found) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `no matching mail within ${timeoutMs} ms (received ${received.length}: ${received.map((r) => r.subject).join(' | ')})`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const waitForCount = (count: number, timeoutMs = 10_000) =>
    new Promise<Received[]>((resolve, reject) => {
      const check = () => {
        if (received.length >= count) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received.slice());
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`expected ${count} mails within ${timeoutMs} ms, got ${received.length}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const auth = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : '';
  // The test certificate is self-signed; without STARTTLS the URL is the README's bare form.
  const query = starttls ? '?tls.rejectUnauthorized=false' : '';
  return {
    port,
    url: `smtp://${auth}127.0.0.1:${port}${query}`,
    received,
    logins,
    waitFor,
    waitForCount,
    listen,
    stop,
    close: stop,
  };
}

/**
 * A TCP relay in front of a server that keeps every byte the client sends: what a listener on the
 * network would read (after STARTTLS only ciphertext).
 */
export async function wiretap(
  targetPort: number,
): Promise<{ port: number; clientBytes(): Buffer; close(): Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    client.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    clientBytes: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The token in a link of the form <origin><path>#token=<token> in the mail's text. */
export function tokenFrom(mail: { text: string }, path: string): string {
  const match = new RegExp(`https?://[^\\s]+${path.replace(/[/]/g, '\\/')}#token=([A-Za-z0-9_%-]+)`).exec(mail.text);
  if (!match) throw new Error(`no ${path} link in:\n${mail.text}`);
  return decodeURIComponent(match[1]!);
}

/** Every URL in the mail, text and HTML (hrefs and bare), with any scheme. */
export function urlsIn(mail: { text: string; html: string }): string[] {
  const pattern = /\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"']+/gi;
  const hrefs = [...mail.html.matchAll(/<[^>]*\b(?:href|src)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) =>
    m[1]!.replace(/&amp;/g, '&'),
  );
  const trim = (url: string) => url.replace(/[.,;:!?)\]]+$/, '');
  return [...mail.text.matchAll(pattern)]
    .map((m) => trim(m[0]))
    .concat(
      [...mail.html.matchAll(pattern)].map((m) => trim(m[0].replace(/&amp;/g, '&'))),
      hrefs,
    );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check() is truthy. */
export async function until<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
  what = 'the condition',
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
