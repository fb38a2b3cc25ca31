// Every endpoint: bad input gets a 4xx JSON error with a stable code and writes nothing (S80); responses
// carry no hash or secret (S81); security headers on every answer (S82); nobody sets or reads another
// user's password (S33).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { errorCodes } from '../../src/errors.ts';
import { OWNER, dumpStore, expectError, setupOwner, storeSnapshot } from '../helpers/accounts.ts';
import { startTestServer, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

type Operation = {
  parameters?: { in: string; name: string }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
};
type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: unknown;
};

/** Every property name anywhere in a schema, with its path. */
function propertyNames(
  schema: JsonSchema | undefined,
  path = '',
): { name: string; path: string; schema: JsonSchema }[] {
  if (!schema || typeof schema !== 'object') return [];
  const out: { name: string; path: string; schema: JsonSchema }[] = [];
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    out.push({ name, path: `${path}.${name}`, schema: sub });
    out.push(...propertyNames(sub, `${path}.${name}`));
  }
  for (const sub of [schema.items, ...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
    out.push(...propertyNames(sub, path));
  return out;
}

const STACK_TRACE = /\bat \S+ \(|node_modules|\.ts:\d+|\/work\/|Error: /;

function expectCleanError(res: ApiResponse, status: number, code: string): void {
  expectError(res, status, code as keyof typeof errorCodes);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.stringify(res.body)).not.toMatch(STACK_TRACE);
}

describe.each(await storeKinds())('bad input on %s (S80)', (store) => {
  let s: TestServer;
  let token: string;
  let before: string;
  beforeAll(async () => {
    // No background workers: a mail job finishing meanwhile would be a change nobody's request made.
    s = await startTestServer({ store, background: false });
    token = (await setupOwner(s)).token;
    await s.createUser({ username: 'bystander', password: 'tinsel walrus cargo plume' });
    before = await storeSnapshot(s, ['security_events', 'throttle']);
  });
  afterAll(async () => s?.close());

  const raw = (method: string, path: string, payload: string, contentType = 'application/json', auth = true) =>
    s.request(method, path, { ...(auth ? { token } : {}), body: payload, headers: { 'content-type': contentType } });

  it('S80: malformed JSON gets 400 invalid_json', async () => {
    for (const payload of [
      '{',
      '{"login": "owner",}',
      "{'login': 'owner'}",
      '{"login": "owner"} trailing',
      'nul',
      '\u0000',
    ]) {
      expectCleanError(
        await raw('POST', '/api/v1/auth/login', payload, 'application/json', false),
        400,
        'invalid_json',
      );
    }
    expectCleanError(await raw('PATCH', '/api/v1/me', '{"display_name": '), 400, 'invalid_json');
  });

  it('S80: an empty body where JSON was announced gets 400 invalid_json', async () => {
    expectCleanError(await raw('POST', '/api/v1/auth/login', '', 'application/json', false), 400, 'invalid_json');
  });

  it('S80: a JSON prototype-poisoning body is refused', async () => {
    for (const payload of [
      '{"login":"a","password":"b","__proto__":{"role":"owner"}}',
      '{"display_name":"x","constructor":{"prototype":{"role":"owner"}}}',
    ]) {
      expectCleanError(await raw('PATCH', '/api/v1/me', payload), 400, 'invalid_json');
    }
  });

  it('S80: wrong types get 400 invalid_body naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/auth/login', { login: 'owner', password: 12345678 }, 'password'],
      ['POST', '/api/v1/auth/login', { login: ['owner'], password: 'x' }, 'login'],
      ['PATCH', '/api/v1/me', { display_name: { first: 'a' } }, 'display_name'],
      ['POST', '/api/v1/me/sessions/revoke-all', { include_current: 'yes' }, 'include_current'],
      ['POST', '/api/v1/me/password', { current_password: true, new_password: 'x' }, 'current_password'],
      ['POST', '/api/v1/admin/invites', { expires_in_hours: '24' }, 'expires_in_hours'],
      ['POST', '/api/v1/admin/invites', { role: 'owner' }, 'role'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await s.request(method, path, { token, body });
      expectCleanError(res, 400, 'invalid_body');
      expect(res.body.error.details.field, `${method} ${path}`).toBe(field);
    }
    for (const body of [[], 'text', 42, null, true]) {
      expectCleanError(
        await raw('POST', '/api/v1/auth/login', JSON.stringify(body), 'application/json', false),
        400,
        'invalid_body',
      );
    }
  });

  it('S80: missing fields get 400 invalid_body naming the field', async () => {
    const res = await s.request('POST', '/api/v1/auth/login', { body: { login: 'owner' } });
    expectCleanError(res, 400, 'invalid_body');
    expect(res.body.error.details).toEqual({ field: 'password' });
    expect(res.body.error.message).toContain('"password" is required');
    const none = await s.request('POST', '/api/v1/auth/login', {});
    expectCleanError(none, 400, 'invalid_body');
  });

  it('S80: unknown fields get 400 invalid_body naming the field, also on routes that take no body', async () => {
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/api/v1/auth/login', { login: 'owner', password: OWNER.password, remember: true }, 'remember'],
      ['PATCH', '/api/v1/me', { role: 'owner' }, 'role'],
      ['POST', '/api/v1/auth/login', { login: 'owner', password: 'x', device: { name: 'tv', os: 'x' } }, 'os'],
      ['POST', '/api/v1/auth/logout', { everywhere: true }, 'everywhere'],
      ['DELETE', '/api/v1/me/sessions/some-id', { force: true }, 'force'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await s.request(method, path, { token, body });
      expectCleanError(res, 400, 'invalid_body');
      expect(res.body.error.details.field, `${method} ${path}`).toBe(field);
    }
    expect((await s.request('GET', '/api/v1/me', { token })).status).toBe(200);
  });

  it('S80: a route whose fields are all optional takes no body at all', async () => {
    const other = await s.login(OWNER.username, OWNER.password);
    const res = await s.request('POST', '/api/v1/me/sessions/revoke-all', { token: other });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectError(await s.request('GET', '/api/v1/me', { token }), 401, 'unauthorized');
    token = other;
    before = await storeSnapshot(s, ['security_events', 'throttle']);
  });

  it('S80: a body over 64 KiB gets 413 payload_too_large', async () => {
    const big = JSON.stringify({ login: 'owner', password: 'x'.repeat(65 * 1024) });
    expectCleanError(await raw('POST', '/api/v1/auth/login', big, 'application/json', false), 413, 'payload_too_large');
    expectCleanError(
      await raw('PATCH', '/api/v1/me', JSON.stringify({ display_name: 'y'.repeat(70_000) })),
      413,
      'payload_too_large',
    );
  });

  it('S80: a body of 30,000 nested arrays is refused without a crash', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    expectCleanError(await raw('POST', '/api/v1/auth/login', deep, 'application/json', false), 400, 'invalid_body');
    const deepObject = '{"display_name":' + '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000) + '}';
    expectCleanError(await raw('PATCH', '/api/v1/me', deepObject), 400, 'invalid_body');
  });

  it('S80: the wrong content type gets 415 unsupported_media_type', async () => {
    const body = JSON.stringify({ login: 'owner', password: OWNER.password });
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/jsonx',
    ]) {
      expectCleanError(await raw('POST', '/api/v1/auth/login', body, type, false), 415, 'unsupported_media_type');
    }
  });

  it('S80: text no store can hold (NUL, unpaired surrogates) gets 400 invalid_body in bodies, queries and paths', async () => {
    expectCleanError(
      await s.request('POST', '/api/v1/auth/login', { body: { login: 'own\u0000er', password: 'x' } }),
      400,
      'invalid_body',
    );
    expectCleanError(
      await s.request('POST', '/api/v1/auth/login', { body: { login: 'own\ud800er', password: 'x' } }),
      400,
      'invalid_body',
    );
    expectCleanError(
      await s.request('PATCH', '/api/v1/me', { token, body: { display_name: 'a\udc00' } }),
      400,
      'invalid_body',
    );
    expectCleanError(
      await s.request('POST', '/api/v1/admin/invites', { token, body: { email: 'a\u0000@example.org' } }),
      400,
      'invalid_body',
    );
    expectCleanError(await s.request('GET', '/api/v1/me/security-events?type=a%00b', { token }), 400, 'invalid_body');
    expectCleanError(await s.request('DELETE', '/api/v1/me/sessions/a%00b', { token }), 400, 'invalid_body');
  });

  it('S80: bad query strings and path parameters get 400 invalid_body', async () => {
    for (const query of ['limit=abc', 'limit=0', 'limit=100000', 'before=yesterday', 'colour=red']) {
      expectCleanError(await s.request('GET', `/api/v1/me/security-events?${query}`, { token }), 400, 'invalid_body');
    }
    expectCleanError(
      await s.request('DELETE', `/api/v1/me/sessions/${'x'.repeat(100)}`, { token }),
      400,
      'invalid_body',
    );
  });

  it('S80: a URL the router cannot decode gets 400 bad_request in the same shape', async () => {
    for (const path of ['/api/v1/%zz', '/api/v1/me/sessions/%E0%A4%A']) {
      const res = await s.request('GET', path, { token });
      expectCleanError(res, 400, 'bad_request');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('S80: unknown routes and methods get a 404 JSON error', async () => {
    expectCleanError(await s.request('GET', '/api/v1/nothing-here', { token }), 404, 'not_found');
    expectCleanError(await s.request('PUT', '/api/v1/health'), 404, 'not_found');
  });

  it('S80: none of the above wrote anything (security events and throttle counters aside)', async () => {
    expect(JSON.parse(await storeSnapshot(s, ['security_events', 'throttle']))).toEqual(JSON.parse(before));
  });
});

describe.each(await storeKinds())('what responses carry on %s (S81, S33)', (store) => {
  let s: TestServer;
  let doc: { paths: Record<string, Record<string, Operation>> };
  const bodies: { where: string; text: string }[] = [];
  let ownerToken: string;
  let memberToken: string;

  beforeAll(async () => {
    s = await startTestServer({ store });
    const owner = await setupOwner(s);
    ownerToken = owner.token;
    const keep = (where: string, res: ApiResponse) =>
      bodies.push({ where, text: typeof res.body === 'string' ? res.body : JSON.stringify(res.body) });
    keep(
      'setup login',
      await s.request('POST', '/api/v1/auth/login', {
        browser: true,
        body: { login: OWNER.username, password: OWNER.password },
      }),
    );
    const invite = await s.request('POST', '/api/v1/admin/invites', {
      token: ownerToken,
      body: { email: 'newcomer@example.org' },
    });
    keep('invite', invite);
    keep(
      'register',
      await s.request('POST', '/api/v1/auth/register', {
        body: {
          invite_token: invite.body.token,
          username: 'newcomer',
          email: 'newcomer@example.org',
          password: 'dapple frigate lilac mesa',
        },
      }),
    );
    const member = await s.request('POST', '/api/v1/auth/login', {
      body: { login: 'newcomer', password: 'dapple frigate lilac mesa' },
    });
    keep('member login', member);
    memberToken = member.body.token;
    keep(
      'reauth',
      await s.request('POST', '/api/v1/auth/reauth', { token: ownerToken, body: { password: OWNER.password } }),
    );
    ownerToken = JSON.parse(bodies.at(-1)!.text).token;
    keep(
      'password change',
      await s.request('POST', '/api/v1/me/password', {
        token: memberToken,
        body: {
          current_password: 'dapple frigate lilac mesa',
          new_password: 'emerald kayak nectar spool',
          sign_out_others: false,
        },
      }),
    );
    memberToken = JSON.parse(bodies.at(-1)!.text).token;
    keep(
      'profile',
      await s.request('PATCH', '/api/v1/me', {
        token: ownerToken,
        body: { display_name: 'Owner', email: 'owner2@example.org' },
      }),
    );
    doc = (await s.request('GET', '/api/openapi.json')).body;

    // Every GET route, as the owner and as a member, with every id the store knows and one it does not.
    const dump = await dumpStore(s);
    const ids = [
      'does-not-exist',
      ...dump.users!.map((u) => String(u.id)),
      ...dump.sessions!.map((r) => String(r.id)),
      ...dump.invites!.map((r) => String(r.id)),
    ];
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!item.get) continue;
      const urls = path.includes('{') ? ids.map((id) => path.replace(/\{[^}]+\}/g, id)) : [path];
      for (const url of urls) {
        for (const [who, token] of [
          ['owner', ownerToken],
          ['member', memberToken],
        ] as const) {
          const res = await s.request('GET', url, { token });
          expect(res.status, `${who} GET ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
          keep(`${who} GET ${url}`, res);
        }
      }
    }
  });
  afterAll(async () => s?.close());

  it('S81: no response holds a value from a hash, secret, seed or key column of any table', async () => {
    const dump = await dumpStore(s);
    const secrets: { where: string; value: string }[] = [];
    for (const [table, rows] of Object.entries(dump)) {
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (
            /hash|secret|seed|encrypted|cipher|key/i.test(column) &&
            typeof value === 'string' &&
            value.length >= 16
          ) {
            secrets.push({ where: `${table}.${column}`, value });
          }
        }
      }
    }
    expect(secrets.filter((x) => x.where === 'users.password_hash')).toHaveLength(2);
    expect(secrets.filter((x) => x.where === 'sessions.token_hash').length).toBeGreaterThan(2);
    expect(bodies.length).toBeGreaterThan(20);
    for (const { where, text } of bodies) {
      for (const secret of secrets) expect(text.includes(secret.value), `${where} shows ${secret.where}`).toBe(false);
      expect(text, where).not.toMatch(/\$argon2id\$|"password_hash"|"token_hash"/);
    }
  });

  it('S81: every route declares its error responses, and every route that changes something its success answer', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const codes = Object.keys(op.responses ?? {});
        expect(codes.length, `${method} ${path}`).toBeGreaterThan(0);
        if (method !== 'get' && method !== 'head')
          expect(
            codes.some((c) => c.startsWith('2')),
            `${method} ${path} declares no 2xx`,
          ).toBe(true);
      }
    }
  });

  // Secrets shown once on purpose (a new app password, a TOTP seed while enrolling) are not hashes; what
  // must never leave is what the store keeps to check them, which the value scan above covers too.
  it('S81: no response schema has a hash or pepper field', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const response of Object.values(op.responses ?? {})) {
          for (const { name, path: at } of propertyNames(response.content?.['application/json']?.schema)) {
            expect(name, `${method} ${path} answers ${at}`).not.toMatch(/hash|pepper|_enc(rypted)?$/i);
          }
        }
      }
    }
  });

  it('S33: no admin route, and no route naming another user, takes or returns a password', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const takes = propertyNames(op.requestBody?.content['application/json']?.schema).filter((p) =>
          /(^|_)password$/i.test(p.name),
        );
        if (takes.length === 0) continue;
        expect(path, `${method} ${path} takes ${takes.map((t) => t.name)}`).not.toMatch(/\/admin\//);
        expect(path, `${method} ${path} takes a password and names a resource`).not.toContain('{');
      }
    }
  });

  it('S33: an admin cannot set a password through the user update route', async () => {
    const users = (await s.request('GET', '/api/v1/admin/users', { token: ownerToken })).body as {
      id: string;
      username: string;
    }[];
    const member = users.find((u) => u.username === 'newcomer')!;
    for (const field of ['password', 'new_password', 'password_hash']) {
      const res = await s.request('PATCH', `/api/v1/admin/users/${member.id}`, {
        token: ownerToken,
        body: { [field]: 'chosen by the admin 1' },
      });
      expectError(res, 400, 'invalid_body');
      expect(res.body.error.details.field).toBe(field);
    }
    expect(
      (
        await s.request('POST', '/api/v1/auth/login', {
          body: { login: 'newcomer', password: 'emerald kayak nectar spool' },
        })
      ).status,
    ).toBe(200);
  });

  it('S33: user views, for the user and for admins, hold no password or hash field', async () => {
    const expected = [
      'anti_phishing_phrase',
      'created_at',
      'disabled',
      'display_name',
      'email',
      'email_verified',
      'id',
      'password_changed_at',
      'password_reset_required',
      'role',
      'username',
    ];
    const me = await s.request('GET', '/api/v1/me', { token: memberToken });
    expect(Object.keys(me.body).sort()).toEqual(expected);
    const list = await s.request('GET', '/api/v1/admin/users', { token: ownerToken });
    for (const user of list.body) expect(Object.keys(user).sort()).toEqual(expected);
  });
});

describe('security headers (S82)', () => {
  let s: TestServer;
  let web: string;
  let token: string;
  beforeAll(async () => {
    web = mkdtempSync(join(tmpdir(), 'hearth-web-'));
    writeFileSync(
      join(web, 'index.html'),
      '<!doctype html><title>Hearth</title><script type="module" src="/assets/app.js"></script>',
    );
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log("hearth")');
    s = await startTestServer({ webDist: web });
    token = (await setupOwner(s)).token;
  });
  afterAll(async () => {
    await s?.close();
    rmSync(web, { recursive: true, force: true });
  });

  function expectSecurityHeaders(res: ApiResponse, what: string): void {
    const csp = String(res.headers['content-security-policy'] ?? '');
    expect(csp, what).toContain("default-src 'self'");
    expect(csp, what).toContain("frame-ancestors 'none'");
    expect(csp, what).toContain("object-src 'none'");
    expect(csp, what).toContain("base-uri 'none'");
    expect(csp, what).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers['x-content-type-options'], what).toBe('nosniff');
    expect(res.headers['referrer-policy'], what).toBe('no-referrer');
    expect(res.headers['x-frame-options'], what).toBe('DENY');
  }

  it('S82: API answers carry the headers and are not cached', async () => {
    const answers: [string, ApiResponse][] = [
      ['health', await s.request('GET', '/api/v1/health')],
      ['me', await s.request('GET', '/api/v1/me', { token })],
      ['401', await s.request('GET', '/api/v1/me')],
      ['400', await s.request('POST', '/api/v1/auth/login', { body: {} })],
      [
        '413',
        await s.request('POST', '/api/v1/auth/login', {
          body: 'x'.repeat(70_000),
          headers: { 'content-type': 'application/json' },
        }),
      ],
      [
        '415',
        await s.request('POST', '/api/v1/auth/login', { body: 'a=b', headers: { 'content-type': 'text/plain' } }),
      ],
      ['openapi', await s.request('GET', '/api/openapi.json')],
    ];
    for (const [what, res] of answers) {
      expectSecurityHeaders(res, what);
      expect(res.headers['cache-control'], what).toBe('no-store');
    }
  });

  it('S82: an API answer reached through a percent-encoded path is not cached either', async () => {
    // The router decodes %61 to "a" and runs GET /api/v1/me: the raw URL does not start with /api/.
    for (const path of ['/%61pi/v1/me', '/%61%70%69/v1/me', '/%61pi/v1/me?x=1']) {
      const res = await s.request('GET', path, { token });
      expect(res.status, path).toBe(200);
      expect(res.body.username, path).toBe('owner');
      expectSecurityHeaders(res, path);
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
  });

  it('S82: answers outside the API that set no caching of their own are not cached', async () => {
    for (const [method, path] of [
      ['POST', '/somewhere'],
      ['DELETE', '/settings/devices'],
      ['GET', '/api/v1/%zz'],
    ]) {
      const res = await s.request(method!, path!);
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.headers['cache-control'], `${method} ${path}`).toBe('no-store');
    }
  });

  it('S80: an unknown API path spelled with percent-escapes gets the JSON 404, not the web app', async () => {
    for (const path of ['/%61pi/v1/nothing-here', '/%61pi', '/api%2Fv1%2Fnothing', '/%61pi/v1/nothing?next=/']) {
      const res = await s.request('GET', path, { token });
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      expect(res.body.error.code, path).toBe('not_found');
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
    // A deep link of the web app with an escape in it is still the web app.
    const page = await s.request('GET', '/settings/%64evices');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Hearth</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  it('S82: 404s and undecodable URLs carry the headers', async () => {
    for (const path of ['/api/v1/nothing', '/api/nothing', '/api/v1/%zz'])
      expectSecurityHeaders(await s.request('GET', path), path);
    expectSecurityHeaders(await s.request('POST', '/somewhere'), 'POST /somewhere');
  });

  it('S82: the web app, its deep links and its assets carry the headers and load before sign-in', async () => {
    for (const path of ['/', '/settings/devices', '/register', '/assets/app.js']) {
      const res = await s.request('GET', path);
      expect(res.status, path).toBe(200);
      expectSecurityHeaders(res, path);
    }
    expect((await s.request('GET', '/settings/devices')).body).toContain('<title>Hearth</title>');
    expect((await s.request('GET', '/assets/app.js')).headers['content-type']).toMatch(/javascript/);
  });

  it('S82: under https the answers also carry Strict-Transport-Security', async () => {
    const secure = await startTestServer({ env: { HEARTH_PUBLIC_URL: 'https://media.example.org' } });
    try {
      for (const path of ['/api/v1/health', '/api/v1/nothing']) {
        const res = await secure.request('GET', path);
        expectSecurityHeaders(res, path);
        expect(res.headers['strict-transport-security']).toMatch(/max-age=\d{7,}/);
      }
    } finally {
      await secure.close();
    }
  });
});
