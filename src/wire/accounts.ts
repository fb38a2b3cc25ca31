// The account shapes on the wire: sessions (devices), security events, invites. Declared once; types by Static<>.
import { Type, type Static } from 'typebox';
import type { SessionKind } from '../store/schema.ts';
import { IsoDate, Nullable, RoleSchema, UserSchema } from './common.ts';

/** A signed-in browser or device, as its user sees it. */
export const SessionSchema = Type.Object({
  id: Type.String(),
  kind: Type.Unsafe<SessionKind>({ type: 'string', enum: ['web', 'device', 'app'] }),
  device_name: Nullable(Type.String()),
  platform: Nullable(Type.String()),
  client: Nullable(Type.String()),
  /** The browser's major version, so two browsers of one computer are told apart (issue 19). */
  client_version: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  created_at: IsoDate,
  last_seen_at: IsoDate,
  current: Type.Boolean(),
});

export const SecurityEventSchema = Type.Object({
  id: Type.String(),
  user_id: Nullable(Type.String()),
  username: Nullable(Type.String()),
  type: Type.String(),
  ip: Nullable(Type.String()),
  device: Nullable(Type.String()),
  detail: Nullable(Type.Record(Type.String(), Type.Unknown())),
  created_at: IsoDate,
});
export type SessionView = Static<typeof SessionSchema>;
export type SecurityEventView = Static<typeof SecurityEventSchema>;

export const InviteSchema = Type.Object({
  id: Type.String(),
  email: Nullable(Type.String()),
  role: RoleSchema,
  created_at: IsoDate,
  expires_at: IsoDate,
  used: Type.Boolean(),
  revoked: Type.Boolean(),
});
export type InviteView = Static<typeof InviteSchema>;

/** What POST /admin/invites answers: the invite, its token (shown this once) and the link built from it. */
export const CreatedInviteSchema = Type.Object({ invite: InviteSchema, token: Type.String(), url: Type.String() });
export type CreatedInvite = Static<typeof CreatedInviteSchema>;

/** A sign-in that made a session: the token (devices; browsers get it as a cookie), the account, the device marker. */
export const SessionAnswer = Type.Object({
  token: Type.String(),
  user: UserSchema,
  device_marker: Type.String(),
});
export type SessionAnswerView = Static<typeof SessionAnswer>;

export const MfaAnswer = Type.Object({
  mfa_required: Type.Literal(true),
  mfa_token: Type.String(),
  methods: Type.Array(Type.String()),
});

/** A password sign-in that needs a second step answers this instead of a session. */
export type MfaChallenge = Static<typeof MfaAnswer>;
