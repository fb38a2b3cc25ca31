// Small steps shared by the linking tests: a TV asking for a code, polling, a person approving.
import type { ApiResponse, TestServer } from '../helpers/server.ts';

export const TV = { client: 'Hearth TV', platform: 'Tizen', device_name: 'Living room TV' };
export const USER_CODE_RE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

export interface CodePair {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export async function requestCode(s: TestServer, device: Record<string, string> = TV): Promise<CodePair> {
  const res = await s.request('POST', '/api/v1/link/codes', { body: device });
  if (res.status !== 200) throw new Error(`code request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as CodePair;
}

export function poll(s: TestServer, deviceCode: string): Promise<ApiResponse> {
  return s.request('POST', '/api/v1/link/token', { body: { device_code: deviceCode } });
}

/**
 * A request from a given address. The guess limits count per address too, so tests that are not about
 * them give each person an address of their own.
 */
export async function callFrom(
  s: TestServer,
  address: string,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  options: { token?: string; body?: unknown } = {},
): Promise<ApiResponse> {
  const res = await s.app.inject({
    method,
    url,
    remoteAddress: address,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.body !== undefined ? { payload: options.body as object } : {}),
  });
  return {
    status: res.statusCode,
    body: JSON.parse(res.body),
    headers: res.headers as ApiResponse['headers'],
    cookies: [],
  };
}

export function lookup(s: TestServer, person: Person, userCode: string): Promise<ApiResponse> {
  return callFrom(s, person.address, 'POST', '/api/v1/link/lookup', {
    token: person.token,
    body: { user_code: userCode },
  });
}

export function approve(s: TestServer, person: Person, userCode: string, yes = true): Promise<ApiResponse> {
  return callFrom(s, person.address, 'POST', '/api/v1/link/approve', {
    token: person.token,
    body: { user_code: userCode, approve: yes },
  });
}

export interface Person {
  id: string;
  token: string;
  address: string;
}

export function errorCode(res: ApiResponse): string | undefined {
  return res.body?.error?.code;
}

/** The random part of a prefixed base64url token, in bits. */
export function tokenBits(token: string, prefix: string): number {
  if (!token.startsWith(prefix)) throw new Error(`token without prefix ${prefix}`);
  return Buffer.from(token.slice(prefix.length), 'base64url').length * 8;
}
