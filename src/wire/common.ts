// The pieces every wire shape is made of: declared once as TypeBox schemas, their types derived with Static<>.
// Routes declare responses with them; the domain and the web app import the derived types (type-only).
import { Type, type Static, type TSchema } from 'typebox';
import { ROLES, type Role } from '../store/schema.ts';

/** `schema` or null as OpenAPI 3.0 writes it (`nullable`): a union would cost a validation per field written. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true });
}

/** One of the roles, as a string enum (not a union of literals, for the same reason as Nullable). */
export const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

export const IsoDate = Type.String({ format: 'date-time' });
export const NullableIsoDate = Nullable(IsoDate);

/** An account as the API shows it. */
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
export type UserView = Static<typeof UserSchema>;
