// Where a finished message goes: an SMTP server (TLS from the start with smtps://, STARTTLS required with
// smtp://, pooled connections, DKIM-signed when a key is configured), or, with no SMTP configured, an .eml
// file in the outbox folder.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.ts';

export interface OutgoingMail {
  id: string;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The same on every attempt: a resend after a crash is recognisable as the same message. */
  messageId: string;
  date: Date;
}

export interface Delivery {
  transport: 'smtp' | 'outbox';
  outboxFile: string | null;
  response: string;
}

export interface MailTransport {
  kind: 'smtp' | 'outbox';
  /** SMTP without TLS (HEARTH_SMTP_URL with insecure=true). */
  insecure?: boolean;
  send(mail: OutgoingMail): Promise<Delivery>;
  close(): Promise<void>;
}

function messageOptions(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    date: mail.date,
    // Tell auto-responders and mail clients this is an automatic notice, not a conversation.
    headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/**
 * What HEARTH_SMTP_URL asks of TLS. smtp:// must upgrade with STARTTLS before it sends the password or a
 * message: a server that does not offer it (or a man in the middle who strips it from EHLO) gets nothing.
 * `insecure=true` is the one way out, for a relay on the same machine or a private network without TLS.
 * Nodemailer's own TLS switches in the URL would override ours, so config.ts refuses them and they are
 * dropped here too.
 */
export function smtpConnection(smtpUrl: string): { url: string; insecure: boolean } {
  const url = new URL(smtpUrl);
  const insecure = url.protocol === 'smtp:' && url.searchParams.get('insecure') === 'true';
  for (const name of SMTP_TLS_PARAMS) url.searchParams.delete(name);
  return { url: url.toString(), insecure };
}

export const SMTP_TLS_PARAMS = ['insecure', 'secure', 'requireTLS', 'ignoreTLS', 'opportunisticTLS'];

/** The send failed because the server would not start TLS: nothing went out, the password included. */
function tlsRefusal(err: unknown): Error | null {
  const e = err as { code?: string; command?: string; message?: string } | null;
  if (e?.code !== 'ETLS' || e.command !== 'STARTTLS') return null;
  return Object.assign(
    new Error(
      `the SMTP server did not start TLS (STARTTLS), so nothing was sent: HEARTH_SMTP_URL requires it; ` +
        `add ?insecure=true only for a relay without TLS on this machine or a trusted network (${e.message ?? 'no answer'})`,
    ),
    err,
  );
}

/**
 * Whether a failed send was refused for this message or its recipient, so that no retry can help: a 5xx
 * answer to RCPT TO or DATA (550 no such mailbox, 552 too big, 553, 554), the size limit the server
 * announced, or an address nodemailer cannot use. Everything else (authentication, TLS, the connection,
 * the sender address the operator configured, a server that is down) is about the configuration, is the same for
 * every queued mail, and is retried so that the mails wait for the fix instead of being lost.
 */
export function isRefusalOfThisMessage(err: unknown): boolean {
  const e = err as { code?: string; command?: string; responseCode?: number } | null;
  if (e?.code !== 'EENVELOPE' && e?.code !== 'EMESSAGE') return false;
  if (e.command === 'API') return true;
  if (e.code === 'EMESSAGE' && e.command === 'MAIL FROM' && e.responseCode === undefined) return true;
  const code = e.responseCode ?? 0;
  if (code < 500 || code >= 600 || code === 503) return false;
  return e.command === 'RCPT TO' || e.command === 'DATA' || (e.command === 'MAIL FROM' && code === 552);
}

export function smtpTransport(
  config: Pick<Config, 'smtpUrl' | 'dkim'>,
  options: { maxConnections?: number } = {},
): MailTransport {
  if (!config.smtpUrl) throw new Error('no SMTP URL is configured');
  const { url, insecure } = smtpConnection(config.smtpUrl);
  const transporter = nodemailer.createTransport({
    url,
    // smtps:// is TLS from the start (nodemailer reads that from the URL); smtp:// needs STARTTLS.
    requireTLS: !insecure,
    pool: true,
    maxConnections: options.maxConnections ?? 4,
    // A message whose connection dropped goes back to the queue, where its attempts are counted and shown.
    maxRequeues: 0,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
    ...(config.dkim ? { dkim: config.dkim } : {}),
  });
  return {
    kind: 'smtp',
    insecure,
    async send(mail) {
      let info;
      try {
        info = await transporter.sendMail(messageOptions(mail));
      } catch (err) {
        throw tlsRefusal(err) ?? err;
      }
      return { transport: 'smtp', outboxFile: null, response: String(info.response ?? '') };
    },
    async close() {
      transporter.close();
    },
  };
}

export function outboxDir(dataDir: string): string {
  return join(dataDir, 'outbox');
}

/** `20261127T120000123Z`: sorts by time, safe in a file name. */
function fileStamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

const OUTBOX_FILE = /^(\d{8}T\d{9}Z)-([A-Za-z0-9_-]{1,64})\.eml$/;

export function outboxTransport(config: Pick<Config, 'dataDir' | 'dkim'>): MailTransport {
  const dir = outboxDir(config.dataDir);
  const transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...(config.dkim ? { dkim: config.dkim } : {}),
  });
  return {
    kind: 'outbox',
    async send(mail) {
      const info = await transporter.sendMail(messageOptions(mail));
      // Named by the message's own time and id: a second attempt rewrites the same file, never adds one.
      const name = `${fileStamp(mail.date)}-${mail.id}.eml`;
      writeOutboxFile(dir, name, info.message as Buffer);
      return { transport: 'outbox', outboxFile: name, response: 'written to the outbox' };
    },
    async close() {
      transporter.close();
    },
  };
}

