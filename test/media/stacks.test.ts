// A movie in parts is one item that plays its parts in order as one timeline; a movie in several
// versions is one item whose version the user picks (default: the best one the client plays directly).
// Both through the API and the stream route, with progress on the one item and resume across parts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.ts';
import {
  allItems,
  createLibrary,
  haveFfmpeg,
  makeClip,
  mediaServer,
  put,
  scan,
  tempDir,
  copy,
} from './media-helpers.ts';

const ffmpeg = haveFfmpeg();

describe('stacks and versions', () => {
  let s: TestServer;
  let admin: string;
  let dir: string;
  let lib: string;
  const item = async (id: string) => (await s.request('GET', `/api/v1/items/${id}`, { token: admin })).body;
  const stream = (id: string, query = '') =>
    s.app.inject({
      method: 'GET',
      url: `/api/v1/items/${id}/stream${query}`,
      headers: { authorization: `Bearer ${admin}` },
    });

  beforeAll(async () => {
    ({ s, admin } = await mediaServer());
    dir = tempDir('hearth-stacks-');
    put(join(dir, 'Kill Bill (2003)', 'Kill Bill (2003) - part2.mkv'), 'PART-TWO');
    put(join(dir, 'Kill Bill (2003)', 'Kill Bill (2003) - part1.mkv'), 'PART-ONE');
    put(join(dir, 'Heat (1995)', 'Heat (1995) (Disc 01).mkv'), 'HEAT-1');
    put(join(dir, 'Heat (1995)', 'Heat (1995) (Disc 02).mkv'), 'HEAT-2');
    put(join(dir, 'Film (2010)', 'Film (2010) - 1080p.mkv'), 'FILM-1080');
    put(join(dir, 'Film (2010)', "Film (2010) - Director's Cut.mkv"), 'FILM-DC');
    put(join(dir, 'Film (2010)', 'Film (2010) [3D].mkv'), 'FILM-3D');
    put(join(dir, 'Other (2011).mkv'), 'OTHER');
    lib = await createLibrary(s, admin, 'Stacks', 'movies', [dir]);
    await scan(s, admin, lib, { probe: false });
  }, 60_000);
  afterAll(async () => s?.close());

  it('a film in parts and a film in versions are one item each', async () => {
    const top = await allItems(s, admin, lib);
    expect(top.map((m) => m.title)).toEqual(['Film', 'Heat', 'Kill Bill', 'Other']);
    const kb = await item(top[2].id);
    expect(kb.parts.map((p: any) => [p.part, p.offset_seconds])).toEqual([
      [1, 0],
      [2, 0],
    ]);
    expect(kb.versions).toEqual([]);
    const heat = await item(top[1].id);
    expect(heat.parts.map((p: any) => p.part)).toEqual([1, 2]);
    const film = await item(top[0].id);
    expect(film.parts).toEqual([]);
    expect(film.versions.map((v: any) => v.version_label)).toEqual(['1080p', '3D', "Director's Cut"]);
    // Search finds the one item, not each file.
    expect((await s.request('GET', '/api/v1/search?q=kill bill', { token: admin })).body.items).toHaveLength(1);
  });

  it('the stream route plays parts in order and the version asked for', async () => {
    const top = await allItems(s, admin, lib);
    const kb = await item(top[2].id);
    expect((await stream(kb.id)).body).toBe('PART-ONE');
    expect((await stream(kb.id, '?part=1')).body).toBe('PART-ONE');
    expect((await stream(kb.id, '?part=2')).body).toBe('PART-TWO');
    expect((await stream(kb.id, '?part=3')).statusCode).toBe(404);
    expect((await stream(kb.id, '?part=0')).statusCode).toBe(400);
    const film = await item(top[0].id);
    const dc = film.versions.find((v: any) => v.version_label === "Director's Cut");
    expect((await stream(film.id, `?version=${dc.id}`)).body).toBe('FILM-DC');
    // Another item's id is not a version of this one.
    expect((await stream(film.id, `?version=${kb.id}`)).statusCode).toBe(404);
  });

  it.skipIf(!ffmpeg)(
    'resume across parts: one timeline, progress on the one item, the best version by default',
    async () => {
      const real = tempDir('hearth-stacks-real-');
      const clip = makeClip(join(real, 'src', 'clip.mp4'));
      copy(clip, join(real, 'lib', 'Duo (2020)', 'Duo (2020) - cd1.mp4'));
      copy(clip, join(real, 'lib', 'Duo (2020)', 'Duo (2020) - cd2.mp4'));
      copy(clip, join(real, 'lib', 'Pick (2021)', 'Pick (2021) - 480p.mp4'));
      put(join(real, 'lib', 'Pick (2021)', 'Pick (2021) - 4K.mkv'), 'not playable');
      const realLib = await createLibrary(s, admin, 'Real stacks', 'movies', [join(real, 'lib')]);
      await scan(s, admin, realLib);
      const [duo, pick] = await allItems(s, admin, realLib);
      const detail = await item(duo.id);
      expect(detail.parts.map((p: any) => [p.part, p.offset_seconds])).toEqual([
        [1, 0],
        [2, detail.parts[0].duration_seconds],
      ]);
      expect(detail.total_duration_seconds).toBeCloseTo(detail.parts[0].duration_seconds * 2, 1);
      // Progress sent for part 2's own id lands on the item, as a position on the whole timeline.
      const at = detail.parts[1].offset_seconds + 0.5;
      const saved = await s.request('PUT', `/api/v1/items/${detail.parts[1].id}/progress`, {
        token: admin,
        body: { position_seconds: at },
      });
      expect(saved.status).toBe(200);
      expect(saved.body.id).toBe(duo.id);
      expect(saved.body.progress).toMatchObject({ position_seconds: at, watched: false });
      const resumed = await item(duo.id);
      // The client resumes in the part whose range holds the position.
      const part = resumed.parts.findLast((p: any) => p.offset_seconds <= resumed.progress.position_seconds);
      expect(part.part).toBe(2);
      const cw = await s.request('GET', '/api/v1/me/continue-watching', { token: admin });
      expect(cw.body.items.map((i: any) => i.id)).toContain(duo.id);
      // Default version: the one browsers play directly (the 4K file did not even probe as media).
      const body = (await stream(pick.id)).rawPayload;
      expect(body.equals(readFileSync(clip))).toBe(true);
    },
  );
});
