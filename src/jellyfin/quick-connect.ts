// Quick Connect is Hearth's device linking (RFC 8628 codes, S50) under Jellyfin's names: the app shows the
// code, a signed-in person approves it on Hearth's /link page (or from an app already signed in), and the
// app then gets its own device session. A two-factor account is never opened by a password here (S91).
import { sha256 } from '../crypto.ts';
import type { Deps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { Caller, RequestContext } from '../accounts/caller.ts';
import { decideLink, pollLinkCode, requestLinkCode } from '../linking/device-codes.ts';
import { findLinkByDeviceCode } from '../store/linking.repository.ts';
import type { JellyfinClientInfo } from './authorization.ts';
import { declaredDevice, type JellyfinSignIn } from './sign-in.ts';

export interface QuickConnectResult {
  Authenticated: boolean;
  Secret: string;
  Code: string;
  DeviceId: string;
  DeviceName: string;
  AppName: string;
  AppVersion: string;
  DateAdded: string;
}

export async function initiateQuickConnect(
  deps: Deps,
  client: JellyfinClientInfo,
  ctx: RequestContext,
  now: Date,
): Promise<QuickConnectResult> {
  const device = declaredDevice(client);
  const pair = await requestLinkCode(
    deps,
    { client: device.client!, platform: device.platform!, deviceName: device.name! },
    ctx,
    now,
  );
  return {
    Authenticated: false,
    Secret: pair.device_code,
    Code: pair.user_code,
    DeviceId: client.deviceId ?? '',
    DeviceName: device.name!,
    AppName: client.client ?? '',
    AppVersion: client.version ?? '',
    DateAdded: now.toISOString(),
  };
}

/** The app's poll: whether the code was approved yet. Reads only; the session comes with AuthenticateWithQuickConnect. */
export async function quickConnectState(deps: Deps, secret: string, now: Date): Promise<QuickConnectResult> {
  const link = await findLinkByDeviceCode(deps.db, sha256(secret));
  if (!link || link.expires_at <= now.getTime() || link.status === 'spent' || link.status === 'denied')
    throw new AppError('not_found');
  return {
    Authenticated: link.status === 'approved',
    Secret: secret,
    // Only its keyed hash is stored: the app shows the code it got from Initiate.
    Code: '',
    DeviceId: '',
    DeviceName: link.device_name,
    AppName: link.client,
    AppVersion: '',
    DateAdded: new Date(link.created_at).toISOString(),
  };
}

export async function signInWithQuickConnect(
  deps: Deps,
  secret: string,
  ctx: RequestContext,
  now: Date,
): Promise<JellyfinSignIn> {
  const link = await findLinkByDeviceCode(deps.db, sha256(secret));
  if (link?.status !== 'approved') throw new AppError('unauthorized', 'This Quick Connect code has not been approved.');
  const session = await pollLinkCode(deps, secret, ctx, now);
  return { token: session.token, sessionId: session.sessionId, userId: session.user.id };
}

/** QuickConnect/Authorize from an app that is signed in: the same approval as Hearth's /link page. */
export async function authorizeQuickConnect(
  deps: Deps,
  auth: Caller,
  code: string,
  ctx: RequestContext,
  now: Date,
): Promise<boolean> {
  // An app password browses and plays; it never lets another device in.
  if (auth.scopes !== null) throw new AppError('insufficient_scope');
  const result = await decideLink(deps, auth, { userCode: code, approve: true }, ctx, now);
  return result.approved;
}