/** An outbox error says so, with the folder: it is a disk on this server, not "the SMTP server". */
export class OutboxWriteError extends Error {
  readonly code: string | undefined;
  constructor(dir: string, cause: unknown) {
    const e = cause as { code?: string; message?: string };
    const why = e?.code === 'ENOSPC' || e?.code === 'EDQUOT' ? 'the disk is full' : (e?.message ?? String(cause));
    super(`the outbox folder ${dir} cannot be written: ${why}`, { cause });
    this.name = 'OutboxWriteError';
    this.code = e?.code;
  }
}

/**
 * Whole or not at all: written to a temporary name, flushed, then renamed over the final name, so a crash or
 * a full disk never leaves half a message under its name (nor a stray partial file).
 */
function writeOutboxFile(dir: string, name: string, bytes: Buffer): void {
  const temp = join(dir, `.${name}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = openSync(temp, 'w', 0o600);
    try {
      for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(dir, name));
  } catch (err) {
    rmSync(temp, { force: true });
    throw new OutboxWriteError(dir, err);
  }
}

export function createTransport(config: Pick<Config, 'smtpUrl' | 'dkim' | 'dataDir'>): MailTransport {
  return config.smtpUrl ? smtpTransport(config) : outboxTransport(config);
}

export interface OutboxEntry {
  id: string;
  file: string;
  to: string;
  subject: string;
  date: string;
  size: number;
}

/** Reads the header block of an .eml file (unfolded, encoded words decoded). */
export function readHeaders(eml: string): Record<string, string> {
  const end = eml.search(/\r?\n\r?\n/);
  const block = (end === -1 ? eml : eml.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = decodeWords(line.slice(colon + 1).trim());
  }
  return headers;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, encoding: string, text: string) => {
      if (!/^utf-?8$/i.test(charset) && !/^us-ascii$/i.test(charset)) return text;
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64')
          : Buffer.from(
              text
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
              'latin1',
            );
      return bytes.toString('utf8');
    });
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, readSync(fd, buffer, 0, bytes, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function isoOrEmpty(value: string | undefined): string {
  const time = value ? Date.parse(value) : NaN;
  return Number.isNaN(time) ? '' : new Date(time).toISOString();
}

/**
 * Deletes outbox files (and temporary ones a crash left) written more than `keepMs` ago: each holds the live
 * links it carried. Returns how many went.
 */
export function pruneOutbox(dataDir: string, keepMs: number, now: Date): number {
  const dir = outboxDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!OUTBOX_FILE.test(name) && !/^\..*\.eml\.tmp$/.test(name)) continue;
    const path = join(dir, name);
    try {
      if (now.getTime() - statSync(path).mtimeMs > keepMs) {
        rmSync(path, { force: true });
        removed += 1;
      }
    } catch {
      // Gone meanwhile (another instance pruned it).
    }
  }
  return removed;
}

/** The outbox, newest first. */
export function listOutbox(dataDir: string): OutboxEntry[] {
  const dir = outboxDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const entries: OutboxEntry[] = [];
  for (const file of names) {
    const match = OUTBOX_FILE.exec(file);
    if (!match) continue;
    const path = join(dir, file);
    const headers = readHeaders(readHead(path, 16_384));
    entries.push({
      id: match[2]!,
      file,
      to: headers.to ?? '',
      subject: headers.subject ?? '',
      date: isoOrEmpty(headers.date),
      size: statSync(path).size,
    });
  }
  return entries.sort((a, b) => (a.file < b.file ? 1 : a.file > b.file ? -1 : 0));
}

/** One message's RFC 822 text by its id, or null. */
export function readOutboxMessage(dataDir: string, id: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
  const dir = outboxDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return null;
  }
  const file = names.find((name) => OUTBOX_FILE.exec(name)?.[2] === id);
  return file ? readFileSync(join(dir, file), 'utf8') : null;
}
