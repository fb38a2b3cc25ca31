// Fewer dead ends without weaker promises: setup and an invite sent to an address sign the new person in from the
// web app with a session made as every sign-in makes one (S20: new, random, never in a URL; S21: the cookie), an
// open invite still says nothing about which addresses have accounts (S10), a reset link names the account but
// makes no session, and a person can name their devices (and tell two browsers apart by version).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner } from '../helpers/accounts.ts';
import { SETUP_TOKEN, startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';
import { issueMailToken } from '../../src/accounts/mail-tokens.ts';

const CHROME_131 =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const CHROME_130 =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

function sessionCookie(res: ApiResponse) {
  return res.cookies.find((cookie) => cookie.name === 'hearth_session' || cookie.name === '__Host-hearth_session');
}

describe.each(await storeKinds())('no dead ends on %s', (store) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ store });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('S20, S21: setup from the web app answers with a new session cookie (HttpOnly, SameSite, Path=/) and no token in the body or a URL', async () => {
    const res = await s.request('POST', '/api/v1/setup', {
      browser: true,
      headers: { 'user-agent': CHROME_131 },
      body: {
        setup_token: SETUP_TOKEN,
        username: 'owner',
        email: 'owner@example.org',
        password: 'velvet thunder orchard mosaic',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.signed_in).toBe(true);
    expect(JSON.stringify(res.body)).not.toMatch(/hs_/);
    const cookie = sessionCookie(res);
    expect(cookie?.value).toMatch(/^hs_[A-Za-z0-9_-]{22,}$/);
    expect(cookie?.httpOnly).toBe(true);
    expect(String(cookie?.sameSite).toLowerCase()).toMatch(/lax|strict/);
    expect(cookie?.path).toBe('/');
    const me = await s.request('GET', '/api/v1/me', { cookie: `${cookie!.name}=${cookie!.value}` });
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('owner');
    // The owner's address gets its confirmation link, as a member's does: the "again" on the profile is true.
    const mail = await s.deps.db.selectFrom('mail_messages').select(['recipient', 'template']).execute();
    expect(mail).toContainEqual(expect.objectContaining({ recipient: 'owner@example.org' }));
  });

  it('S20: an invite sent to an address signs the invitee in; a second sign-in makes another token', async () => {
    const owner = await s.login('owner', 'velvet thunder orchard mosaic');
    const invite = await s.request('POST', '/api/v1/admin/invites', {
      token: owner,
      body: { email: 'ada@example.org' },
    });
    expect(invite.status).toBe(201);
    const peek = await s.request('POST', '/api/v1/auth/invite', { body: { invite_token: invite.body.token } });
    expect(peek.body).toEqual({ email: 'ada@example.org' });
    const res = await s.request('POST', '/api/v1/auth/register', {
      browser: true,
      body: {
        invite_token: invite.body.token,
        username: 'ada',
        email: 'ada@example.org',
        password: 'lemon harbour quietly sings',
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.signed_in).toBe(true);
    const cookie = sessionCookie(res)!;
    expect(cookie.httpOnly).toBe(true);
    const again = await s.login('ada', 'lemon harbour quietly sings');
    expect(again).not.toBe(cookie.value);
    // The invite is spent: its address is no longer shown to anyone.
    expect((await s.request('POST', '/api/v1/auth/invite', { body: { invite_token: invite.body.token } })).status).toBe(
      400,
    );
  });

  it('S10: an open invite signs nobody in, whether or not the address already has an account', async () => {
    const owner = await s.login('owner', 'velvet thunder orchard mosaic');
    const answers: ApiResponse[] = [];
    for (const [username, email] of [
      ['bodhi', 'bodhi@example.org'],
      ['adalyn', 'ada@example.org'],
    ]) {
      const invite = await s.request('POST', '/api/v1/admin/invites', { token: owner, body: {} });
      expect(
        (await s.request('POST', '/api/v1/auth/invite', { body: { invite_token: invite.body.token } })).body,
      ).toEqual({ email: null });
      answers.push(
        await s.request('POST', '/api/v1/auth/register', {
          browser: true,
          body: { invite_token: invite.body.token, username, email, password: 'quiet orchard lemon harbour' },
        }),
      );
    }
    for (const res of answers) {
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.signed_in).toBe(false);
      expect(sessionCookie(res)).toBeUndefined();
    }
    expect(answers[0].body).toEqual(answers[1].body);
  });

  it("S25: two browsers of one computer differ by version, and a person renames their own device but not another's", async () => {
    const first = await s.login('owner', 'velvet thunder orchard mosaic', { headers: { 'user-agent': CHROME_131 } });
    await s.login('owner', 'velvet thunder orchard mosaic', { headers: { 'user-agent': CHROME_130 } });
    const list = await s.request('GET', '/api/v1/me/sessions', { token: first });
    const versions = (list.body as { client: string; client_version: string | null }[])
      .filter((d) => d.client === 'Chrome')
      .map((d) => d.client_version);
    expect(versions).toEqual(expect.arrayContaining(['131', '130']));
    const mine = (list.body as { id: string; current: boolean }[]).find((d) => d.current)!;
    const renamed = await s.request('PATCH', `/api/v1/me/sessions/${mine.id}`, {
      token: first,
      body: { name: 'Living-room laptop' },
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    const after = await s.request('GET', '/api/v1/me/sessions', { token: first });
    expect((after.body as { id: string; device_name: string }[]).find((d) => d.id === mine.id)!.device_name).toBe(
      'Living-room laptop',
    );
    // Another account's device is not found, as if it did not exist.
    const ada = await s.login('ada', 'lemon harbour quietly sings');
    const other = await s.request('PATCH', `/api/v1/me/sessions/${mine.id}`, {
      token: ada,
      body: { name: 'Mine now' },
    });
    expect(other.status).toBe(404);
    expect(
      (await s.request('PATCH', `/api/v1/me/sessions/${mine.id}`, { token: first, body: { name: '' } })).status,
    ).toBe(400);
  });
});

describe('a reset names the account without signing in', () => {
  it('the reset answer carries the username and sets no cookie', async () => {
    const s = await startTestServer();
    try {
      await setupOwner(s);
      // The token a reset mail carries, made as the request route makes it.
      const owner = await s.deps.db
        .selectFrom('users')
        .select(['id', 'email'])
        .where('username', '=', 'owner')
        .executeTakeFirstOrThrow();
      const token = await issueMailToken(
        s.deps,
        s.deps.db,
        { userId: owner.id, purpose: 'password_reset', email: owner.email },
        new Date(),
      );
      const res = await s.request('POST', '/api/v1/auth/password-reset/confirm', {
        browser: true,
        body: { token, new_password: 'brand new lantern meadow' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ ok: true, username: 'owner' });
      expect(sessionCookie(res)).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
