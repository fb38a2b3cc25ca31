import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { claimSetup, isSetupDone } from '../../accounts/setup.ts';
import { completeSignIn } from '../../accounts/sign-in.ts';
import type { Deps } from '../../deps.ts';
import { serverHealth } from '../../health.ts';
import { requestContext, setDeviceCookie, setSessionCookie } from '../auth.ts';
import { sessionKindFor, signInContext } from './auth.routes.ts';
import { Body, Password, UserSchema, errors } from '../schemas.ts';

export function systemRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/health',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        description:
          '503 when the database cannot be reached or the disk is full: `code` says which, `message` what to do.',
        response: {
          200: Type.Object({ status: Type.Literal('ok') }),
          503: Type.Object({
            status: Type.Literal('unavailable'),
            code: Type.Union([Type.Literal('storage_full'), Type.Literal('store_unavailable')]),
            message: Type.String(),
            since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
          }),
        },
      },
    },
    async (_request, reply) => {
      const health = await serverHealth(deps);
      if (health.status !== 'ok') void reply.status(503);
      return health;
    },
  );

  app.get(
    '/api/v1/setup',
    {
      config: { access: 'public' },
      schema: { tags: ['system'], response: { 200: Type.Object({ setup_required: Type.Boolean() }) } },
    },
    async () => ({ setup_required: !(await isSetupDone(deps)) }),
  );

  app.post(
    '/api/v1/setup',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        body: Body({
          setup_token: Type.String({ minLength: 1, maxLength: 200 }),
          username: Type.String({ minLength: 1, maxLength: 64 }),
          email: Type.String({ minLength: 1, maxLength: 254 }),
          password: Password,
        }),
        response: { 201: Type.Object({ user: UserSchema, signed_in: Type.Boolean() }), ...errors(400, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const ctx = requestContext(request);
      const user = await claimSetup(deps, { setupToken: body.setup_token, ...body }, ctx, request.now);
      // The owner's address gets its confirmation link as an invited member's does.
      for (const listener of deps.hooks.registered)
        await listener(deps, { userId: user.id, email: user.email, ctx }, request.now);
      // The owner just proved the setup token and chose the password: signed in from our own pages, through the
      // same last step as every sign-in (a new session, S20; the cookie, S21).
      if (sessionKindFor(request, deps) === 'web') {
        const session = await completeSignIn(
          deps,
          {
            userId: user.id,
            sessionKind: 'web',
            device: undefined,
            ctx: signInContext(request, deps),
            passwordStamp: null,
          },
          'setup',
          request.now,
        );
        setSessionCookie(reply, deps, session.token);
        setDeviceCookie(reply, deps, session.deviceMarker);
        return reply.status(201).send({ user, signed_in: true });
      }
      return reply.status(201).send({ user, signed_in: false });
    },
  );
}
