import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import type { Deps } from '../../deps.ts';
import { completeRequiredPasswordChange, signInWithPasskey } from '../../factors/passkey-sign-in.ts';
import {
  listPasskeyViews,
  passkeyRegistrationOptions,
  passkeySignInOptions,
  registerPasskey,
  removeUserPasskey,
  renameUserPasskey,
} from '../../factors/passkeys.ts';
import { enrolmentRequired, policyCovers, readRequire2fa, setRequire2fa } from '../../factors/policy.ts';
import { regenerateRecoveryCodes } from '../../factors/recovery.ts';
import {
  completeSecondFactorSignIn,
  factorStatus,
  methodsFor,
  secondFactorPasskeyOptions,
  type SecondFactorAnswer,
} from '../../factors/second-factor.ts';
import { confirmTotpEnrolment, disableTotp, startTotpEnrolment } from '../../factors/totp-factor.ts';
import type { SignInResult } from '../../accounts/sign-in.ts';
import { AppError } from '../../errors.ts';
import { requestContext, requireAuth, setDeviceCookie, setSessionCookie } from '../auth.ts';
import {
  Body,
  DeviceSchema,
  IdParams,
  IsoDate,
  Label,
  Nullable,
  NullableIsoDate,
  Ok,
  Password,
  errors,
} from '../schemas.ts';
import { SessionAnswer } from '../../wire/accounts.ts';
import { sessionKindFor, signInContext } from './auth.routes.ts';

const Base64Url = Type.String({ maxLength: 16384, pattern: '^[A-Za-z0-9_-]*$' });
const CredentialId = Type.String({ minLength: 1, maxLength: 1400, pattern: '^[A-Za-z0-9_-]+$' });
const Attachment = Type.Union([Type.Literal('platform'), Type.Literal('cross-platform'), Type.Null()]);
const ExtensionResults = Type.Record(Type.String(), Type.Unknown());

