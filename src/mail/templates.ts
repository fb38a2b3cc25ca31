// Every message Hearth sends, in one place. Each starts with the user's anti-phishing phrase, links only
// to the public URL (built here from tokens, never from a request), carries no image and no tracking,
// says that Hearth never asks for a password by mail and how to reach the server by typing its address
// (S60, S61). Everything that comes from data is escaped in the HTML.
import { isIP } from 'node:net';
import type { RequestContext } from '../accounts/caller.ts';
import { deviceInfoFrom } from '../accounts/user-agent.ts';

export interface MailContext {
  publicUrl: URL;
  /** The recipient's anti-phishing phrase, or null when unset or the recipient has no account. */
  phrase: string | null;
}

/** Where and from what something happened: said in every notice (S34). */
export interface Circumstances {
  at: string;
  ip: string | null;
  device: string | null;
}

export interface TemplateData {
  verify_email: { username: string; token: string; reason: 'registration' | 'address_change' };
  registration_attempt: { username: string; at: string };
  invite: { url: string; inviter: string; role: string; expiresAt: string };
  password_reset: { username: string; token: string; reason: 'requested' | 'not_me'; requested: Circumstances };
  password_changed: { username: string; via: 'change' | 'reset'; when: Circumstances; notMeToken: string };
  email_changed: { username: string; oldEmail: string; newEmail: string; when: Circumstances; notMeToken: string };
  sessions_revoked: { username: string; by: string; count: number; at: string };
  factor_changed: {
    username: string;
    change: string;
    remaining?: number;
    name?: string;
    when: Circumstances;
    notMeToken: string;
  };
  sign_in_alert: { username: string; reason: 'new_device' | 'new_address'; when: Circumstances; notMeToken: string };
  test: { at: string };
  breach_notice: { username: string; message: string };
  credential_stuffing_alert: {
    username: string;
    address: string | null;
    failures: number;
    accounts: number;
    addresses: number;
    windowMinutes: number;
    baseline: number | null;
    at: string;
  };
}

export type TemplateName = keyof TemplateData;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

type Block =
  | { kind: 'p'; text: string }
  | { kind: 'link'; label: string; url: string }
  | { kind: 'facts'; rows: [string, string][] }
  | { kind: 'warning'; text: string };

interface Draft {
  subject: string;
  blocks: Block[];
}

export const VERIFY_EMAIL_HOURS = 24;
export const RESET_MINUTES = 30;
export const NOT_ME_DAYS = 7;

const p = (text: string): Block => ({ kind: 'p', text });
const link = (label: string, url: string): Block => ({ kind: 'link', label, url });
const facts = (rows: [string, string][]): Block => ({ kind: 'facts', rows });
const warning = (text: string): Block => ({ kind: 'warning', text });

/** A link to a page of this server with a token in the fragment (never sent to any server, S30). */
export function pageLink(publicUrl: URL, path: string, token?: string): string {
  const url = new URL(path, publicUrl.origin);
  if (token !== undefined) url.hash = `token=${encodeURIComponent(token)}`;
  return url.toString();
}

export function circumstancesOf(ctx: RequestContext, now: Date, device?: string | null): Circumstances {
  return {
    at: mailTime(now),
    ip: ctx.ip,
    device: device ?? ctx.device ?? deviceInfoFrom(undefined, ctx.userAgent).name,
  };
}

/**
 * Text that someone else may have chosen (a device's declared name, a passkey's name, the phrase) can
 * never become a link a mail client would follow: schemes and dotted names are broken up. Nor can it
 * start a line or a paragraph of its own (S62): control and format characters and the line and paragraph
 * separators become one space.
 */
