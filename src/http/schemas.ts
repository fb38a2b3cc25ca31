// Shared TypeBox pieces for route schemas: every route declares its input and each response.
import { Type, type TSchema } from 'typebox';
import { errorCodes } from '../errors.ts';
import { IsoDate, Nullable, NullableIsoDate, RoleSchema, UserSchema } from '../wire/common.ts';

export { IsoDate, Nullable, NullableIsoDate, RoleSchema, UserSchema };

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

export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const IdParams = Type.Object({ id: Id });

/** Standard error responses a route may give, added to its own. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ErrorBody]));
}

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
