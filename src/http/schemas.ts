// Shared TypeBox pieces for route schemas: every route declares its input and each response.
import { Type, type Static, type TSchema } from 'typebox';
import { errorCodes } from '../errors.ts';
import { ROLES, type Role } from '../store/schema.ts';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ enum: Object.keys(errorCodes) }),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { $id: 'Error' },
);

/** A strict object: unknown fields are refused (S80). */
export function Body<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

export const Ok = Type.Object({ ok: Type.Literal(true) });

/**
 * `schema` or null, written as OpenAPI 3.0 writes it (`nullable: true`), which the validator and the response
 * serializer both read. A union with Type.Null() means the same, but the serializer then tries each of its
 * branches with the validator for every value it writes: a few microseconds per field on every response.
 * `schema` must have a `type` (Ajv refuses `nullable` without one), and no `enum` that leaves out null.
 */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
}

/** One of the roles, as a string enum (not a union of literals, for the same reason as Nullable). */
export const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

export const IsoDate = Type.String({ format: 'date-time' });
export const NullableIsoDate = Nullable(IsoDate);
export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const IdParams = Type.Object({ id: Id });

/** Standard error responses a route may give, added to its own. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

export const UserSchema = Type.Object({
  id: Type.String(),
  username: Type.String(),
  email: Type.String(),
  display_name: Nullable(Type.String()),
  role: RoleSchema,
  disabled: Type.Boolean(),
  email_verified: Type.Boolean(),
  password_reset_required: Type.Boolean(),
  anti_phishing_phrase: Nullable(Type.String()),
  password_changed_at: NullableIsoDate,
  created_at: IsoDate,
});

export const Password = Type.String({ minLength: 1, maxLength: 4096 });

/**
 * Free text someone names a thing with (a device, a passkey, an app password, a library, a display name, the
 * anti-phishing phrase): one line, no control characters, so it can never add lines of its own to a mail or a
 * list (S62), and no bidirectional overrides or isolates, which would show it in another order than it was typed
 * ("Firefox" drawn over text that reads otherwise). Emoji sequences and every script stay allowed.
 */
export function Label(options: { minLength?: number; maxLength: number }) {
  return Type.String({ ...options, pattern: '^[^\\p{Cc}\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]*$' });
}

export const DeviceSchema = Type.Object(
  {
    name: Type.Optional(Label({ minLength: 1, maxLength: 100 })),
    platform: Type.Optional(Label({ minLength: 1, maxLength: 50 })),
    client: Type.Optional(Label({ minLength: 1, maxLength: 50 })),
  },
  { additionalProperties: false },
);
