// Signing a Jellyfin app in, through Hearth's own sign-in: the same throttle, dummy hash, security log and
// new-device alert (S92); a password alone never passes two-factor sign-in (S91): such a user links the app
// with Quick Connect (Hearth's device linking) or types an app password with the media scopes as `Pw`.
import type { DeclaredDevice, Deps, SignInContext } from '../deps.ts';
import { AppError, ThrottledError } from '../errors.ts';
import { normalizeLogin } from '../accounts/identity.ts';
import { recordSecurityEvent } from '../accounts/security-log.ts';
import type { Caller } from '../accounts/caller.ts';
import { APP_PASSWORD_PREFIX, authenticate } from '../accounts/sessions.ts';
import {
  completeSignIn,
  logAuthFailure,
  passwordStamp,
  throttleKeysFor,
  unknownLoginRef,
  verifyPasswordSignIn,
} from '../accounts/sign-in.ts';
import { signOut } from '../accounts/sign-out.ts';
import { userHasSecondFactor } from '../factors/second-factor.ts';
import { findUserById, findUserWithHashByLogin } from '../store/users.repository.ts';
import type { JellyfinClientInfo } from './authorization.ts';
import { serverId, userDto, type Json } from './dto.ts';
import { toJellyfinId } from './ids.ts';

/** An app password opens this door only when it may both browse and play. */
export const JELLYFIN_SCOPES = ['media:read', 'media:stream'] as const;

export const TWO_FACTOR_MESSAGE =
  'This account uses two-step sign-in, so its password alone cannot sign an app in. Use Quick Connect ' +
  '(approve the code on the Link a device page of Hearth), or make an app password with the media scopes ' +
  'in Hearth and type it as the password.';

export interface JellyfinSignIn {
  token: string;
  sessionId: string;
  userId: string;
}

/** How the app is named in the device list: its name and version, and the device it runs on. */
export function declaredDevice(client: JellyfinClientInfo): DeclaredDevice {
  const app = [client.client ?? 'Jellyfin app', client.version].filter(Boolean).join(' ');
  return { name: client.device ?? app, platform: 'Jellyfin app', client: app.slice(0, 50) };
}

export async function signInByName(
  deps: Deps,
  input: { username: string; pw: string },
  client: JellyfinClientInfo,
  ctx: SignInContext,
  now: Date,
): Promise<JellyfinSignIn> {
  if (input.pw.startsWith(APP_PASSWORD_PREFIX)) return signInWithAppPassword(deps, input, ctx, now);
  const user = await verifyPasswordSignIn(deps, input.username, input.pw, ctx, now);
  if (await userHasSecondFactor(deps, user.id)) {
    await recordSecurityEvent(
      deps,
      { userId: user.id, type: 'sign_in_blocked_second_factor', detail: { door: 'jellyfin' } },
      ctx,
      now,
    );
    throw new AppError('mfa_required', TWO_FACTOR_MESSAGE);
  }
  const session = await completeSignIn(
    deps,
    {
      userId: user.id,
      sessionKind: 'device',
      device: declaredDevice(client),
      ctx,
      passwordStamp: passwordStamp(user.password_hash),
    },
    'jellyfin_password',
    now,
  );
  return { token: session.token, sessionId: session.sessionId, userId: user.id };
}

/**
 * An app password typed as the password: counted by the same throttle keys as a password, and a wrong one costs
 * the same hash and gives the same answer as a wrong password. The app keeps using the app password itself.
 */