/** What `PublicKeyCredential.toJSON()` (or @simplewebauthn/browser) gives after navigator.credentials.create(). */
const RegistrationCredential = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    authenticatorAttachment: Type.Optional(Attachment),
    clientExtensionResults: ExtensionResults,
    response: Type.Object(
      {
        clientDataJSON: Base64Url,
        attestationObject: Base64Url,
        authenticatorData: Type.Optional(Base64Url),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
        publicKey: Type.Optional(Base64Url),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** What `PublicKeyCredential.toJSON()` (or @simplewebauthn/browser) gives after navigator.credentials.get(). */
const AssertionCredential = Type.Object(
  {
    id: CredentialId,
    rawId: CredentialId,
    type: Type.Literal('public-key'),
    authenticatorAttachment: Type.Optional(Attachment),
    clientExtensionResults: ExtensionResults,
    response: Type.Object(
      {
        clientDataJSON: Base64Url,
        authenticatorData: Base64Url,
        signature: Base64Url,
        userHandle: Type.Optional(Nullable(Base64Url)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** PublicKeyCredentialCreationOptionsJSON: hand it to navigator.credentials.create (after decoding). */
const CreationOptions = Type.Object({
  challenge: Type.String(),
  rp: Type.Unknown(),
  user: Type.Unknown(),
  pubKeyCredParams: Type.Unknown(),
  timeout: Type.Optional(Type.Integer()),
  excludeCredentials: Type.Optional(Type.Unknown()),
  authenticatorSelection: Type.Optional(Type.Unknown()),
  hints: Type.Optional(Type.Unknown()),
  attestation: Type.Optional(Type.String()),
  extensions: Type.Optional(Type.Unknown()),
});

/** PublicKeyCredentialRequestOptionsJSON: hand it to navigator.credentials.get (after decoding). */
const RequestOptions = Type.Object({
  challenge: Type.String(),
  timeout: Type.Optional(Type.Integer()),
  rpId: Type.Optional(Type.String()),
  allowCredentials: Type.Optional(Type.Unknown()),
  userVerification: Type.Optional(Type.String()),
  hints: Type.Optional(Type.Unknown()),
  extensions: Type.Optional(Type.Unknown()),
});

const PasskeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: IsoDate,
  last_used_at: NullableIsoDate,
  backed_up: Type.Boolean(),
  device_type: Type.String(),
});

const RecoveryCodes = Type.Object({
  recovery_codes: Type.Array(Type.String(), { description: 'Shown this once: only their hashes are kept.' }),
});

const FactorStatusSchema = Type.Object({
  totp_enabled: Type.Boolean(),
  totp_pending: Type.Boolean({ description: 'Setup started, not yet confirmed with a code.' }),
  recovery_codes_remaining: Type.Integer(),
  passkeys: Type.Integer(),
  methods: Type.Array(Type.String(), { description: 'What a sign-in with the password will ask for.' }),
  required: Type.Boolean({ description: "The server's policy requires this account to have a second factor." }),
  enrollment_required: Type.Boolean({ description: 'Required and none set up yet: nothing else works until one is.' }),
});
export type FactorStatusView = Static<typeof FactorStatusSchema>;

/** What POST /me/2fa/totp/setup answers: the new seed, to type in or scan. */
const TotpEnrolmentAnswer = Type.Object({
  secret: Type.String({ description: 'base32, for typing into an app by hand.' }),
  otpauth_uri: Type.String(),
  qr_svg: Type.String({
    description: 'An SVG document drawn by the server: show it as an image, never insert it as markup.',
  }),
});
export type TotpEnrolmentView = Static<typeof TotpEnrolmentAnswer>;

const PasswordChangeRequiredAnswer = Type.Object(
  {
    password_change_required: Type.Literal(true),
    change_token: Type.String(),
  },
  {
    description:
      'The account was flagged for a mandatory password reset (breach response). The passkey proves who it is, but ' +
      'the only thing it may do is set a new password: POST /api/v1/auth/password-change-required ' +
      '{change_token, new_password} within 10 minutes (one use), which clears the flag, ends every other session ' +
      'and signs in.',
  },
);
/** A flagged account proved itself with a passkey: it may only set a new password with this token. */
export type PasswordChangeRequired = Static<typeof PasswordChangeRequiredAnswer>;

const Require2fa = Type.Union([Type.Literal('off'), Type.Literal('admins'), Type.Literal('everyone')]);
const Require2faSchema = Type.Object({ require_2fa: Require2fa });

const noStore = (reply: FastifyReply) => reply.header('Cache-Control', 'no-store');

export function factorsRoutes(fastify: FastifyInstance, deps: Deps): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  /** Sends a new session exactly as POST /auth/login does. */
  const sendSession = (
    reply: FastifyReply,
    kind: 'web' | 'device',
    result: Extract<SignInResult, { kind: 'session' }>,
  ) => {
    if (kind === 'web') setSessionCookie(reply, deps, result.token);
    setDeviceCookie(reply, deps, result.deviceMarker);
    return { token: result.token, user: result.user, device_marker: result.deviceMarker };
  };

  // Status and the authenticator app

  app.get(
    '/api/v1/me/2fa',
    {
      config: { scope: 'account:read' },
      schema: { tags: ['two-factor'], response: { 200: FactorStatusSchema, ...errors(401, 403) } },
    },
    async (request): Promise<FactorStatusView> => {
      const auth = requireAuth(request);
      const status = await factorStatus(deps, auth.userId);
      return {
        totp_enabled: status.totpEnabled,
        totp_pending: status.totpPending,
        recovery_codes_remaining: status.recoveryCodesRemaining,
        passkeys: status.passkeys,
        methods: methodsFor(status),
        required: policyCovers(await readRequire2fa(deps), auth.role),
        enrollment_required: await enrolmentRequired(deps, auth.userId, auth.role),
      };
    },
  );

  app.post(
    '/api/v1/me/2fa/totp/setup',
    {
      config: { fresh: true },
      schema: {
        tags: ['two-factor'],
        description:
          'Makes a new 160-bit seed. Two-step sign-in stays off until /totp/confirm gets a code made from it.',
        response: {
          200: TotpEnrolmentAnswer,
          ...errors(401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const enrolment = await startTotpEnrolment(deps, requireAuth(request), request.now);
      noStore(reply);
      return {
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauthUri,
        qr_svg: enrolment.qrSvg,
      } satisfies TotpEnrolmentView;
    },
  );

  app.post(
    '/api/v1/me/2fa/totp/confirm',
    {
      config: { fresh: true },
      schema: {
        tags: ['two-factor'],
        description: 'Turns the authenticator app on with a code from it; answers ten recovery codes, this once.',
        body: Body({ code: Type.String({ minLength: 1, maxLength: 20 }) }),
        response: { 200: RecoveryCodes, ...errors(400, 401, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      const result = await confirmTotpEnrolment(
        deps,
        requireAuth(request),
        request.body.code,
        requestContext(request),
        request.now,
      );
      noStore(reply);
      return { recovery_codes: result.recoveryCodes };
    },
  );

  app.delete(
    '/api/v1/me/2fa/totp',
    {
      config: { fresh: true },
      schema: { tags: ['two-factor'], response: { 200: Ok, ...errors(401, 403, 404) } },
    },
    async (request) => {
      await disableTotp(deps, requireAuth(request), requestContext(request), request.now);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/me/2fa/recovery-codes',
    {
      config: { fresh: true },
      schema: {
        tags: ['two-factor'],
        description: 'Ten new recovery codes; every earlier one stops working.',
        response: { 200: RecoveryCodes, ...errors(401, 403, 409) },
      },
    },
    async (request, reply) => {
      const codes = await regenerateRecoveryCodes(deps, requireAuth(request), requestContext(request), request.now);
      noStore(reply);
      return { recovery_codes: codes };
    },
  );

  // Passkeys of the account

  app.get(
    '/api/v1/me/passkeys',
    {
      config: { scope: 'account:read' },
      schema: { tags: ['passkeys'], response: { 200: Type.Array(PasskeySchema), ...errors(401, 403) } },
    },
    async (request) => listPasskeyViews(deps, requireAuth(request).userId),
  );

  app.post(
    '/api/v1/me/passkeys/registration/options',
    {
      config: { fresh: true },
      schema: {
        tags: ['passkeys'],
        description: 'Options for navigator.credentials.create(); the challenge works once, for 5 minutes.',
        response: { 200: CreationOptions, ...errors(401, 403) },
      },
    },
    async (request) => passkeyRegistrationOptions(deps, requireAuth(request), request.now),
  );

  app.post(
    '/api/v1/me/passkeys/registration/verify',
    {
      config: { fresh: true },
      schema: {
        tags: ['passkeys'],
        description:
          "Registers the new credential. When it is the account's first factor, answers ten recovery codes, this once " +
          '(otherwise recovery_codes is null).',
        body: Body({ response: RegistrationCredential, name: Type.Optional(Label({ minLength: 1, maxLength: 100 })) }),
        response: {
          200: Type.Object({ passkey: PasskeySchema, recovery_codes: Nullable(Type.Array(Type.String())) }),
          ...errors(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const result = await registerPasskey(
        deps,
        requireAuth(request),
        { response: request.body.response as RegistrationResponseJSON, name: request.body.name },
        requestContext(request),
        request.now,
      );
      noStore(reply);
      return { passkey: result.passkey, recovery_codes: result.recoveryCodes };
    },
  );

  app.patch(
    '/api/v1/me/passkeys/:id',
    {
      schema: {
        tags: ['passkeys'],
        params: IdParams,
        body: Body({ name: Label({ minLength: 1, maxLength: 100 }) }),
        response: { 200: PasskeySchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      renameUserPasskey(
        deps,
        requireAuth(request),
        request.params.id,
        request.body.name,
        requestContext(request),
        request.now,
      ),
  );

  app.delete(
    '/api/v1/me/passkeys/:id',
    {
      config: { fresh: true },
      schema: { tags: ['passkeys'], params: IdParams, response: { 200: Ok, ...errors(401, 403, 404) } },
    },
    async (request) => {
      await removeUserPasskey(deps, requireAuth(request), request.params.id, requestContext(request), request.now);
      return { ok: true as const };
    },
  );

  // Signing in: the second-factor step

  app.post(
    '/api/v1/auth/login/mfa',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description:
          'Completes a sign-in that answered {mfa_required, mfa_token, methods}: send the mfa_token with exactly one ' +
          'of code (TOTP), recovery_code, or passkey (an assertion made with the options of /auth/login/mfa/passkey-options). ' +
          'A wrong answer leaves the mfa_token usable (until too many) and is throttled per account.',
        body: Body({
          mfa_token: Type.String({ minLength: 1, maxLength: 200 }),
          code: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
          recovery_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          passkey: Type.Optional(AssertionCredential),
        }),
        response: { 200: SessionAnswer, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const answers: SecondFactorAnswer[] = [];
      if (body.code !== undefined) answers.push({ kind: 'code', code: body.code });
      if (body.recovery_code !== undefined) answers.push({ kind: 'recovery_code', code: body.recovery_code });
      if (body.passkey !== undefined)
        answers.push({ kind: 'passkey', response: body.passkey as AuthenticationResponseJSON });
      if (answers.length !== 1)
        throw new AppError('invalid_body', 'Send exactly one of code, recovery_code or passkey.');
      const kind = sessionKindFor(request, deps);
      const result = await completeSecondFactorSignIn(
        deps,
        body.mfa_token,
        answers[0]!,
        kind,
        signInContext(request, deps),
        request.now,
      );
      return sendSession(reply, kind, result);
    },
  );

  app.post(
    '/api/v1/auth/login/mfa/passkey-options',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description: 'Options for navigator.credentials.get() at the second-factor step, bound to this mfa_token.',
        body: Body({ mfa_token: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: RequestOptions, ...errors(400, 403, 404) },
      },
    },
    async (request) =>
      secondFactorPasskeyOptions(deps, request.body.mfa_token, sessionKindFor(request, deps), request.now),
  );

  // Signing in with a passkey alone

  app.post(
    '/api/v1/auth/passkey/options',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description:
          'Options for a sign-in without a username: navigator.credentials.get() offers the passkeys of this server. ' +
          'Each stores a challenge for five minutes, so an address may ask 60 times in ten minutes before it waits (429).',
        response: { 200: RequestOptions, ...errors(403, 429) },
      },
    },
    async (request) => passkeySignInOptions(deps, request.ip ?? null, request.now),
  );

  app.post(
    '/api/v1/auth/passkey/verify',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description:
          'Signs in with a passkey assertion (user verification required) and answers like /auth/login. ' +
          'A flagged account answers {password_change_required, change_token} instead of a session.',
        body: Body({ response: AssertionCredential, device: Type.Optional(DeviceSchema) }),
        response: { 200: Type.Union([SessionAnswer, PasswordChangeRequiredAnswer]), ...errors(400, 403, 429) },
      },
    },
    async (request, reply) => {
      const kind = sessionKindFor(request, deps);
      const result = await signInWithPasskey(
        deps,
        { response: request.body.response as AuthenticationResponseJSON, device: request.body.device },
        kind,
        signInContext(request, deps),
        request.now,
      );
      if (result.kind === 'password_change') {
        noStore(reply);
        return { password_change_required: true, change_token: result.changeToken } satisfies PasswordChangeRequired;
      }
      return sendSession(reply, kind, result);
    },
  );

  app.post(
    '/api/v1/auth/password-change-required',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        description:
          'For an account flagged for a mandatory reset that signed in with a passkey: sets the new password (screened, ' +
          'and different from the old one), clears the flag, ends every other session and answers a session like /auth/login.',
        body: Body({ change_token: Type.String({ minLength: 1, maxLength: 200 }), new_password: Password }),
        response: { 200: SessionAnswer, ...errors(400, 403) },
      },
    },
    async (request, reply) => {
      const kind = sessionKindFor(request, deps);
      const result = await completeRequiredPasswordChange(
        deps,
        { changeToken: request.body.change_token, newPassword: request.body.new_password },
        kind,
        signInContext(request, deps),
        request.now,
      );
      return sendSession(reply, kind, result);
    },
  );

  // The server's policy

  app.get(
    '/api/v1/admin/settings/2fa',
    {
      config: { access: 'admin' },
      schema: { tags: ['admin'], response: { 200: Require2faSchema, ...errors(401, 403) } },
    },
    async () => ({ require_2fa: await readRequire2fa(deps) }),
  );

  app.put(
    '/api/v1/admin/settings/2fa',
    {
      config: { access: 'admin', fresh: true },
      schema: {
        tags: ['admin'],
        description:
          "Who must use two-step sign-in: 'off', 'admins' (admins and the owner) or 'everyone'. A covered user without a " +
          'factor can, after signing in, only set one up (403 mfa_enrollment_required elsewhere). An admin may raise the policy ' +
          "but not lower it below the owner's last choice (403 policy_set_by_owner).",
        body: Body({ require_2fa: Require2fa }),
        response: { 200: Require2faSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => ({
      require_2fa: await setRequire2fa(
        deps,
        requireAuth(request),
        request.body.require_2fa,
        requestContext(request),
        request.now,
      ),
    }),
  );
}
