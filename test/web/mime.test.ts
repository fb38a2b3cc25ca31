// The outbox reader of the admin mail page, run in Node on messages nodemailer writes, as the outbox does.
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { decodeHeader, decodeQuotedPrintable, readMail } from '../../web/src/admin/mime.ts';

async function compose(options: SendMailOptions): Promise<string> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await transport.sendMail({ from: 'Hearth <hearth@example.org>', to: 'ada@example.org', ...options });
  return (info.message as Buffer).toString('utf8');
}

describe('outbox message reader', () => {
  it('reads the headers and the text part of a multipart message, decoding quoted-printable and UTF-8', async () => {
    const text = `Hello Zoë,\n\nReset here: https://media.example.org/reset#token=${'x'.repeat(90)}\n\n— Hearth`;
    const raw = await compose({ subject: 'Réinitialiser · reset', text, html: '<p>Hello <b>Zoë</b></p>' });
    expect(raw).toContain('multipart/alternative');
    const mail = readMail(raw);
    expect(mail.headers.subject).toBe('Réinitialiser · reset');
    expect(mail.headers.to).toBe('ada@example.org');
    expect(mail.text).toBe(text);
  });

  it('reads a base64 text part and a message without any text part', async () => {
    const long = 'Ünïcödé '.repeat(40);
    const raw = await compose({ subject: 'Plain', text: long, textEncoding: 'base64' });
    expect(readMail(raw).text).toBe(long.trimEnd());
    const htmlOnly = await compose({ subject: 'Only HTML', html: '<p>Hi</p>' });
    expect(readMail(htmlOnly).text).toBeNull();
  });

  it('decodes encoded words and soft line breaks, and leaves an invalid escape as it is', () => {
    expect(decodeHeader('=?UTF-8?Q?Caf=C3=A9_au_lait?= =?UTF-8?B?4pyT?=')).toBe('Café au lait✓');
    expect(new TextDecoder().decode(decodeQuotedPrintable('a=3Db=\r\nc =ZZ'))).toBe('a=bc =ZZ');
  });
});
