import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { claimSetup, isSetupDone } from '../../accounts/setup.ts';
import type { Deps } from '../../deps.ts';
import { requestContext } from '../auth.ts';
import { Body, Password, UserSchema, errors } from '../schemas.ts';

export function systemRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/health',
    {
      config: { access: 'public' },
      schema: { tags: ['system'], response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
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
        response: { 201: Type.Object({ user: UserSchema }), ...errors(400, 403, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const user = await claimSetup(deps, { setupToken: body.setup_token, ...body }, requestContext(request), request.now);
      return reply.status(201).send({ user });
    },
  );
}
