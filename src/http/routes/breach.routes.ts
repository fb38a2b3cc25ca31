// The breach response (owners and admins, with a fresh proof to start one) and the security alerts.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import {
  breachResponseView,
  getBreachResponse,
  listBreachResponseViews,
  MAX_BATCH_SIZE,
  MAX_MESSAGE_LENGTH,
  MAX_REASON_LENGTH,
  startBreachResponse,
} from '../../breach/breach-response.ts';
import { MAX_LOGIN_LENGTH, MAX_SCOPE_USERS } from '../../breach/scope.ts';
import { listSecurityAlertViews } from '../../breach/stuffing.ts';
import type { Deps } from '../../deps.ts';
import { requestContext, requireAuth } from '../auth.ts';
import { Body, IdParams, IsoDate, Nullable, NullableIsoDate, errors } from '../schemas.ts';

/**
 * The start's body limit, above the server's 64 KiB (about 2,500 email addresses), so that the most users a
 * scope may name can be named with the longest names. A name counts four bytes a character (the most UTF-8
 * takes for one, as JSON.stringify writes it) plus its quotes, comma, and the line break and indent of
 * pretty-printed JSON; then the longest reason and notice, and 64 KiB for the rest. About 10 MB, read only
 * for owners and admins: the access check runs when the request arrives, before the body is read.
 */
export const BREACH_START_BODY_LIMIT =
  MAX_SCOPE_USERS * (MAX_LOGIN_LENGTH * 4 + 16) + (MAX_REASON_LENGTH + MAX_MESSAGE_LENGTH) * 4 + 64 * 1024;

const ScopeInput = Type.Union(
  [
    Body({ all: Type.Literal(true) }),
    Body({
      users: Type.Array(Type.String({ minLength: 1, maxLength: MAX_LOGIN_LENGTH }), {
        minItems: 1,
        maxItems: MAX_SCOPE_USERS,
      }),
    }),
    Body({
      active_since: Type.String({ format: 'date-time' }),
      active_until: Type.Optional(Type.String({ format: 'date-time' })),
    }),
  ],
  { description: 'Every user, users by id, username or email, or the users with a session active in a time window.' },
);

const ScopeView = Type.Object({
  all: Type.Optional(Type.Literal(true)),
  users: Type.Optional(Type.Array(Type.String())),
  active_since: Type.Optional(IsoDate),
  active_until: Type.Optional(IsoDate),
});

const Report = Type.Object({
  users_in_scope: Type.Integer(),
  users_flagged: Type.Integer(),
  sessions_revoked: Type.Integer(),
  app_passwords_revoked: Type.Integer(),
  tokens_voided: Type.Integer({
    description: 'Reset and sign-in-alert links, pending sign-in steps and device-link approvals.',
  }),
  invites_voided: Type.Integer(),
  mails_queued: Type.Integer(),
  mails_pending: Type.Integer({ description: 'Queued and not yet sent (nor given up on).' }),
  mails_sent: Type.Integer(),
  mails_failed: Type.Integer(),
  users_reset_since: Type.Integer({ description: 'Users who have chosen a new password since they were flagged.' }),
  users_with_two_factor: Type.Integer(),
  users_with_passkey: Type.Integer(),
  users_with_second_factor: Type.Integer({ description: 'An authenticator app, a passkey, or both.' }),
});

const BreachResponseSchema = Type.Object({
  id: Type.String(),
  state: Type.Union([
    Type.Literal('queued'),
    Type.Literal('flagging'),
    Type.Literal('notifying'),
    Type.Literal('done'),
    Type.Literal('failed'),
    Type.Literal('cancelled'),
  ]),
  scope: ScopeView,
  scope_description: Type.String(),
  reason: Type.String(),
  message: Type.String(),
  rotate_password_key: Type.Boolean(),
  password_key_version: Nullable(Type.Integer()),
  created_by: Type.Object({ id: Nullable(Type.String()), name: Type.String() }),
  created_at: IsoDate,
  flagged_at: NullableIsoDate,
  finished_at: NullableIsoDate,
  error: Nullable(Type.String()),
  report: Report,
});

