// Shared TypeBox pieces for route schemas: every route declares its input and each response.
import { Type, type TSchema } from 'typebox';
import { errorCodes } from '../errors.ts';

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

export const IsoDate = Type.String({ format: 'date-time' });
export const NullableIsoDate = Type.Union([IsoDate, Type.Null()]);
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
  display_name: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]),
  disabled: Type.Boolean(),
  email_verified: Type.Boolean(),
  password_reset_required: Type.Boolean(),
  anti_phishing_phrase: Type.Union([Type.String(), Type.Null()]),
  password_changed_at: NullableIsoDate,
  created_at: IsoDate,
});

export const Password = Type.String({ minLength: 1, maxLength: 4096 });
export const DeviceSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    platform: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    client: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  },
  { additionalProperties: false },
);
