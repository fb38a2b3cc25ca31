// The browser's API client, run in Node with a stand-in fetch: what it sends and how it reads failures.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, errorText, onSignedOut } from '../../web/src/api.ts';

interface Sent {
  url: string;
  init: RequestInit;
}

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    sent.push({ url, init });
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  });
  return sent;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('web API client', () => {
  it('sends every state change as JSON, even without a payload', async () => {
    let sent = answer(200, { ok: true });
    await api.logout();
    expect(sent[0].url).toBe('/api/v1/auth/logout');
    expect(sent[0].init.method).toBe('POST');
    expect((sent[0].init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(sent[0].init.body).toBe('{}');
    expect(sent[0].init.credentials).toBe('same-origin');

    sent = answer(200, { ok: true });
    await api.revokeSession('a/b');
    expect(sent[0].url).toBe('/api/v1/me/sessions/a%2Fb');
    expect(sent[0].init.method).toBe('DELETE');

    sent = answer(200, []);
    expect(await api.sessions()).toEqual([]);
    expect(sent[0].init.method).toBe('GET');
    expect(sent[0].init.body).toBeUndefined();
  });

  it('tells a sign-in from a second-factor step and never keeps the token', async () => {
    answer(200, { mfa_required: true, mfa_token: 'm1', methods: ['totp', 'recovery_code'] });
    expect(await api.login({ login: 'a', password: 'b' })).toEqual({
      kind: 'mfa',
      challenge: { mfa_required: true, mfa_token: 'm1', methods: ['totp', 'recovery_code'] },
    });
    const user = { id: 'u1', username: 'a' };
    answer(200, { token: 'hs_secret', user, device_marker: 'd' });
    const result = await api.login({ login: 'a', password: 'b' });
    expect(result).toEqual({ kind: 'signed-in', user });
    expect(JSON.stringify(result)).not.toContain('hs_secret');
  });

  it('names the wait once when the server sentence already names it', async () => {
    answer(
      429,
      { error: { code: 'too_many_requests', message: 'Too many attempts. Try again in 90 seconds.' } },
      { 'Retry-After': '90' },
    );
    const error = await api.login({ login: 'a', password: 'b' }).catch((caught: unknown) => caught);
    expect(errorText(error)).toBe('Too many attempts. Try again in 2 minutes.');
  });

  it('shows the server message and, when throttled, the wait from Retry-After', async () => {
    answer(
      429,
      { error: { code: 'too_many_requests', message: 'Too many attempts. Wait and try again.' } },
      { 'Retry-After': '90' },
    );
    const error = await api.login({ login: 'a', password: 'b' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('too_many_requests');
    expect((error as ApiError).retryAfter).toBe(90);
    expect(errorText(error)).toBe('Too many attempts. Wait and try again. Try again in 2 minutes.');

    answer(401, { error: { code: 'invalid_credentials', message: 'The username, email or password is not correct.' } });
    expect(errorText(await api.login({ login: 'a', password: 'b' }).catch((caught: unknown) => caught))).toBe(
      'The username, email or password is not correct.',
    );

    answer(502, null);
    expect(errorText(await api.me().catch((caught: unknown) => caught))).toMatch(/^The server answered 502/);
  });

  it('a request refused because the session is gone tells the app, a wrong password does not', async () => {
    const listener = vi.fn();
    const stop = onSignedOut(listener);
    answer(401, { error: { code: 'invalid_credentials', message: 'no' } });
    await api
      .changePassword({ current_password: 'x', new_password: 'y', sign_out_others: true })
      .catch(() => undefined);
    expect(listener).not.toHaveBeenCalled();
    answer(401, { error: { code: 'unauthorized', message: 'Sign in to continue.' } });
    await api.me().catch(() => undefined);
    expect(listener).toHaveBeenCalledTimes(1);
    stop();
  });
});
