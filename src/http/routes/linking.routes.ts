import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { APP_SCOPES } from '../../accounts/scopes.ts';
import type { Deps } from '../../deps.ts';
import { createAppPassword, listAppPasswords, revokeAppPassword } from '../../linking/app-passwords.ts';
import { decideLink, lookupLinkCode, pollLinkCode, requestLinkCode } from '../../linking/device-codes.ts';
import { requestContext, requireAuth } from '../auth.ts';
import { Body, IdParams, IsoDate, Label, Nullable, NullableIsoDate, Ok, UserSchema, errors } from '../schemas.ts';

const UserCode = Type.String({
  minLength: 1,
  maxLength: 32,
  description: 'XXXX-XXXX; case, dashes and spaces are ignored',
});

const LinkRequestSchema = Type.Object({
  user_code: Type.String(),
  device_name: Type.String(),
  platform: Type.String(),
  client: Type.String(),
  ip: Nullable(Type.String()),
  created_at: IsoDate,
  expires_at: IsoDate,
});

const AppScopeSchema = Type.Enum(APP_SCOPES);

const AppPasswordSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(AppScopeSchema),
  created_at: IsoDate,
  last_used_at: NullableIsoDate,
  last_used_ip: Nullable(Type.String()),
  expires_at: IsoDate,
});

export function linkingRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/v1/link/codes',
    {
      config: { access: 'public' },
      schema: {
        tags: ['linking'],
        description: 'A TV asks for a code pair (RFC 8628 3.1-3.2).',
        body: Body({
          client: Label({ minLength: 1, maxLength: 50 }),
          platform: Label({ minLength: 1, maxLength: 50 }),
          device_name: Label({ minLength: 1, maxLength: 100 }),
        }),
        response: {
          200: Type.Object({
            device_code: Type.String(),
            user_code: Type.String(),
            verification_uri: Type.String(),
            verification_uri_complete: Type.String(),
            expires_in: Type.Integer(),
            interval: Type.Integer(),
          }),
          ...errors(400, 429),
        },
      },
    },
    async (request) =>
      requestLinkCode(
        deps,
        { client: request.body.client, platform: request.body.platform, deviceName: request.body.device_name },
        requestContext(request),
        request.now,
      ),
  );

  app.post(
    '/api/v1/link/token',
    {
      config: { access: 'public' },
      schema: {
        tags: ['linking'],
        description:
          'The TV polls (RFC 8628 3.4-3.5): authorization_pending, slow_down (details.interval is the new interval), ' +
          'access_denied, expired_token, invalid_grant, or its token once.',
        body: Body({ device_code: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          200: Type.Object({ token: Type.String(), token_type: Type.Literal('Bearer'), user: UserSchema }),
          ...errors(400),
        },
      },
    },
    async (request) => {
      const result = await pollLinkCode(deps, request.body.device_code, requestContext(request), request.now);
      return { token: result.token, token_type: 'Bearer' as const, user: result.user };
    },
  );

  app.post(
    '/api/v1/link/lookup',
    {
      schema: {
        tags: ['linking'],
        description: 'Which device asks for this code: for the approval page.',
        body: Body({ user_code: UserCode }),
        response: { 200: LinkRequestSchema, ...errors(400, 401, 403, 429) },
      },
    },
    async (request) =>
      lookupLinkCode(deps, requireAuth(request), request.body.user_code, requestContext(request), request.now),
  );

  app.post(
    '/api/v1/link/approve',
    {
      schema: {
        tags: ['linking'],
        description: 'Approves (approve: true) or denies the device that shows this code.',
        body: Body({ user_code: UserCode, approve: Type.Boolean() }),
        response: {
          200: Type.Object({ ok: Type.Literal(true), approved: Type.Boolean(), device: LinkRequestSchema }),
          ...errors(400, 401, 403, 429),
        },
      },
    },
    async (request) => {
      const result = await decideLink(
        deps,
        requireAuth(request),
        { userCode: request.body.user_code, approve: request.body.approve },
        requestContext(request),
        request.now,
      );
      return { ok: true as const, ...result };
    },
  );

  app.post(
    '/api/v1/me/app-passwords',
    {
      config: { fresh: true },
      schema: {
        tags: ['account'],
        description: 'Makes an app password; the password is in this answer only.',
        body: Body({
          name: Label({ minLength: 1, maxLength: 100 }),
          scopes: Type.Array(AppScopeSchema, { minItems: 1, maxItems: APP_SCOPES.length, uniqueItems: true }),
        }),
        response: {
          201: Type.Object({ password: Type.String(), app_password: AppPasswordSchema }),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const result = await createAppPassword(
        deps,
        requireAuth(request),
        request.body,
        requestContext(request),
        request.now,
      );
      void reply.status(201);
      return { password: result.password, app_password: result.appPassword };
    },
  );

  app.get(
    '/api/v1/me/app-passwords',
    {
      schema: { tags: ['account'], response: { 200: Type.Array(AppPasswordSchema), ...errors(401, 403) } },
    },
    async (request) => listAppPasswords(deps, requireAuth(request).userId, request.now),
  );

  app.delete(
    '/api/v1/me/app-passwords/:id',
    {
      schema: { tags: ['account'], params: IdParams, response: { 200: Ok, ...errors(401, 403, 404) } },
    },
    async (request) => {
      await revokeAppPassword(deps, requireAuth(request), request.params.id, requestContext(request), request.now);
      return { ok: true as const };
    },
  );
}
