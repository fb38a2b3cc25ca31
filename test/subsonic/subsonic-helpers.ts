// A server with music for the Subsonic tests: an owner, a member, a music library of tagged tracks, and
// Subsonic clients built on the real `subsonic-api` library.
import { SubsonicAPI } from 'subsonic-api';
import type { TestServer } from '../helpers/server.ts';

export async function makeAppPassword(
  s: TestServer,
  token: string,
  scopes: string[],
  name = 'Music app',
): Promise<{ id: string; password: string }> {
  const res = await s.request('POST', '/api/v1/me/app-passwords', { token, body: { name, scopes } });
  if (res.status !== 201) throw new Error(`app password not made: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.app_password.id, password: res.body.password };
}

/** The client as apps use it: apiKey, or username + password (which it sends as t/s). */
// Answers are read as the server sent them (error included), not through the library's success-only types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function client(
  s: TestServer,
  auth: { apiKey: string } | { username: string; password: string },
  post = false,
): any {
  return new SubsonicAPI({ url: s.url, auth: auth as never, post });
}

/** A raw request, for forms the client library does not send (p, enc:, XML). */
export async function raw(
  s: TestServer,
  method: string,
  params: Record<string, string | string[]>,
  init: { post?: boolean } = {},
) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries({ v: '1.16.1', c: 'test', ...params }))
    for (const x of [v].flat()) search.append(k, x);
  const url = `${s.url}/rest/${method}`;
  const res = init.post
    ? await fetch(url, {
        method: 'POST',
        body: search.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    : await fetch(`${url}?${search}`);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text)['subsonic-response'];
  } catch {
    // XML or bytes
  }
  return { status: res.status, text, json, headers: res.headers };
}