export function untrusted(value: string, max = 80): string {
  const flat = value.replace(/\s*[\p{Cc}\p{Cf}\u2028\u2029][\s\p{Cc}\p{Cf}\u2028\u2029]*/gu, ' ');
  const short = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return short.replace(/:\/\//g, '[:]//').replace(/([\p{L}\p{N}])\.(?=[\p{L}\p{N}])/gu, '$1[.]');
}

/** An address may hold "://" in its local part; it is shown, never made a link. */
function noScheme(value: string): string {
  return value.replace(/:\/\//g, '[:]//');
}

function circumstances(c: Circumstances): [string, string][] {
  return [
    ['When', c.at],
    ['Device', c.device ? untrusted(c.device) : 'not known'],
    ['Address', c.ip ? (isIP(c.ip) ? c.ip : untrusted(c.ip)) : 'not known'],
  ];
}

function notMeBlocks(ctx: MailContext, token: string): Block[] {
  return [
    p(
      'If this was not you, someone else may know your password. Open this link to sign every device out of your account and block it until you choose a new password:',
    ),
    link("This wasn't me", pageLink(ctx.publicUrl, '/not-me', token)),
    p(`The link works once, for ${NOT_ME_DAYS} days. A password-reset link is then mailed to you.`),
  ];
}

const factorChanges: Record<string, string> = {
  totp_enabled: 'An authenticator app was set up for two-step sign-in',
  totp_disabled: 'The authenticator app was removed from two-step sign-in',
  recovery_codes_regenerated: 'New recovery codes were made; the old ones no longer work',
  recovery_code_used: 'A recovery code was used',
  passkey_added: 'A passkey was added',
  passkey_renamed: 'A passkey was renamed',
  passkey_removed: 'A passkey was removed',
};

const drafts: { [T in TemplateName]: (data: TemplateData[T], ctx: MailContext) => Draft } = {
  verify_email: (d, ctx) => ({
    subject: 'Confirm your email address',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        d.reason === 'registration'
          ? 'Your Hearth account is ready. Please confirm that this address is yours, so that password resets and security notices can reach you:'
          : 'You asked to use this address for your Hearth account. Please confirm that it is yours:',
      ),
      link('Confirm this address', pageLink(ctx.publicUrl, '/verify-email', d.token)),
      p(`The link works once, for ${VERIFY_EMAIL_HOURS} hours. If you did not ask for this, ignore this message.`),
    ],
  }),

  registration_attempt: (d, ctx) => ({
    subject: 'Someone tried to register with your address',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        `At ${d.at}, someone tried to create a new Hearth account with this email address. Your address already belongs to your account, so no new account was made and nothing changed.`,
      ),
      p(
        'If it was you: you already have an account. Sign in, or ask for a password reset if you forgot your password:',
      ),
      link('Reset my password', pageLink(ctx.publicUrl, '/forgot')),
      p('If it was not you, there is nothing to do.'),
    ],
  }),

  invite: (d, ctx) => ({
    subject: 'You are invited to Hearth',
    blocks: [
      p(`${untrusted(d.inviter)} invited you to their Hearth media server at ${ctx.publicUrl.origin} (as ${d.role}).`),
      p('To accept, open this link and choose a username and a password:'),
      link('Accept the invitation', d.url),
      p(`The invitation works once and expires at ${d.expiresAt}. If you did not expect it, ignore this message.`),
    ],
  }),

  password_reset: (d, ctx) => ({
    subject: d.reason === 'not_me' ? 'Your account is locked: choose a new password' : 'Reset your password',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        d.reason === 'not_me'
          ? 'You reported that a sign-in or change was not you. Every device was signed out of your account, and it stays locked until you choose a new password:'
          : 'Someone (hopefully you) asked to reset the password of your Hearth account. To choose a new password, open this link:',
      ),
      link('Choose a new password', pageLink(ctx.publicUrl, '/reset', d.token)),
      p(`The link works once, for ${RESET_MINUTES} minutes. Setting a new password signs every device out.`),
      facts(circumstances(d.requested)),
      ...(d.reason === 'requested'
        ? [p('If you did not ask for this, ignore this message: your password stays as it is.')]
        : []),
    ],
  }),

  password_changed: (d, ctx) => ({
    subject: 'Your password was changed',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        d.via === 'reset'
          ? 'The password of your Hearth account was reset with a link from a reset mail. Every device was signed out.'
          : 'The password of your Hearth account was changed.',
      ),
      facts(circumstances(d.when)),
      ...notMeBlocks(ctx, d.notMeToken),
    ],
  }),

  email_changed: (d, ctx) => ({
    subject: 'The email address of your account was changed',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        `The email address of your Hearth account was changed from ${noScheme(d.oldEmail)} to ${noScheme(d.newEmail)}. Password resets and notices now go to the new address.`,
      ),
      facts(circumstances(d.when)),
      ...notMeBlocks(ctx, d.notMeToken),
      p('Opening that link also gives your account back this address.'),
    ],
  }),

  sessions_revoked: (d, ctx) => ({
    subject: 'You were signed out of every device',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        `At ${d.at}, ${d.by} (an administrator of your Hearth server) signed your account out of every device (${d.count} session${d.count === 1 ? '' : 's'}). Sign in again on each device you use.`,
      ),
      p(
        `If you did not expect this, ask your administrator why, or change your password after signing in at ${ctx.publicUrl.origin}.`,
      ),
    ],
  }),

  factor_changed: (d, ctx) => ({
    subject: 'Your two-step sign-in was changed',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        `${factorChanges[d.change] ?? `Two-step sign-in changed (${d.change})`}${d.name ? `: ${untrusted(d.name)}` : ''}.`,
      ),
      ...(d.remaining !== undefined ? [p(`Recovery codes left: ${d.remaining}.`)] : []),
      facts(circumstances(d.when)),
      ...notMeBlocks(ctx, d.notMeToken),
    ],
  }),

  sign_in_alert: (d, ctx) => ({
    subject: d.reason === 'new_device' ? 'New sign-in to your account' : 'Sign-in from a new address',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        d.reason === 'new_device'
          ? 'Your Hearth account was just signed in to from a device that had not signed in to it before.'
          : 'Your Hearth account was just signed in to from a network address it had not been used from before.',
      ),
      facts(circumstances(d.when)),
      p('If this was you, there is nothing to do.'),
      ...notMeBlocks(ctx, d.notMeToken),
    ],
  }),

  test: (d, ctx) => ({
    subject: 'Test message',
    blocks: [
      p(`This is a test message from the Hearth server at ${ctx.publicUrl.origin}, sent at ${d.at}. Mail works.`),
    ],
  }),

  // The operator's words first, then the steps; no token, so nothing here is worth stealing (breach response).
  breach_notice: (d, ctx) => ({
    subject: 'Security notice: choose a new password',
    blocks: [
      p(`Hello ${d.username},`),
      ...d.message
        .split(/\n\s*\n/)
        .map((paragraph) => paragraph.trim())
        .filter(Boolean)
        .map(p),
      warning(
        'To protect your account, your password was switched off and every device and app was signed out. Your old password no longer works, anywhere on this server.',
      ),
      p('What to do now:'),
      p(
        `1. Choose a new password. Open your browser, type the address of your server yourself, ${new URL('/forgot', ctx.publicUrl.origin)}, and ask for a reset link with your email address. If your account has two-step sign-in, you will also need a code from your authenticator app or a recovery code. Pick a password you use nowhere else; if you used your old one on other sites, change it there too.`,
      ),
      p(
        '2. Turn on two-step sign-in with an authenticator app, or add a passkey, under Account security once you are signed in. A passkey also lets you back in when a password has to be reset.',
      ),
      p(
        '3. Review your devices under Account security: sign in again only on the devices you use, and sign out any you do not recognise. Create new app passwords and link your TVs and apps again.',
      ),
      p(
        'Do not trust any message, even one that looks like this one, that sends you a link to sign in or asks for your password. Type the address of your server yourself.',
      ),
      link('Reset my password', pageLink(ctx.publicUrl, '/forgot')),
    ],
  }),

  credential_stuffing_alert: (d, ctx) => ({
    subject: d.address ? `Many failed sign-ins from ${d.address}` : 'Unusually many failed sign-ins',
    blocks: [
      p(`Hello ${d.username},`),
      p(
        d.address
          ? `In the last ${d.windowMinutes} minutes, one network address tried to sign in to ${d.accounts} different accounts on your Hearth server and failed ${d.failures} times. This is what credential stuffing looks like: someone trying passwords leaked from other sites.`
          : `In the last ${d.windowMinutes} minutes, sign-ins to your Hearth server failed ${d.failures} times, across ${d.accounts} accounts from ${d.addresses} addresses: far more than usual. Someone may be trying leaked passwords from many places at once.`,
      ),
      facts([
        ['Detected', d.at],
        ...(d.address ? [['Address', isIP(d.address) ? d.address : untrusted(d.address)] as [string, string]] : []),
        ['Failed sign-ins', String(d.failures)],
        ['Accounts tried', String(d.accounts)],
        ...(d.address ? [] : [['Addresses', String(d.addresses)] as [string, string]]),
        ...(d.baseline !== null
          ? [['Usual failures', `${d.baseline} per ${d.windowMinutes} minutes`] as [string, string]]
          : []),
      ]),
      p(
        'Failed attempts are already slowed down per account and per address. Look at the security events in the admin pages for sign-ins that succeeded from the same addresses. If accounts may have been taken over, or if your database may have leaked, start a breach response: every user then has to choose a new password (npx hearth breach-response start --all --reason "…").',
      ),
    ],
  }),
};

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Dates in mails: one unambiguous form, in UTC. */
export function mailTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function neverAsksLine(ctx: MailContext): string {
  return `Hearth never asks for your password by email. To be safe, do not follow links you did not expect: open your browser and type the address of your server yourself: ${ctx.publicUrl.origin}`;
}

