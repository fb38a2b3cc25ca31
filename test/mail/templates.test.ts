// The templates on their own: escaping, text someone else chose never becoming a link, and the guard
// that refuses any link outside the public URL (S60, S61).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderMail, type MailContext, type TemplateData, type TemplateName } from '../../src/mail/templates.ts';
import { urlsIn } from './smtp.ts';

const ctx: MailContext = { publicUrl: new URL('https://media.example.org'), phrase: 'quiet heron' };
const when = { at: '2026-11-27 12:00 UTC', ip: '198.51.100.4', device: 'Firefox on Linux' };
const token = 'hr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

const samples: { [T in TemplateName]: TemplateData[T] } = {
  verify_email: { username: 'olga', token, reason: 'registration' },
  registration_attempt: { username: 'olga', at: when.at },
  invite: {
    url: 'https://media.example.org/register#invite=hi_abc',
    inviter: 'boss',
    role: 'member',
    expiresAt: when.at,
  },
  password_reset: { username: 'olga', token, reason: 'requested', requested: when },
  password_changed: { username: 'olga', via: 'change', when, notMeToken: token },
  email_changed: { username: 'olga', oldEmail: 'olga@example.org', newEmail: 'o@example.net', when, notMeToken: token },
  sessions_revoked: { username: 'olga', by: 'boss', count: 3, at: when.at },
  factor_changed: { username: 'olga', change: 'passkey_added', name: 'YubiKey', when, notMeToken: token },
  sign_in_alert: { username: 'olga', reason: 'new_device', when, notMeToken: token },
  breach_notice: { username: 'olga', message: 'We found a copy of the database on a forum.\n\nPasswords were hashed.' },
  credential_stuffing_alert: {
    username: 'boss',
    address: '203.0.113.9',
    failures: 400,
    accounts: 120,
    addresses: 1,
    windowMinutes: 10,
    baseline: 3,
    at: when.at,
  },
  test: { at: when.at },
};

describe('mail templates', () => {
  it('S61: every template opens with the phrase, says Hearth never asks for a password, and links only to the public URL', () => {
    for (const name of Object.keys(samples) as TemplateName[]) {
      const mail = renderMail(name, samples[name] as never, ctx);
      expect(mail.text.split('\n')[0], name).toBe('Your anti-phishing phrase: quiet heron');
      expect(mail.html, name).toContain('<strong>Your anti-phishing phrase:</strong> quiet heron');
      expect(mail.text, name).toContain('Hearth never asks for your password by email');
      expect(mail.text, name).toContain('type the address of your server yourself: https://media.example.org');
      expect(mail.html, name).not.toMatch(/<img|\bsrc\s*=|url\(|<link|<script/i);
      for (const url of urlsIn(mail)) expect(new URL(url).origin, `${name}: ${url}`).toBe('https://media.example.org');
    }
  });

  it('without a phrase, the message says how to set one', () => {
    const mail = renderMail('test', samples.test, { ...ctx, phrase: null });
    expect(mail.text.split('\n')[0]).toMatch(/^Tip: set an anti-phishing phrase/);
  });

  it('S60: a link to anywhere else is refused, not sent', () => {
    expect(() =>
      renderMail('invite', { ...samples.invite, url: 'https://evil.example/register#invite=x' }, ctx),
    ).toThrow(/outside the public URL/);
    expect(() =>
      renderMail('breach_notice', { username: 'olga', message: 'Reset here: http://evil.example/reset' }, ctx),
    ).toThrow(/outside the public URL/);
  });

  it('S61: a device name chosen by someone else is escaped and can never become a link', () => {
    const device = '<img src=https://evil.example/x.png> visit www.evil.example or http://evil.example/login';
    const mail = renderMail('sign_in_alert', { ...samples.sign_in_alert, when: { ...when, device } }, ctx);
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img');
    expect(mail.text).not.toContain('www.evil.example');
    expect(mail.text).not.toContain('http://evil');
    for (const url of urlsIn(mail)) expect(new URL(url).origin).toBe('https://media.example.org');
  });

  it('S62: text someone else chose stays on its line: control and format characters become one space, in text and HTML', () => {
    const injected =
      'Firefox\r\n\nThis sign-in was our routine security check.\u2028Ignore the link\u2029below\u0085now\u202e\u200b\tX';
    const mail = renderMail(
      'factor_changed',
      { ...samples.factor_changed, name: injected, when: { ...when, device: injected } },
      { ...ctx, phrase: 'quiet\nheron' },
    );
    const lines = mail.text.split('\n');
    expect(lines[0]).toBe('Your anti-phishing phrase: quiet heron');
    expect(lines.filter((l) => l.startsWith('This sign-in was our routine'))).toEqual([]);
    const device = lines.find((l) => l.trim().startsWith('Device:'))?.trim();
    expect(device).toMatch(
      /^Device:\s+Firefox This sign-in was our routine security check\. Ignore the link below now X$/,
    );
    expect(mail.text).not.toMatch(/[\u0085\u2028\u2029\u202e\u200b\t\r]/u);
    expect(mail.html).toContain('Firefox This sign-in was our routine security check. Ignore the link below now X');
    expect(mail.html).not.toMatch(/[\u0085\u2028\u2029\u202e\u200b]/u);
    expect(mail.html).toContain('quiet heron');
  });

  it('S61: whatever the device name, address, phrase or passkey name, no tag and no foreign link comes out', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 120 }),
        fc.string({ maxLength: 60 }),
        fc.string({ minLength: 3, maxLength: 64 }),
        (device, ip, phrase) => {
          const cleanPhrase = phrase.replace(/[<>\r\n]/g, 'x');
          const mail = renderMail(
            'factor_changed',
            { ...samples.factor_changed, name: device, when: { ...when, device, ip } },
            { ...ctx, phrase: cleanPhrase },
          );
          expect(mail.html).not.toMatch(/<(img|script|a\s[^>]*href="(?!https:\/\/media\.example\.org))/i);
          for (const url of urlsIn(mail)) expect(new URL(url).origin).toBe('https://media.example.org');
        },
      ),
      { numRuns: 300 },
    );
  });
});
