// S80, property-based: random bodies, random JSON values, random raw text and random content types thrown
// at every route listed in /api/openapi.json, with no token, a member's and the owner's, get only 4xx JSON
// errors with a stable code (never a 5xx, never a stack trace) and change nothing in the store.
import fc from 'fast-check';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors.ts';
import { dumpStore, setupOwner, storeSnapshot } from '../helpers/accounts.ts';
import { startTestServer, testClock, type ApiResponse, type TestServer } from '../helpers/server.ts';
import { storeKinds } from '../helpers/services.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: false }));

const STACK_TRACE = /\bat \S+ \(|node_modules|\.ts:\d+|\/work\/|Error: |\n\s+at /;
const CHANGING_TABLES_ALLOWED = ['security_events', 'throttle'];

interface Route {
  method: string;
  path: string;
  /** null when the route declares no JSON body. */
  accepts: ((value: unknown) => boolean) | null;
  properties: string[];
  /** Each field's declared type, so generated bodies get past the shape and into the handlers. */
  types: Record<string, string | undefined>;
  required: string[];
}

/** Mirrors the server's text rule: NUL and unpaired surrogates are never valid. */
function storable(value: unknown): boolean {
  if (typeof value === 'string') return !/[\u0000\p{Cs}]/u.test(value);
  if (value === null || typeof value !== 'object') return true;
  return Object.entries(value).every(([k, v]) => storable(k) && storable(v));
}

function routesOf(doc: {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: object }> } }>>;
}): Route[] {
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'head') continue;
      const schema = op.requestBody?.content?.['application/json']?.schema as
        | { properties?: Record<string, { type?: string }>; required?: string[] }
        | undefined;
      let accepts: Route['accepts'] = null;
      if (schema) {
        const validate: ValidateFunction = ajv.compile(schema);
        accepts = (value) => storable(value) && validate(structuredClone(value)) === true;
      }
      const properties = schema?.properties ?? {};
      routes.push({
        method: method.toUpperCase(),
        path,
        accepts,
        properties: Object.keys(properties),
        types: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v.type])),
        required: schema?.required ?? [],
      });
    }
  }
  return routes;
}

/** Any bytes, percent-encoded: valid and invalid UTF-8, slashes, dots, NUL. */
const pathSegment = (known: string[]) =>
  fc.oneof(
    fc.constantFrom(...known),
    fc
      .uint8Array({ minLength: 1, maxLength: 90 })
      .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,70}$/),
  );

const nasty = fc.constantFrom(
  '',
  'owner',
  'owner@example.org',
  '0',
  'null',
  '__proto__',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '\u202e',
  'ﬀ'.repeat(3),
  '%00',
  '../../etc/passwd',
);
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  nasty,
  fc.tuple(fc.string(), nasty).map(([a, b]) => a + b),
);
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
      tie('array'),
      tie('object'),
    ),
    array: fc.array(tie('value'), { maxLength: 4 }),
    object: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  })).value,
);

/** Objects built from the route's own field names with random values: they get past "must be object". */
function nearMiss(route: Route) {
  if (route.properties.length === 0) return fc.dictionary(text, jsonValue, { minKeys: 1, maxKeys: 3 });
  return fc
    .tuple(
      fc.subarray(route.properties),
      fc.array(jsonValue, { minLength: route.properties.length, maxLength: route.properties.length }),
      fc.option(fc.tuple(text, jsonValue), { nil: undefined }),
    )
    .map(([keys, values, extra]) => {
      const body: Record<string, unknown> = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
      if (extra) body[extra[0]] = extra[1];
      return body;
    });
}

/** Bodies of the declared shape with random values of the declared types: most are valid or nearly so. */
function shaped(route: Route) {
  const valueOf = (type: string | undefined) =>
    type === 'string'
      ? text
      : type === 'integer'
        ? fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31, Number.MAX_SAFE_INTEGER))
        : type === 'boolean'
          ? fc.boolean()
          : jsonValue;
  const optional = route.properties.filter((p) => !route.required.includes(p));
  return fc
    .tuple(fc.subarray(optional), fc.constant(route.required))
    .chain(([opt, req]) => fc.record(Object.fromEntries([...req, ...opt].map((k) => [k, valueOf(route.types[k])]))));
}

