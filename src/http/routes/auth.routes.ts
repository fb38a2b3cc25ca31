import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { peekInvite, registerWithInvite } from '../../accounts/invites.ts';
import { completeSignIn, reauthenticate, signIn } from '../../accounts/sign-in.ts';
import type { Deps, SignInContext } from '../../deps.ts';
import { signOut } from '../../accounts/sign-out.ts';
import {
  clearSessionCookie,
  cookieNames,
  isSameOrigin,
  requestContext,
  requireAuth,
  setDeviceCookie,
  setSessionCookie,
} from '../auth.ts';
import { MfaAnswer, SessionAnswer, type MfaChallenge } from '../../wire/accounts.ts';
import { Body, DeviceSchema, Ok, Password, errors } from '../schemas.ts';

export function signInContext(request: FastifyRequest, deps: Deps): SignInContext {
  const names = cookieNames(deps.config.secure);
  const header = request.headers['x-hearth-device'];
  return {
    ...requestContext(request),
    deviceMarker: (typeof header === 'string' ? header : undefined) ?? request.cookies[names.device],
  };
}

/** Browsers (our own pages) get the cookie; devices and apps keep the token themselves. */
export function sessionKindFor(request: FastifyRequest, deps: Deps): 'web' | 'device' {
  return isSameOrigin(request, deps) ? 'web' : 'device';
}

export function authRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        body: Body({
          login: Type.String({ minLength: 1, maxLength: 254 }),
          password: Password,
          device: Type.Optional(DeviceSchema),
        }),
        response: { 200: Type.Union([SessionAnswer, MfaAnswer]), ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const kind = sessionKindFor(request, deps);
      const result = await signIn(deps, request.body, kind, signInContext(request, deps), request.now);
      if (result.kind === 'mfa')
        return { mfa_required: true, mfa_token: result.mfaToken, methods: result.methods } satisfies MfaChallenge;
      if (kind === 'web') setSessionCookie(reply, deps, result.token);
      setDeviceCookie(reply, deps, result.deviceMarker);
      // Still only what SessionAnswer lists goes out; its own serializer spares the union's runtime check of
      // which branch the answer is (a full validation of the user, dates and all, on every sign-in).
      return reply
        .type('application/json; charset=utf-8')
        .serializer(reply.compileSerializationSchema(SessionAnswer as unknown as Record<string, unknown>, '200'))
        .send({ token: result.token, user: result.user, device_marker: result.deviceMarker });
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { access: 'user', scope: 'account:read' },
      schema: { tags: ['auth'], response: { 200: Ok, ...errors(401, 403) } },
    },
    async (request, reply) => {
      await signOut(deps, requireAuth(request), requestContext(request), request.now);
      clearSessionCookie(reply, deps);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/auth/reauth',
    {
      schema: {
        tags: ['auth'],
        description:
          'Proves the password again for sensitive changes (valid 10 minutes). The session gets a new token (also set as the cookie when the request rode on one); the old token stops working.',
        body: Body({ password: Password }),
        response: { 200: Type.Object({ ok: Type.Literal(true), token: Type.String() }), ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const renewed = await reauthenticate(
        deps,
        requireAuth(request),
        request.body.password,
        signInContext(request, deps),
        request.now,
      );
      if (request.authVia === 'cookie') setSessionCookie(reply, deps, renewed.token);
      return { ok: true as const, token: renewed.token };
    },
  );

  app.post(
    '/api/v1/auth/register',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        body: Body({
          invite_token: Type.String({ minLength: 1, maxLength: 200 }),
          username: Type.String({ minLength: 1, maxLength: 64 }),
          email: Type.String({ minLength: 1, maxLength: 254 }),
          password: Password,
        }),
        response: {
          202: Type.Object({
            status: Type.Literal('registered'),
            message: Type.String(),
            /** True when this browser now holds a session (an invite sent to the address given, from our own pages). */
            signed_in: Type.Boolean(),
          }),
          ...errors(400, 403, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const ctx = requestContext(request);
      const result = await registerWithInvite(
        deps,
        { inviteToken: body.invite_token, username: body.username, email: body.email, password: body.password },
        ctx,
        request.now,
      );
      for (const listener of deps.hooks.registered) await listener(deps, { ...result, ctx }, request.now);
      // The invitee just chose the password and holds an invite sent to this very address: signed in, as a
      // sign-in would (a new session, S20; the cookie, S21). An open invite signs nobody in, so that whether an
      // address already had an account stays unsaid (S10).
      if (result.userId !== null && result.invitedAddress && sessionKindFor(request, deps) === 'web') {
        const session = await completeSignIn(
          deps,
          {
            userId: result.userId,
            sessionKind: 'web',
            device: undefined,
            ctx: signInContext(request, deps),
            passwordStamp: null,
          },
          'invite',
          request.now,
        );
        setSessionCookie(reply, deps, session.token);
        setDeviceCookie(reply, deps, session.deviceMarker);
        return reply.status(202).send({
          status: 'registered' as const,
          message:
            'Welcome: your account is ready and you are signed in. We also sent a message to confirm your address.',
          signed_in: true,
        });
      }
      return reply.status(202).send({
        status: 'registered' as const,
        message:
          'Your account is ready: sign in with your username or email. We also sent a message to confirm your address.',
        signed_in: false,
      });
    },
  );

  app.post(
    '/api/v1/auth/invite',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description:
          'What the registration page shows before its form: the address an invite was sent to (null for an open invite). Does not use the invite up.',
        body: Body({ invite_token: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Type.Object({ email: Type.Union([Type.String(), Type.Null()]) }), ...errors(400, 403, 429) },
      },
    },
    async (request) => peekInvite(deps, request.body.invite_token, request.now),
  );
}
