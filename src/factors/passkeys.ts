// Passkeys (S41) through @simplewebauthn/server: registration, listing, naming, removal, and the assertion
// check shared by passwordless sign-in and the second-factor step. The relying party is the public URL,
// never the request's Host header; every challenge is made here, stored hashed and taken once.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { newId, sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import type { ThrottlePolicy } from '../accounts/throttle.ts';
import type { RequestContext } from '../accounts/caller.ts';
import type { Caller } from '../accounts/caller.ts';
import {
  countPasskeys,
  countUnusedRecoveryCodes,
  deletePasskey,
  deleteRecoveryCodes,
  findPasskeyByCredentialId,
  findTotpFactor,
  insertPasskey,
  insertWebauthnChallenge,
  listPasskeys,
  recordPasskeyUse,
  renamePasskey,
  takeWebauthnChallenge,
  type PasskeyRow,
} from '../store/factors.repository.ts';
import type { WebauthnChallengesTable } from '../store/schema.ts';
import { findUserById } from '../store/users.repository.ts';
import { recordFactorChange } from './factor-events.ts';
import { issueRecoveryCodes } from './recovery.ts';

/** 256 bits, well above the 16 bytes S41 asks for. */
export const CHALLENGE_BYTES = 32;
export const CHALLENGE_TTL_SECONDS = 5 * 60;
export const RP_NAME = 'Hearth';
const NAME_MAX = 100;

export function relyingParty(deps: Pick<Deps, 'config'>): { id: string; origin: string } {
  return { id: deps.config.publicUrl.hostname, origin: deps.config.publicUrl.origin };
}

/** The WebAuthn user handle: the account id's bytes (random, no personal data). */
export function userHandleFor(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

export interface PasskeyView {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
  /** Synced by its provider (e.g. across a person's phones) rather than bound to one device. */
  backed_up: boolean;
  /** singleDevice or multiDevice (synced). */
  device_type: string;
}

function toPasskeyView(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
    backed_up: row.backed_up === 1,
    device_type: row.device_type,
  };
}

function transportsOf(row: PasskeyRow): string[] | undefined {
  return row.transports ? (JSON.parse(row.transports) as string[]) : undefined;
}

/** The challenge a client signed, read from its clientDataJSON; null when it cannot be read. */
function signedChallenge(clientDataJSON: unknown): string | null {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 4096) return null;
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && data.challenge.length > 0 ? data.challenge : null;
  } catch {
    return null;
  }
}

async function newChallenge(
  deps: Deps,
  purpose: WebauthnChallengesTable['purpose'],
  owner: { userId: string | null; pendingId: string | null },
  now: Date,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = new Uint8Array(deps.random(CHALLENGE_BYTES));
  await insertWebauthnChallenge(
    deps.db,
    {
      challenge_hash: sha256(Buffer.from(bytes).toString('base64url')),
      purpose,
      user_id: owner.userId,
      pending_id: owner.pendingId,
      expires_at: now.getTime() + CHALLENGE_TTL_SECONDS * 1000,
    },
    now,
  );
  return bytes;
}

// Registration

export async function passkeyRegistrationOptions(
  deps: Deps,
  auth: Caller,
  now: Date,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const user = await findUserById(deps.db, auth.userId);
  if (!user) throw new AppError('unauthorized');
  const existing = await listPasskeys(deps.db, auth.userId);
  const challenge = await newChallenge(deps, 'register', { userId: auth.userId, pendingId: null }, now);
  return generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: relyingParty(deps).id,
    userName: user.username,
    userID: new Uint8Array(Buffer.from(auth.userId, 'utf8')),
    userDisplayName: user.display_name ?? user.username,
    challenge,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    attestationType: 'none',
    // The authenticator refuses to make a second credential for an account it already holds one of.
    excludeCredentials: existing.map((p) => ({ id: p.credential_id, transports: transportsOf(p) })),
    // Discoverable where the authenticator can, so it also signs in without a username.
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
}

