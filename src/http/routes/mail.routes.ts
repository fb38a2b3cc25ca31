// The operator's view of outgoing mail: the queue (admins) and the outbox folder (the owner only).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { mailQueueView, outboxEntries, outboxMessage } from '../../mail/outbox.ts';
import { Id, IsoDate, Nullable, NullableIsoDate, errors } from '../schemas.ts';

const MailState = Type.Union([
  Type.Literal('queued'),
  Type.Literal('sending'),
  Type.Literal('sent'),
  Type.Literal('failed'),
  Type.Literal('unconfirmed'),
]);

const OutboxEntrySchema = Type.Object({
  id: Type.String(),
  file: Type.String(),
  to: Type.String(),
  subject: Type.String(),
  date: Type.String(),
  size: Type.Integer(),
});

const QueueSchema = Type.Object({
  transport: Type.Union([Type.Literal('smtp'), Type.Literal('outbox')]),
  counts: Type.Record(Type.String(), Type.Integer()),
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      recipient: Type.String(),
      template: Type.String(),
      subject: Type.String(),
      state: MailState,
      attempts: Type.Integer(),
      error: Nullable(Type.String()),
      created_at: IsoDate,
      sent_at: NullableIsoDate,
    }),
  ),
});

export function mailRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/admin/mail/queue',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        querystring: Type.Object(
          { state: Type.Optional(MailState), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) },
          { additionalProperties: false },
        ),
        response: { 200: QueueSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) =>
      mailQueueView(deps, {
        limit: request.query.limit ?? 100,
        ...(request.query.state ? { state: request.query.state } : {}),
      }),
  );

  app.get(
    '/api/v1/admin/mail/outbox',
    {
      config: { access: 'owner' },
      schema: {
        tags: ['admin'],
        description: 'Messages written to the outbox folder (no SMTP server configured), newest first.',
        response: { 200: Type.Array(OutboxEntrySchema), ...errors(401, 403) },
      },
    },
    async () => outboxEntries(deps),
  );

  // Plain Fastify: the answer is RFC 822 text, not JSON, so the typed JSON replies do not apply.
  fastify.get<{ Params: { id: string } }>(
    '/api/v1/admin/mail/outbox/:id',
    {
      config: { access: 'owner' },
      schema: {
        tags: ['admin'],
        description: 'One message of the outbox as RFC 822 text (message/rfc822).',
        params: Type.Object({ id: Id }),
        response: { ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const text = outboxMessage(deps, request.params.id);
      return reply
        .type('message/rfc822')
        .header('Content-Disposition', `inline; filename="${request.params.id}.eml"`)
        .send(Buffer.from(text));
    },
  );
}