function phraseLine(ctx: MailContext): string {
  return ctx.phrase
    ? `Your anti-phishing phrase: ${untrusted(ctx.phrase)}`
    : 'Tip: set an anti-phishing phrase in your account settings. Every message from your server then starts with it, and a message without it is not from your server.';
}

function toText(draft: Draft, ctx: MailContext): string {
  const lines: string[] = [phraseLine(ctx), ''];
  for (const block of draft.blocks) {
    if (block.kind === 'p') lines.push(block.text, '');
    if (block.kind === 'warning') lines.push(`! ${block.text}`, '');
    if (block.kind === 'link') lines.push(`${block.label}:`, block.url, '');
    if (block.kind === 'facts') {
      const width = Math.max(...block.rows.map(([k]) => k.length));
      for (const [k, v] of block.rows) lines.push(`  ${`${k}:`.padEnd(width + 1)} ${v}`);
      lines.push('');
    }
  }
  lines.push('-- ', neverAsksLine(ctx), '');
  return lines.join('\n');
}

const style = {
  body: 'margin:0;padding:24px;background:#f6f6f4;font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1d1d1b',
  card: 'max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #dddad2;border-radius:8px;padding:24px',
  phrase: 'margin:0 0 20px;padding:10px 12px;border-left:4px solid #b4531f;background:#fbf3ee',
  button:
    'display:inline-block;padding:10px 18px;background:#b4531f;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600',
  url: 'font-size:13px;color:#555;word-break:break-all',
  facts: 'border-collapse:collapse;margin:0 0 16px',
  factKey: 'padding:2px 16px 2px 0;color:#555;vertical-align:top',
  warning: 'padding:10px 12px;background:#fff4e5;border:1px solid #f0c27b',
  footer: 'max-width:560px;margin:16px auto 0;font-size:13px;color:#555',
};

