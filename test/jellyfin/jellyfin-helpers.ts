// The real Jellyfin client library against a listening Hearth: what every Jellyfin app does on the wire.
import type { Api } from '@jellyfin/sdk/lib/api.js';
import { Jellyfin } from '@jellyfin/sdk/lib/jellyfin.js';
import type { TestServer } from '../helpers/server.ts';

export const CLIENT = { name: 'Hearth Test App', version: '1.2.3' };
export const DEVICE = { name: 'Test Phone', id: 'test-device-0001' };

export function jellyfinApi(s: TestServer, token?: string, device = DEVICE): Api {
  const jellyfin = new Jellyfin({ clientInfo: CLIENT, deviceInfo: device });
  return jellyfin.createApi(`${s.url}/jellyfin`, token);
}

/** The status of a failed SDK call (axios error), or 200 when it succeeded. */
export async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    const status = (err as { response?: { status?: number } }).response?.status;
    if (status === undefined) throw err;
    return status;
  }
}

/** The error answer of a failed SDK call. */
export async function failureOf(
  call: Promise<unknown>,
): Promise<{ status: number; data: any; headers: Record<string, string> }> {
  try {
    await call;
  } catch (err) {
    const response = (err as { response?: { status: number; data: unknown; headers: Record<string, string> } })
      .response;
    if (response) return { status: response.status, data: response.data, headers: response.headers };
    throw err;
  }
  throw new Error('the call succeeded');
}
