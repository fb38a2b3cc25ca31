// Routes for the flows that arrive by mail: password reset, address verification and change, and
// "this wasn't me". Links in mails carry their token in the fragment; the page posts it here.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { confirmPasswordReset, reportNotMe, requestPasswordReset } from '../../accounts/password-reset.ts';
import { resendVerification, verifyEmail } from '../../accounts/email-verification.ts';
import { requestContext, requireAuth } from '../auth.ts';
import { Body, Ok, Password, errors } from '../schemas.ts';

const Token = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.String({ minLength: 1, maxLength: 254 });

export const RESET_REQUESTED_MESSAGE =
  'If an account uses this address, a message with a reset link is on its way. The link works once, for 30 minutes.';

export function mailLinkRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/v1/auth/password-reset/request',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description: 'Mails a reset link if an account has this address. The answer is the same either way (S10).',
        body: Body({ email: Email }),
        response: {
          202: Type.Object({ status: Type.Literal('requested'), message: Type.String() }),
          ...errors(400, 429),
        },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body.email, requestContext(request), request.now);
      return reply.status(202).send({ status: 'requested' as const, message: RESET_REQUESTED_MESSAGE });
    },
  );

  app.post(
    '/api/v1/auth/password-reset/confirm',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description:
          'Sets a new password with the token from a reset mail. Signs every device out and does not sign in.',
        body: Body({ token: Token, new_password: Password, code: Type.Optional(Type.String({ maxLength: 64 })) }),
        response: { 200: Type.Object({ ok: Type.Literal(true), username: Type.String() }), ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      const body = request.body;
      const { username } = await confirmPasswordReset(
        deps,
        { token: body.token, newPassword: body.new_password, ...(body.code !== undefined ? { code: body.code } : {}) },
        requestContext(request),
        request.now,
      );
      return { ok: true as const, username };
    },
  );

  app.post(
    '/api/v1/auth/verify-email',
    {
      config: { access: 'public' },
      schema: { tags: ['auth'], body: Body({ token: Token }), response: { 200: Ok, ...errors(400) } },
    },
    async (request) => {
      await verifyEmail(deps, request.body.token, requestContext(request), request.now);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/auth/not-me',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description: 'The "This wasn\'t me" link of an alert: signs every device out and requires a new password.',
        body: Body({ token: Token }),
        response: { 200: Type.Object({ ok: Type.Literal(true), message: Type.String() }), ...errors(400) },
      },
    },
    async (request) => {
      const { resetLinkSent } = await reportNotMe(deps, request.body.token, requestContext(request), request.now);
      return {
        ok: true as const,
        message: resetLinkSent
          ? 'Every device was signed out of your account. A link to choose a new password is on its way to your email address.'
          : 'Every device was signed out of your account and it is locked. Your former address now belongs to another ' +
            "account, so no reset link was sent: ask this server's admin to give you access again.",
      };
    },
  );

  app.post(
    '/api/v1/me/email/verification',
    {
      schema: {
        tags: ['account'],
        description: 'Sends another verification link.',
        response: { 200: Ok, ...errors(401, 403, 409, 429) },
      },
    },
    async (request) => {
      await resendVerification(deps, requireAuth(request), request.now);
      return { ok: true as const };
    },
  );
}