function toHtml(draft: Draft, ctx: MailContext): string {
  const e = escapeHtml;
  const parts: string[] = [];
  for (const block of draft.blocks) {
    if (block.kind === 'p') parts.push(`<p>${e(block.text)}</p>`);
    if (block.kind === 'warning') parts.push(`<p style="${style.warning}">${e(block.text)}</p>`);
    if (block.kind === 'link') {
      parts.push(
        `<p><a href="${e(block.url)}" style="${style.button}">${e(block.label)}</a></p>`,
        `<p style="${style.url}">${e(block.url)}</p>`,
      );
    }
    if (block.kind === 'facts') {
      const rows = block.rows
        .map(([k, v]) => `<tr><td style="${style.factKey}">${e(k)}</td><td>${e(v)}</td></tr>`)
        .join('');
      parts.push(`<table role="presentation" style="${style.facts}">${rows}</table>`);
    }
  }
  const phrase = ctx.phrase
    ? `<p style="${style.phrase}"><strong>Your anti-phishing phrase:</strong> ${e(untrusted(ctx.phrase))}</p>`
    : `<p style="${style.phrase}">${e(phraseLine(ctx))}</p>`;
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">',
    `<title>${e(draft.subject)}</title></head>`,
    `<body style="${style.body}"><div style="${style.card}">`,
    phrase,
    ...parts,
    '</div>',
    `<p style="${style.footer}">${e(neverAsksLine(ctx))}</p>`,
    '</body></html>',
  ].join('\n');
}

/** Refuses to produce a message with a link anywhere but the public URL (S60), whatever the data. */
function assertLinksArePublic(rendered: RenderedMail, ctx: MailContext): void {
  const origin = ctx.publicUrl.origin;
  const found = [
    ...rendered.text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"']+/gi),
    ...rendered.html.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"']+/gi),
  ];
  for (const [match] of found) {
    // Punctuation after a link ends the sentence, as a mail client reads it.
    const url = match.replace(/[.,;:!?)\]]+$/, '');
    let parsed: URL;
    try {
      parsed = new URL(url.replace(/&amp;/g, '&'));
    } catch {
      throw new Error(`a mail would carry a malformed link: ${url.slice(0, 100)}`);
    }
    if (parsed.origin !== origin) throw new Error(`a mail would link outside the public URL: ${parsed.origin}`);
  }
}

export function renderMail<T extends TemplateName>(template: T, data: TemplateData[T], ctx: MailContext): RenderedMail {
  const draft = drafts[template](data, ctx);
  const subject = `${draft.subject} [${ctx.publicUrl.host}]`;
  const rendered = { subject, text: toText({ ...draft, subject }, ctx), html: toHtml({ ...draft, subject }, ctx) };
  assertLinksArePublic(rendered, ctx);
  return rendered;
}