export interface RegisteredPasskey {
  passkey: PasskeyView;
  /** New recovery codes when this is the account's first factor: shown this once. */
  recoveryCodes: string[] | null;
}

export async function registerPasskey(
  deps: Deps,
  auth: Caller,
  input: { response: RegistrationResponseJSON; name?: string },
  ctx: RequestContext,
  now: Date,
): Promise<RegisteredPasskey> {
  const challenge = signedChallenge(input.response.response?.clientDataJSON);
  const held = challenge ? await takeWebauthnChallenge(deps.db, sha256(challenge), 'register', now) : undefined;
  if (!challenge || !held || held.user_id !== auth.userId) throw new AppError('passkey_invalid');
  const rp = relyingParty(deps);
  let info;
  try {
    const verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: false,
    });
    if (!verification.verified) throw new AppError('passkey_invalid');
    info = verification.registrationInfo;
  } catch (err) {
    if (err instanceof AppError) throw err;
    deps.log.info({ err: (err as Error).message, userId: auth.userId }, 'passkey registration refused');
    throw new AppError('passkey_invalid');
  }
  const credentialId = info.credential.id;
  if (await findPasskeyByCredentialId(deps.db, credentialId)) throw new AppError('passkey_already_registered');
  const count = await countPasskeys(deps.db, auth.userId);
  const row: PasskeyRow = {
    id: newId(deps.random),
    user_id: auth.userId,
    credential_id: credentialId,
    public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: info.credential.transports?.length ? JSON.stringify(info.credential.transports) : null,
    name: input.name?.trim().slice(0, NAME_MAX) || `Passkey ${count + 1}`,
    device_type: info.credentialDeviceType,
    backed_up: info.credentialBackedUp ? 1 : 0,
    created_at: now.getTime(),
    last_used_at: null,
  };
  try {
    await insertPasskey(deps.db, row);
  } catch (err) {
    // Two registrations of one credential at once: the unique index lets one through.
    if (await findPasskeyByCredentialId(deps.db, credentialId)) throw new AppError('passkey_already_registered');
    throw err;
  }
  const totp = await findTotpFactor(deps.db, auth.userId);
  const needsCodes = totp?.enabled_at == null && (await countUnusedRecoveryCodes(deps.db, auth.userId)) === 0;
  const recoveryCodes = needsCodes ? await issueRecoveryCodes(deps, auth.userId, now) : null;
  await recordFactorChange(deps, auth.userId, 'passkey_added', ctx, now, { name: row.name });
  return { passkey: toPasskeyView(row), recoveryCodes };
}

export async function listPasskeyViews(deps: Deps, userId: string): Promise<PasskeyView[]> {
  return (await listPasskeys(deps.db, userId)).map(toPasskeyView);
}

export async function renameUserPasskey(
  deps: Deps,
  auth: Caller,
  id: string,
  name: string,
  ctx: RequestContext,
  now: Date,
): Promise<PasskeyView> {
  const clean = name.trim().slice(0, NAME_MAX);
  if (!clean) throw new AppError('invalid_body', 'The name must not be empty.');
  if (!(await renamePasskey(deps.db, auth.userId, id, clean))) throw new AppError('not_found');
  await recordFactorChange(deps, auth.userId, 'passkey_renamed', ctx, now, { name: clean });
  const row = (await listPasskeys(deps.db, auth.userId)).find((p) => p.id === id);
  if (!row) throw new AppError('not_found');
  return toPasskeyView(row);
}

/** Removes a passkey; the next assertion with it is refused (S42). */
export async function removeUserPasskey(
  deps: Deps,
  auth: Caller,
  id: string,
  ctx: RequestContext,
  now: Date,
): Promise<void> {
  const removed = await deletePasskey(deps.db, auth.userId, id);
  if (!removed) throw new AppError('not_found');
  const totp = await findTotpFactor(deps.db, auth.userId);
  // Recovery codes stand in for a factor; with none left they would be a way in on their own.
  if (totp?.enabled_at == null && (await countPasskeys(deps.db, auth.userId)) === 0)
    await deleteRecoveryCodes(deps.db, auth.userId);
  await recordFactorChange(deps, auth.userId, 'passkey_removed', ctx, now, { name: removed.name });
}

