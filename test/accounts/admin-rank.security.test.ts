// What an admin may do to others, by rank: the owner is above every admin, and an admin does not act on another
// admin or the owner through any route (user changes, sign-out, invitations, a breach response naming them).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER, setupOwner } from '../helpers/accounts.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('admins and the ranks above them (S25)', () => {
  let s: TestServer;
  let owner: { id: string; token: string };
  let admin: { id: string; token: string };
  let admin2: { id: string; token: string };
  let member: { id: string; token: string };

  beforeAll(async () => {
    s = await startTestServer();
    owner = await setupOwner(s);
    const a = await s.createUser({ username: 'adam', role: 'admin' });
    const a2 = await s.createUser({ username: 'adele', role: 'admin' });
    const m = await s.createUser({ username: 'mia', role: 'member' });
    admin = { id: a.id, token: await s.login(a.username, a.password) };
    admin2 = { id: a2.id, token: await s.login(a2.username, a2.password) };
    member = { id: m.id, token: await s.login(m.username, m.password) };
  });
  afterAll(async () => s?.close());

  it('S25: an admin cannot change, disable or sign out the owner or another admin, nor make admins', async () => {
    expect(
      (await s.request('PATCH', `/api/v1/admin/users/${owner.id}`, { token: admin.token, body: { disabled: true } }))
        .status,
    ).toBe(403);
    expect(
      (await s.request('PATCH', `/api/v1/admin/users/${admin2.id}`, { token: admin.token, body: { role: 'member' } }))
        .status,
    ).toBe(403);
    expect(
      (await s.request('PATCH', `/api/v1/admin/users/${member.id}`, { token: admin.token, body: { role: 'admin' } }))
        .status,
    ).toBe(403);
    expect(
      (await s.request('PATCH', `/api/v1/admin/users/${member.id}`, { token: admin.token, body: { role: 'owner' } }))
        .status,
    ).toBe(400);
    expect(
      (await s.request('POST', `/api/v1/admin/users/${owner.id}/revoke-sessions`, { token: admin.token })).status,
    ).toBe(403);
    expect(
      (await s.request('POST', `/api/v1/admin/users/${admin2.id}/revoke-sessions`, { token: admin.token })).status,
    ).toBe(403);
    expect(
      (await s.request('POST', '/api/v1/admin/invites', { token: admin.token, body: { role: 'admin' } })).status,
    ).toBe(403);
    expect((await s.request('GET', '/api/v1/me', { token: owner.token })).status).toBe(200);
  });

  it('members reach no admin route, by GET or HEAD; admins do not reach the owner-only outbox', async () => {
    for (const m of ['GET', 'HEAD']) {
      expect((await s.request(m, '/api/v1/admin/users', { token: member.token })).status).toBe(403);
      expect((await s.request(m, '/api/v1/admin/security-events', { token: member.token })).status).toBe(403);
      expect((await s.request(m, '/api/v1/admin/mail/outbox', { token: admin.token })).status).toBe(403);
      expect((await s.request(m, '/api/v1/admin/mail/outbox/abc', { token: admin.token })).status).toBe(403);
      expect((await s.request(m, '/api/v1/admin/users/', { token: member.token })).status).not.toBe(200);
    }
  });

  it('an app password scoped media:read opens no admin or account-changing route', async () => {
    const res = await s.request('POST', '/api/v1/me/app-passwords', {
      token: admin.token,
      body: { name: 'tv', scopes: ['media:read'] },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const ap = res.body.password as string;
    expect((await s.request('GET', '/api/v1/libraries', { token: ap })).status).toBe(200);
    expect((await s.request('GET', '/api/v1/admin/users', { token: ap })).status).toBe(403);
    expect((await s.request('GET', '/api/v1/me/sessions', { token: ap })).status).toBe(403);
    expect(
      (
        await s.request('POST', '/api/v1/me/app-passwords', {
          token: ap,
          body: { name: 'x', scopes: ['media:stream'] },
        })
      ).status,
    ).toBe(403);
    expect(
      (await s.request('POST', '/api/v1/link/approve', { token: ap, body: { user_code: 'ABCD-EFGH', approve: true } }))
        .status,
    ).toBe(403);
  });

  it("nobody removes another user's app password or session by id", async () => {
    const res = await s.request('POST', '/api/v1/me/app-passwords', {
      token: member.token,
      body: { name: 'phone', scopes: ['media:read'] },
    });
    const id = res.body.app_password.id as string;
    expect((await s.request('DELETE', `/api/v1/me/app-passwords/${id}`, { token: admin.token })).status).toBe(404);
    const sessions = (await s.request('GET', '/api/v1/me/sessions', { token: member.token })).body as { id: string }[];
    expect((await s.request('DELETE', `/api/v1/me/sessions/${sessions[0]!.id}`, { token: admin.token })).status).toBe(
      404,
    );
    expect((await s.request('GET', '/api/v1/me', { token: res.body.password })).status).toBe(403); // scope, not revoked
  });

  it("S25: an admin cannot cancel the owner's invitation to become an admin; the owner can", async () => {
    const inv = await s.request('POST', '/api/v1/admin/invites', { token: owner.token, body: { role: 'admin' } });
    expect(inv.status).toBe(201);
    const res = await s.request('DELETE', `/api/v1/admin/invites/${inv.body.invite.id}`, { token: admin2.token });
    expect(res.status).toBe(403);
    const member = await s.request('POST', '/api/v1/admin/invites', { token: admin2.token, body: {} });
    expect(
      (await s.request('DELETE', `/api/v1/admin/invites/${member.body.invite.id}`, { token: admin2.token })).status,
    ).toBe(200);
    expect(
      (await s.request('DELETE', `/api/v1/admin/invites/${inv.body.invite.id}`, { token: owner.token })).status,
    ).toBe(200);
  });
  it('S25: disabling an admin voids the invitations they handed out', async () => {
    const u = await s.createUser({ username: 'ada', role: 'admin' });
    const tok = await s.login(u.username, u.password);
    const inv = await s.request('POST', '/api/v1/admin/invites', { token: tok, body: {} });
    expect(inv.status).toBe(201);
    expect(
      (await s.request('PATCH', `/api/v1/admin/users/${u.id}`, { token: owner.token, body: { disabled: true } }))
        .status,
    ).toBe(200);
    const reg = await s.request('POST', '/api/v1/auth/register', {
      body: {
        invite_token: inv.body.token,
        username: 'newbie',
        email: 'newbie@example.org',
        password: 'quiet maple lantern river',
      },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(400);
    expect(reg.body.error.code).toBe('invalid_token');
    expect(
      (
        await s.request('POST', '/api/v1/auth/login', {
          body: { login: 'newbie', password: 'quiet maple lantern river' },
        })
      ).status,
    ).not.toBe(200);
  });
  it('S25: an admin cannot name the owner or another admin in a breach response; the owner can', async () => {
    const res = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: admin.token,
      body: { scope: { users: [OWNER.username] }, reason: 'r', message: 'You were in a breach.' },
    });
    // The same admin is refused 403 by POST /admin/users/:id/revoke-sessions for the owner.
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(403);
    expect(res.body.error.message).toContain(OWNER.username);
    const other = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: admin.token,
      body: { scope: { users: ['adele', 'mia'] }, reason: 'r', message: 'You were in a breach.', dry_run: true },
    });
    expect(other.status).toBe(403);
    expect((await s.request('GET', '/api/v1/me', { token: owner.token })).status).toBe(200);
    // Members, and the admin itself, may be named by an admin; the owner may name an admin.
    const members = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: admin.token,
      body: { scope: { users: ['mia', 'adam'] }, reason: 'r', message: 'You were in a breach.', dry_run: true },
    });
    expect(members.status, JSON.stringify(members.body).slice(0, 300)).toBe(200);
    const byOwner = await s.request('POST', '/api/v1/admin/breach-responses', {
      token: owner.token,
      body: { scope: { users: ['adele'] }, reason: 'r', message: 'You were in a breach.', dry_run: true },
    });
    expect(byOwner.status, JSON.stringify(byOwner.body).slice(0, 300)).toBe(200);
  });
});
