// The media calls of the browser's API client, in Node with a stand-in fetch: what they send, and that a
// read of items waits for a progress report still on its way.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { artworkUrl, mediaApi } from '../../web/src/api/media.ts';

interface Sent {
  url: string;
  init: RequestInit;
}

function answering(respond: (sent: Sent) => Promise<Response> | Response): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    const entry = { url, init };
    sent.push(entry);
    return respond(entry);
  });
  return sent;
}

const json = (body: unknown) =>
  new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('web media API client', () => {
  it('puts the filters of a library page in the query and escapes ids', async () => {
    const sent = answering(() => json({ items: [], total: 0, limit: 60, offset: 0 }));
    await mediaApi.items('lib/1', {
      q: 'night & day',
      sort: 'year',
      order: 'desc',
      watched: false,
      limit: 60,
      offset: 120,
    });
    expect(sent[0].url).toBe(
      '/api/v1/libraries/lib%2F1/items?q=night+%26+day&sort=year&order=desc&watched=false&limit=60&offset=120',
    );
    expect(sent[0].init.method).toBe('GET');
    await mediaApi.items('lib1');
    expect(sent[1].url).toBe('/api/v1/libraries/lib1/items');
    expect(artworkUrl('a b')).toBe('/api/v1/items/a%20b/artwork');
    expect(artworkUrl('x', 'fanart')).toBe('/api/v1/items/x/artwork?kind=fanart');
  });

  it('asks for a stream URL with a POST, and sends the last progress report with keepalive', async () => {
    const sent = answering(() =>
      json({ url: 'http://127.0.0.1/api/v1/items/i1/stream?st=hst_x', expires_at: '2026-01-01T00:00:00.000Z' }),
    );
    await mediaApi.streamUrl('i1');
    expect(sent[0]).toMatchObject({ url: '/api/v1/items/i1/stream-url', init: { method: 'POST', body: '{}' } });
    await mediaApi.setProgress('i1', { position_seconds: 12.5 }, { keepalive: true });
    expect(sent[1]).toMatchObject({
      url: '/api/v1/items/i1/progress',
      init: { method: 'PUT', keepalive: true, body: '{"position_seconds":12.5}' },
    });
    await mediaApi.setProgress('i1', { watched: true });
    expect(sent[2].init.keepalive).toBeUndefined();
  });

  it('reads an item only after the progress reports this page sent have landed', async () => {
    let land: () => void = () => undefined;
    const sent = answering(({ init }) =>
      init.method === 'PUT'
        ? new Promise<Response>((resolve) => (land = () => resolve(json({ id: 'i1' }))))
        : json({ id: 'i1', children: [] }),
    );
    const write = mediaApi.setProgress('i1', { position_seconds: 3 });
    const read = mediaApi.item('i1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent.map((entry) => entry.init.method)).toEqual(['PUT']);
    land();
    await write;
    await read;
    expect(sent.map((entry) => entry.init.method)).toEqual(['PUT', 'GET']);
  });

  it('does not hold reads back for a report that failed', async () => {
    const sent = answering(({ init }) =>
      init.method === 'PUT'
        ? new Response('{"error":{"code":"not_found","message":"Not found."}}', { status: 404 })
        : json({ items: [] }),
    );
    await expect(mediaApi.setProgress('gone', { position_seconds: 1 })).rejects.toMatchObject({ status: 404 });
    await mediaApi.continueWatching(10);
    expect(sent[1].url).toBe('/api/v1/me/continue-watching?limit=10');
  });
});