// Authentication

/** Options for a sign-in without a username: any discoverable passkey of this server may answer. */
/**
 * Asking for sign-in options needs no account and stores a challenge: plenty for a household or an office behind
 * one address, not enough to fill the store with challenges.
 */
export const challengeRequestPolicy: ThrottlePolicy = {
  free: 60,
  baseSeconds: 2,
  maxSeconds: 300,
  windowSeconds: 600,
  onSuccess: 'keep',
};

export async function passkeySignInOptions(
  deps: Deps,
  ip: string | null,
  now: Date,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  if (ip) {
    const wait = await deps.throttle.attempt([{ key: `passkey:options:${ip}`, policy: challengeRequestPolicy }], now);
    if (wait > 0) throw new ThrottledError(wait);
  }
  const challenge = await newChallenge(deps, 'sign_in', { userId: null, pendingId: null }, now);
  return generateAuthenticationOptions({
    rpID: relyingParty(deps).id,
    challenge,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    userVerification: 'required',
  });
}

/** Options for the second-factor step: only this user's passkeys, and the challenge is bound to the step. */
export async function passkeyStepOptions(
  deps: Deps,
  step: { userId: string; pendingId: string },
  now: Date,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const passkeys = await listPasskeys(deps.db, step.userId);
  if (passkeys.length === 0) throw new AppError('not_found', 'This account has no passkey.');
  const challenge = await newChallenge(deps, 'mfa', step, now);
  return generateAuthenticationOptions({
    rpID: relyingParty(deps).id,
    challenge,
    timeout: CHALLENGE_TTL_SECONDS * 1000,
    allowCredentials: passkeys.map((p) => ({ id: p.credential_id, transports: transportsOf(p) })),
    // The password already stood for "something you know"; the key's presence is the second factor.
    userVerification: 'discouraged',
  });
}

export interface AssertionExpectation {
  purpose: 'sign_in' | 'mfa';
  /** For the second-factor step: the step the challenge was made for. */
  pendingId?: string;
  userId?: string;
  requireUserVerification: boolean;
}

/**
 * Checks an assertion: its challenge is one of ours, live, of this purpose, and now spent; the credential is
 * registered (to `userId` when given); origin, RP ID, signature, user presence (and verification when asked)
 * hold; the signature counter moved forward. Records the use. Returns the passkey, or null when any check fails.
 */
export async function checkPasskeyAssertion(
  deps: Deps,
  response: AuthenticationResponseJSON,
  expect: AssertionExpectation,
  now: Date,
): Promise<PasskeyRow | null> {
  const challenge = signedChallenge(response.response?.clientDataJSON);
  if (!challenge) return null;
  const held = await takeWebauthnChallenge(deps.db, sha256(challenge), expect.purpose, now);
  if (!held) return null;
  if (expect.pendingId !== undefined && held.pending_id !== expect.pendingId) return null;
  const passkey = await findPasskeyByCredentialId(deps.db, response.id);
  if (!passkey) return null;
  if (expect.userId !== undefined && passkey.user_id !== expect.userId) return null;
  if (response.response.userHandle && response.response.userHandle !== userHandleFor(passkey.user_id)) return null;
  const rp = relyingParty(deps);
  try {
    const verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id: passkey.credential_id,
        publicKey: new Uint8Array(Buffer.from(passkey.public_key, 'base64url')),
        counter: passkey.counter,
        transports: transportsOf(passkey),
      },
      requireUserVerification: expect.requireUserVerification,
    });
    if (!verification.verified) return null;
    const used = await recordPasskeyUse(
      deps.db,
      passkey.id,
      passkey.counter,
      verification.authenticationInfo.newCounter,
      now,
    );
    return used ? passkey : null;
  } catch (err) {
    deps.log.info({ err: (err as Error).message, passkey: passkey.id }, 'passkey assertion refused');
    return null;
  }
}