const PlanSchema = Type.Object({
  dry_run: Type.Literal(true),
  scope: ScopeView,
  scope_description: Type.String(),
  users: Type.Integer(),
  users_already_flagged: Type.Integer(),
  users_sample: Type.Array(Type.String()),
  sessions: Type.Integer(),
  app_passwords: Type.Integer(),
  reset_and_alert_links: Type.Integer(),
  pending_sign_ins: Type.Integer(),
  link_codes: Type.Integer(),
  invites: Type.Integer(),
  mails: Type.Integer(),
  password_key_version: Nullable(Type.Object({ from: Type.Integer(), to: Type.Integer() })),
});

const AlertSchema = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  address: Nullable(Type.String()),
  failures: Type.Integer(),
  accounts: Type.Integer(),
  addresses: Type.Integer(),
  baseline: Nullable(Type.Number()),
  window_minutes: Type.Integer(),
  window_start: IsoDate,
  created_at: IsoDate,
});

export function breachRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/v1/admin/breach-responses',
    {
      config: { access: 'admin', fresh: true },
      bodyLimit: BREACH_START_BODY_LIMIT,
      schema: {
        tags: ['admin'],
        description:
          'Mandatory password reset: flags every user in scope, signs out every session, device and app password, voids ' +
          "outstanding links and queues the notice (the operator's message, then the steps). With dry_run, reports exactly what " +
          'would be done and changes nothing (200). Otherwise 202; a response over the same scope that is still running is ' +
          'returned instead of starting another (created: false) when the start asks the same; one asking for a key rotation, ' +
          'another reason or another notice than the running response is refused (409 conflict, details.differs). A scope ' +
          `that includes the caller signs the caller out too. The body may have up to ${BREACH_START_BODY_LIMIT.toLocaleString('en')} bytes (enough for ` +
          'the most users a scope may name, by names of the longest kind); every other route takes 64 KiB.',
        body: Body({
          scope: ScopeInput,
          reason: Type.String({
            minLength: 1,
            maxLength: MAX_REASON_LENGTH,
            description: 'Kept with the response and the flags; not mailed.',
          }),
          message: Type.String({
            minLength: 1,
            maxLength: MAX_MESSAGE_LENGTH,
            description: 'The notice text: what happened, what was and was not exposed.',
          }),
          dry_run: Type.Optional(Type.Boolean()),
          rotate_password_key: Type.Optional(
            Type.Boolean({ description: 'Only with scope {all: true}: old password hashes stop verifying at once.' }),
          ),
          batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BATCH_SIZE })),
        }),
        response: {
          200: PlanSchema,
          202: Type.Object({ created: Type.Boolean(), response: BreachResponseSchema }),
          ...errors(400, 401, 403, 409, 413),
        },
      },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const body = request.body;
      const result = await startBreachResponse(
        deps,
        auth,
        {
          scope: body.scope,
          reason: body.reason,
          message: body.message,
          dryRun: body.dry_run,
          rotatePasswordKey: body.rotate_password_key,
          batchSize: body.batch_size,
        },
        requestContext(request),
        request.now,
      );
      if (result.dryRun) return reply.status(200).send(result.plan);
      return reply
        .status(202)
        .send({ created: result.created, response: await breachResponseView(deps, result.response) });
    },
  );

  app.get(
    '/api/v1/admin/breach-responses',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(BreachResponseSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => listBreachResponseViews(deps, request.query.limit ?? 20),
  );

  app.get(
    '/api/v1/admin/breach-responses/:id',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], params: IdParams, response: { 200: BreachResponseSchema, ...errors(401, 403, 404) } },
    },
    async (request) => breachResponseView(deps, await getBreachResponse(deps, request.params.id)),
  );

  app.get(
    '/api/v1/admin/security-alerts',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        description: 'The latest alerts: credential stuffing suspected from one address, or across the whole server.',
        querystring: Type.Object(
          { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(AlertSchema), ...errors(400, 401, 403) },
      },
    },
    async (request) => listSecurityAlertViews(deps, request.query.limit ?? 50),
  );
}
