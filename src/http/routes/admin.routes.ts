import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { cancelInvite, createInvite, listInviteViews } from '../../accounts/invites.ts';
import { readSecurityEvents } from '../../accounts/security-log.ts';
import { adminRevokeSessions, adminUpdateUser, listUserViews } from '../../accounts/users.ts';
import type { Deps } from '../../deps.ts';
import { requestContext, requireAuth } from '../auth.ts';
import { Body, IdParams, Nullable, Ok, UserSchema, errors } from '../schemas.ts';
import { CreatedInviteSchema, InviteSchema, SecurityEventSchema } from '../../wire/accounts.ts';
import { EventsQuery } from './me.routes.ts';

export function adminRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/admin/users',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], response: { 200: Type.Array(UserSchema), ...errors(401, 403) } },
    },
    async () => listUserViews(deps),
  );

  app.patch(
    '/api/v1/admin/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        params: IdParams,
        body: Body({
          role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('member')])),
          disabled: Type.Optional(Type.Boolean()),
        }),
        response: { 200: UserSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      adminUpdateUser(
        deps,
        requireAuth(request),
        request.params.id,
        request.body,
        requestContext(request),
        request.now,
      ),
  );

  app.post(
    '/api/v1/admin/users/:id/revoke-sessions',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        params: IdParams,
        response: { 200: Type.Object({ ok: Type.Literal(true), revoked: Type.Integer() }), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const revoked = await adminRevokeSessions(deps, auth, request.params.id, requestContext(request), request.now);
      return { ok: true as const, revoked };
    },
  );

  app.get(
    '/api/v1/admin/invites',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], response: { 200: Type.Array(InviteSchema), ...errors(401, 403) } },
    },
    async (request) => listInviteViews(deps, request.now),
  );

  app.post(
    '/api/v1/admin/invites',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        body: Body({
          email: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
          role: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('member')])),
          expires_in_hours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 30 })),
        }),
        response: {
          201: CreatedInviteSchema,
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await createInvite(
        deps,
        requireAuth(request),
        { email: body.email, role: body.role, expiresInHours: body.expires_in_hours },
        requestContext(request),
        request.now,
      );
      for (const listener of deps.hooks.inviteCreated)
        await listener(deps, { ...result, inviterId: requireAuth(request).userId }, request.now);
      return reply.status(201).send(result);
    },
  );

  app.delete(
    '/api/v1/admin/invites/:id',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], params: IdParams, response: { 200: Ok, ...errors(401, 403, 404) } },
    },
    async (request) => {
      await cancelInvite(deps, requireAuth(request), request.params.id, requestContext(request), request.now);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/admin/security-events',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        querystring: EventsQuery,
        response: { 200: Type.Array(SecurityEventSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) =>
      readSecurityEvents(deps, {
        limit: request.query.limit ?? 100,
        before: request.query.before ? new Date(request.query.before) : undefined,
        types: request.query.type ? [request.query.type] : undefined,
      }),
  );
}
