// The shared schema pieces: a nullable field is null or its type, in both directions (what a route accepts and
// what its serializer writes), and the OpenAPI document says so the way OpenAPI 3.0 does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { Type } from 'typebox';
import { Nullable, NullableIsoDate, RoleSchema } from '../../src/http/schemas.ts';
import { validatorCompiler } from '../../src/http/validation.ts';
import { expectError, setupOwner } from '../helpers/accounts.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('Nullable and RoleSchema', () => {
  const Shape = Type.Object({
    name: Nullable(Type.String()),
    at: NullableIsoDate,
    size: Nullable(Type.Integer()),
    role: RoleSchema,
  });
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.post('/echo', { schema: { body: Shape, response: { 200: Shape } } }, async (request) => request.body);
  afterAll(() => app.close());

  it('writes null as null and a value as itself (not an empty string or zero)', async () => {
    const nulls = { name: null, at: null, size: null, role: 'member' };
    const values = { name: 'x', at: '2026-11-27T12:00:00.000Z', size: 3, role: 'owner' };
    for (const body of [nulls, values]) {
      const res = await app.inject({ method: 'POST', url: '/echo', payload: body });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(JSON.stringify(body));
    }
  });

  it('accepts null or the type, and refuses anything else', async () => {
    for (const bad of [{ name: 3 }, { at: 'yesterday' }, { size: 'big' }, { role: 'root' }, { role: null }]) {
      const body = { name: null, at: null, size: null, role: 'admin', ...bad };
      const res = await app.inject({ method: 'POST', url: '/echo', payload: body });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
    }
  });
});

describe('nullable fields through the API', () => {
  let s: TestServer;
  let owner: { id: string; token: string };
  beforeAll(async () => {
    s = await startTestServer();
    owner = await setupOwner(s);
  });
  afterAll(() => s.close());

  it('GET /api/v1/me gives null for what is not set, and the value once it is', async () => {
    const before = await s.request('GET', '/api/v1/me', { token: owner.token });
    expect(before.body).toMatchObject({ display_name: null, anti_phishing_phrase: null, role: 'owner' });
    await s.request('PATCH', '/api/v1/me', { token: owner.token, body: { display_name: 'The Owner' } });
    const after = await s.request('GET', '/api/v1/me', { token: owner.token });
    expect(after.body).toMatchObject({ display_name: 'The Owner', anti_phishing_phrase: null });
    const cleared = await s.request('PATCH', '/api/v1/me', { token: owner.token, body: { display_name: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.display_name).toBeNull();
    expectError(
      await s.request('PATCH', '/api/v1/me', { token: owner.token, body: { display_name: 7 } }),
      400,
      'invalid_body',
    );
  });

  it('the OpenAPI document writes them as OpenAPI 3.0 does', async () => {
    const doc = (await s.request('GET', '/api/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\.0\./);
    const user = doc.paths['/api/v1/me'].get.responses['200'].content['application/json'].schema;
    expect(user.properties.display_name).toEqual({ type: 'string', nullable: true });
    expect(user.properties.password_changed_at).toEqual({ type: 'string', format: 'date-time', nullable: true });
    expect(user.properties.role).toEqual({ type: 'string', enum: ['owner', 'admin', 'member'] });
  });
});