async function signInWithAppPassword(
  deps: Deps,
  input: { username: string; pw: string },
  ctx: SignInContext,
  now: Date,
): Promise<JellyfinSignIn> {
  const loginLower = normalizeLogin(input.username);
  const user = await findUserWithHashByLogin(deps.db, loginLower);
  const keys = throttleKeysFor(user?.id ?? null, loginLower, ctx.ip, null);
  const outcome = await deps.throttle.guard(keys, now, async () => {
    const auth = user ? await authenticate(deps, input.pw, now, ctx.ip) : null;
    if (!auth || !user || auth.userId !== user.id || !isMediaAppPassword(auth)) {
      await deps.passwords.verifyDummy(input.pw);
      const login = user ? input.username : unknownLoginRef(deps, input.username);
      logAuthFailure(deps, login, ctx.ip, user ? 'wrong_app_password' : 'unknown_user');
      await recordSecurityEvent(
        deps,
        {
          userId: user?.id ?? null,
          type: 'sign_in_failed',
          detail: user ? { reason: 'wrong_app_password' } : { login },
        },
        ctx,
        now,
      );
      throw new AppError('invalid_credentials');
    }
    return auth;
  });
  if ('throttled' in outcome) {
    logAuthFailure(deps, user ? input.username : unknownLoginRef(deps, input.username), ctx.ip, 'throttled');
    if (user)
      await recordSecurityEvent(
        deps,
        { userId: user.id, type: 'sign_in_throttled', detail: { retry_after: outcome.throttled } },
        ctx,
        now,
      );
    throw new ThrottledError(outcome.throttled);
  }
  const auth = outcome.value;
  await recordSecurityEvent(
    deps,
    { userId: auth.userId, type: 'sign_in', detail: { method: 'jellyfin_app_password', session_id: auth.sessionId } },
    ctx,
    now,
  );
  return { token: input.pw, sessionId: auth.sessionId, userId: auth.userId };
}

function isMediaAppPassword(auth: Caller): boolean {
  return auth.kind === 'app' && JELLYFIN_SCOPES.every((scope) => auth.scopes?.includes(scope));
}

/** Sessions/Logout: ends the app's session. An app password stays: it is ended where it was made. */
export async function signOutApp(deps: Deps, auth: Caller, ctx: SignInContext, now: Date): Promise<void> {
  if (auth.kind === 'app') return;
  await signOut(deps, auth, ctx, now);
}

/** AuthenticationResult: the user, the app's session and its token, as Jellyfin answers a sign-in. */
export async function authenticationResult(
  deps: Deps,
  signedIn: JellyfinSignIn,
  client: JellyfinClientInfo,
  now: Date,
): Promise<Json> {
  const user = await findUserById(deps.db, signedIn.userId);
  if (!user) throw new AppError('invalid_credentials');
  const server = serverId(deps);
  return {
    User: userDto(server, user, now),
    SessionInfo: sessionInfo(
      server,
      { sessionId: signedIn.sessionId, userId: user.id, username: user.username },
      client,
      now,
    ),
    AccessToken: signedIn.token,
    ServerId: server,
  };
}

export function sessionInfo(
  server: string,
  who: { sessionId: string; userId: string; username: string },
  client: JellyfinClientInfo,
  now: Date,
): Json {
  return {
    PlayState: { CanSeek: false, IsPaused: false, IsMuted: false, RepeatMode: 'RepeatNone', PlaybackOrder: 'Default' },
    AdditionalUsers: [],
    Capabilities: {
      PlayableMediaTypes: [],
      SupportedCommands: [],
      SupportsMediaControl: false,
      SupportsPersistentIdentifier: true,
    },
    RemoteEndPoint: '',
    PlayableMediaTypes: [],
    Id: toJellyfinId(who.sessionId),
    UserId: toJellyfinId(who.userId),
    UserName: who.username,
    Client: client.client ?? '',
    LastActivityDate: now.toISOString(),
    LastPlaybackCheckIn: now.toISOString(),
    DeviceName: client.device ?? '',
    DeviceId: client.deviceId ?? '',
    ApplicationVersion: client.version ?? '',
    IsActive: true,
    SupportsMediaControl: false,
    SupportsRemoteControl: false,
    NowPlayingQueue: [],
    NowPlayingQueueFullItems: [],
    HasCustomDeviceName: false,
    ServerId: server,
    SupportedCommands: [],
  };
}