function expectCleanClientError(res: ApiResponse, what: string): void {
  const detail = `${what} -> ${res.status} ${typeof res.body === 'string' ? res.body.slice(0, 300) : JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, detail).toBeGreaterThanOrEqual(400);
  expect(res.status, detail).toBeLessThan(500);
  expect(res.headers['content-type'], detail).toMatch(/^application\/json/);
  expect(Object.keys(errorCodes), detail).toContain(res.body?.error?.code);
  expect(typeof res.body.error.message, detail).toBe('string');
  expect(JSON.stringify(res.body), detail).not.toMatch(STACK_TRACE);
}

describe.each(await storeKinds())('random input at every route on %s (S80)', (store) => {
  let s: TestServer;
  let routes: Route[];
  let tokens: (string | undefined)[];
  let ids: string[];
  let before: string;
  const runs = store === 'sqlite' ? 30 : 12;

  beforeAll(async () => {
    // A still clock and no background workers: whatever changes in the store, a request made it.
    s = await startTestServer({ store, background: false, clock: testClock().clock });
    const owner = await setupOwner(s);
    await s.createUser({ username: 'member1', password: 'quiver lantern saffron dew' });
    const member = await s.login('member1', 'quiver lantern saffron dew');
    tokens = [undefined, member, owner.token];
    routes = routesOf((await s.request('GET', '/api/openapi.json')).body);
    const dump = await dumpStore(s);
    ids = [...dump.users!.map((u) => String(u.id)), ...dump.sessions!.map((r) => String(r.id))];
    before = await storeSnapshot(s, CHANGING_TABLES_ALLOWED);
  });
  afterAll(async () => s?.close());

  const urlFor = (route: Route) =>
    fc
      .array(pathSegment(ids), { minLength: 8, maxLength: 8 })
      .map((segments) => route.path.replace(/\{[^}]+\}/g, () => segments.pop()!));

  it('S80: the routes under test include every account route', () => {
    const listed = routes.map((r) => `${r.method} ${r.path}`);
    for (const r of [
      'POST /api/v1/auth/login',
      'POST /api/v1/setup',
      'PATCH /api/v1/me',
      'POST /api/v1/me/password',
      'PATCH /api/v1/admin/users/{id}',
      'DELETE /api/v1/me/sessions/{id}',
      'POST /api/v1/auth/logout',
    ]) {
      expect(listed).toContain(r);
    }
  });

  it('S80: JSON bodies that do not match a route get a 4xx JSON error, with any token or none', async () => {
    for (const route of routes.filter((r) => r.accepts !== null)) {
      await fc.assert(
        fc.asyncProperty(
          urlFor(route),
          fc.constantFrom(0, 1, 2),
          fc
            .oneof(jsonValue, nearMiss(route), shaped(route))
            .filter((body) => !route.accepts!(JSON.parse(JSON.stringify(body) ?? 'null'))),
          async (url, who, body) => {
            const res = await s.request(route.method, url, {
              token: tokens[who],
              body: JSON.stringify(body) ?? 'null',
              headers: { 'content-type': 'application/json' },
            });
            expectCleanClientError(
              res,
              `${route.method} ${url} as ${['nobody', 'member', 'owner'][who]} with ${JSON.stringify(body)?.slice(0, 200)}`,
            );
          },
        ),
        { numRuns: runs },
      );
    }
  });

  it('S80: raw text that is not JSON, and other content types, get a 4xx JSON error', async () => {
    const bodied = routes.filter((r) => r.method !== 'GET');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodied),
        fc.constantFrom(0, 1, 2),
        fc.oneof(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
          fc.constantFrom('{', '[1,', '{"a":}', 'undefined', '{"__proto__":{"x":1}}'),
        ),
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=z',
          'application/octet-stream',
          'text/html',
        ),
        async (route, who, payload, type) => {
          const isJson = (() => {
            try {
              JSON.parse(payload);
              return type === 'application/json';
            } catch {
              return false;
            }
          })();
          fc.pre(!isJson || route.accepts === null || !route.accepts(JSON.parse(payload)));
          const url = route.path.replace(/\{[^}]+\}/g, ids[0]!);
          const res = await s.request(route.method, url, {
            token: tokens[who],
            body: payload,
            headers: { 'content-type': type },
          });
          expectCleanClientError(res, `${route.method} ${url} (${type}) with ${JSON.stringify(payload).slice(0, 120)}`);
        },
      ),
      { numRuns: runs * 10 },
    );
  });

  it('S80: random path values and query strings on GET routes never get a 5xx, and errors keep their shape', async () => {
    for (const route of routes.filter((r) => r.method === 'GET' && r.path !== '/api/openapi.json')) {
      await fc.assert(
        fc.asyncProperty(
          urlFor(route),
          fc.constantFrom(0, 1, 2),
          fc.dictionary(
            fc.constantFrom('limit', 'before', 'type', 'q', 'offset', 'kind', 'st', 'state', 'x'),
            fc.string({ unit: 'binary', maxLength: 30 }),
            { maxKeys: 3 },
          ),
          async (url, who, query) => {
            const qs = Object.entries(query)
              .map(([k, v]) => `${k}=${[...Buffer.from(v)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`)
              .join('&');
            const full = qs ? `${url}?${qs}` : url;
            const res = await s.request('GET', full, { token: tokens[who] });
            if (res.status >= 400 || res.headers['content-type']?.toString().startsWith('application/json')) {
              if (res.status >= 400)
                expectCleanClientError(res, `GET ${full} as ${['nobody', 'member', 'owner'][who]}`);
            }
            expect(res.status, `GET ${full}`).toBeLessThan(500);
          },
        ),
        { numRuns: Math.ceil(runs / 2) },
      );
    }
  });

  it('S80: after all of it the store is as it was (security events and throttle counters aside)', async () => {
    expect(JSON.parse(await storeSnapshot(s, CHANGING_TABLES_ALLOWED))).toEqual(JSON.parse(before));
  });
});
