import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { changePassword } from '../../accounts/password-change.ts';
import { passwordStrength } from '../../accounts/password-policy.ts';
import { readSecurityEvents } from '../../accounts/security-log.ts';
import { listSessions } from '../../accounts/sessions.ts';
import { signOutAll, signOutDevice } from '../../accounts/sign-out.ts';
import { toUserView, updateProfile } from '../../accounts/users.ts';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { renameSessionDevice } from '../../store/sessions.repository.ts';
import { requestContext, requireAuth, setSessionCookie } from '../auth.ts';
import { SecurityEventSchema, SessionSchema } from '../../wire/accounts.ts';
import { Body, IdParams, Label, Nullable, Ok, Password, UserSchema, errors } from '../schemas.ts';

export const EventsQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    before: Type.Optional(Type.String({ format: 'date-time' })),
    type: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

export function meRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/me',
    {
      config: { scope: 'account:read' },
      schema: { tags: ['account'], response: { 200: UserSchema, ...errors(401, 403) } },
    },
    async (request) => toUserView(requireAuth(request).user),
  );

  app.patch(
    '/api/v1/me',
    {
      schema: {
        tags: ['account'],
        description:
          'Changing `email` needs a sign-in or re-authentication within the last 10 minutes (401 reauthentication_required otherwise); the new address is unverified until confirmed.',
        body: Body({
          display_name: Type.Optional(Nullable(Label({ maxLength: 100 }))),
          anti_phishing_phrase: Type.Optional(Nullable(Label({ maxLength: 100 }))),
          email: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
        }),
        response: { 200: UserSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request) => updateProfile(deps, requireAuth(request), request.body, requestContext(request), request.now),
  );

  app.post(
    '/api/v1/me/password',
    {
      schema: {
        tags: ['account'],
        description:
          'Changes the password. The session gets a new token (also set as the cookie when the request rode on one); the old token stops working. Other devices are signed out unless sign_out_others is false.',
        body: Body({
          current_password: Password,
          new_password: Password,
          sign_out_others: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Object({ ok: Type.Literal(true), signed_out: Type.Integer(), token: Type.String() }),
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const result = await changePassword(
        deps,
        requireAuth(request),
        {
          currentPassword: body.current_password,
          newPassword: body.new_password,
          signOutOthers: body.sign_out_others ?? true,
        },
        requestContext(request),
        request.now,
      );
      if (request.authVia === 'cookie') setSessionCookie(reply, deps, result.token);
      return { ok: true as const, signed_out: result.signedOut, token: result.token };
    },
  );

  app.post(
    '/api/v1/me/password/strength',
    {
      schema: {
        tags: ['account'],
        description: 'Strength feedback for a candidate password (nothing is stored).',
        body: Body({ password: Password }),
        response: {
          200: Type.Object({
            score: Type.Integer(),
            warning: Nullable(Type.String()),
            suggestions: Type.Array(Type.String()),
          }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      return passwordStrength(request.body.password, [auth.username, auth.email, 'hearth']);
    },
  );

  app.get(
    '/api/v1/me/sessions',
    {
      config: { scope: 'account:read' },
      schema: { tags: ['account'], response: { 200: Type.Array(SessionSchema), ...errors(401, 403) } },
    },
    async (request) => {
      const auth = requireAuth(request);
      return listSessions(deps, auth.userId, auth.sessionId, request.now);
    },
  );

  app.delete(
    '/api/v1/me/sessions/:id',
    {
      schema: { tags: ['account'], params: IdParams, response: { 200: Ok, ...errors(401, 403, 404) } },
    },
    async (request) => {
      await signOutDevice(deps, requireAuth(request), request.params.id, requestContext(request), request.now);
      return { ok: true as const };
    },
  );

  app.patch(
    '/api/v1/me/sessions/:id',
    {
      schema: {
        tags: ['account'],
        description: 'Names one of your own devices as you like ("Living-room laptop"), so two alike are told apart.',
        params: IdParams,
        body: Body({ name: Label({ minLength: 1, maxLength: 100 }) }),
        response: { 200: Ok, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const auth = requireAuth(request);
      const renamed = await renameSessionDevice(
        deps.db,
        auth.userId,
        request.params.id,
        request.body.name.trim(),
        request.now,
      );
      if (!renamed) throw new AppError('not_found');
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/me/sessions/revoke-all',
    {
      schema: {
        tags: ['account'],
        body: Type.Optional(Body({ include_current: Type.Optional(Type.Boolean()) })),
        response: { 200: Type.Object({ ok: Type.Literal(true), revoked: Type.Integer() }), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const revoked = await signOutAll(
        deps,
        requireAuth(request),
        { includeCurrent: request.body?.include_current ?? false },
        requestContext(request),
        request.now,
      );
      return { ok: true as const, revoked };
    },
  );

  app.get(
    '/api/v1/me/security-events',
    {
      config: { scope: 'account:read' },
      schema: {
        tags: ['account'],
        querystring: EventsQuery,
        response: { 200: Type.Array(SecurityEventSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) =>
      readSecurityEvents(deps, {
        userId: requireAuth(request).userId,
        limit: request.query.limit ?? 50,
        before: request.query.before ? new Date(request.query.before) : undefined,
        types: request.query.type ? [request.query.type] : undefined,
      }),
  );
}
