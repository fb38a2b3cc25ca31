// Libraries, grants and browsing through the HTTP API, on SQLite and PostgreSQL: private by default
// (S70), and the browse tree, paging, sorting, filters, search and watch progress over a names-only scan.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/accounts/sessions.ts';
import { storeKinds } from '../helpers/services.ts';
import { testClock, type TestServer } from '../helpers/server.ts';
import { allItems, createLibrary, mediaServer, put, scan, tempDir } from './media-helpers.ts';

const MOVIES = [
  'Avatar (2009)/Avatar (2009).mkv',
  'Avatar (2009)/Avatar (2009)-trailer.mkv',
  'Avatar (2009)/poster.jpg',
  'The.Matrix.1999.1080p.BluRay.x264-GROUP.mkv',
  'Blade Runner 2049 (2017)/movie.mkv',
  "Alien (1979) {edition-Director's Cut}.mkv",
  'Amélie (2001)/Amélie (2001).mp4',
  'notes.txt',
];
const SHOWS = [
  'Breaking Bad/Season 01/Breaking Bad - S01E01 - Pilot.mkv',
  'Breaking Bad/Season 01/Breaking Bad - S01E02-E03.mkv',
  'Breaking Bad/Specials/Breaking Bad - S00E01 - Minisode.mkv',
  'Breaking Bad/poster.jpg',
  'Breaking Bad/season01-poster.jpg',
  'Doctor Who (2005)/Series 2/Doctor.Who.2005.2x03.School.Reunion.mkv',
];

describe.each(await storeKinds())('libraries and browsing on %s', (store) => {
  let s: TestServer;
  let admin: string;
  let member: { id: string; token: string };
  let base: string;
  let moviesDir: string;
  let showsDir: string;
  let movies: string;
  let shows: string;
  const clock = testClock();

  beforeAll(async () => {
    ({ s, admin, member } = await mediaServer({ store, clock: clock.clock }));
    base = tempDir('hearth-libraries-');
    moviesDir = join(base, 'movies');
    showsDir = join(base, 'shows');
    for (const path of MOVIES) put(join(moviesDir, path));
    for (const path of SHOWS) put(join(showsDir, path));
    movies = await createLibrary(s, admin, 'Movies', 'movies', [moviesDir]);
    shows = await createLibrary(s, admin, 'Shows', 'shows', [showsDir]);
    await scan(s, admin, movies, { probe: false });
    await scan(s, admin, shows, { probe: false });
  }, 120_000);
  afterAll(async () => s?.close());

  it('refuses library folders that are relative, missing, files, overlapping or the data folder', async () => {
    const post = (body: unknown) => s.request('POST', '/api/v1/libraries', { token: admin, body });
    const file = put(join(base, 'a-file.mkv'));
    mkdirSync(join(base, 'free'), { recursive: true });
    expect((await post({ name: 'x', kind: 'movies', paths: ['relative/path'] })).body.error.code).toBe(
      'library_path_invalid',
    );
    expect((await post({ name: 'x', kind: 'movies', paths: [join(base, 'nope')] })).body.error.code).toBe(
      'library_path_invalid',
    );
    expect((await post({ name: 'x', kind: 'movies', paths: [file] })).body.error.code).toBe('library_path_invalid');
    expect((await post({ name: 'x', kind: 'movies', paths: [s.dataDir] })).body.error.code).toBe(
      'library_path_invalid',
    );
    const inside = await post({ name: 'x', kind: 'movies', paths: [join(moviesDir, 'Avatar (2009)')] });
    expect([inside.status, inside.body.error.code]).toEqual([409, 'library_paths_overlap']);
    expect((await post({ name: 'x', kind: 'movies', paths: [base] })).body.error.code).toBe('library_paths_overlap');
    expect((await post({ name: 'movies', kind: 'movies', paths: [join(base, 'free')] })).body.error.code).toBe(
      'library_name_taken',
    );
    expect((await post({ name: 'x', kind: 'books', paths: [join(base, 'free')] })).status).toBe(400);
    expect((await post({ name: 'x', kind: 'movies', paths: [join(base, 'free')], extra: 1 })).status).toBe(400);
    expect(
      (
        await s.request('POST', '/api/v1/libraries', {
          token: member.token,
          body: { name: 'x', kind: 'movies', paths: [join(base, 'free')] },
        })
      ).status,
    ).toBe(403);
  });

  it('S70: a member sees only granted libraries; an ungranted library or item answers exactly like a missing one', async () => {
    expect((await s.request('GET', '/api/v1/libraries')).status).toBe(401);
    expect((await s.request('GET', '/api/v1/libraries', { token: member.token })).body).toEqual([]);
    const adminView = await s.request('GET', '/api/v1/libraries', { token: admin });
    expect(adminView.body.map((l: any) => l.name)).toEqual(['Movies', 'Shows']);
    expect(adminView.body[0].paths).toEqual([moviesDir]);

    const movie = (await allItems(s, admin, movies)).find((i) => i.title === 'Avatar')!;
    const routes = (libraryId: string, itemId: string) => [
      `/api/v1/libraries/${libraryId}`,
      `/api/v1/libraries/${libraryId}/items`,
      `/api/v1/items/${itemId}`,
      `/api/v1/items/${itemId}/stream`,
      `/api/v1/items/${itemId}/artwork`,
    ];
    const hidden = routes(movies, movie.id);
    const missing = routes('no-such-library', 'no-such-item');
    for (let i = 0; i < hidden.length; i++) {
      const a = await s.request('GET', hidden[i]!, { token: member.token });
      const b = await s.request('GET', missing[i]!, { token: member.token });
      expect(a.status, hidden[i]).toBe(404);
      expect(a.body, hidden[i]).toEqual(b.body);
      expect(a.body).toEqual({ error: { code: 'not_found', message: 'Not found.' } });
    }
    const progress = await s.request('PUT', `/api/v1/items/${movie.id}/progress`, {
      token: member.token,
      body: { position_seconds: 5 },
    });
    expect(progress.status).toBe(404);
    const streamUrl = await s.request('POST', `/api/v1/items/${movie.id}/stream-url`, {
      token: member.token,
      body: {},
    });
    expect(streamUrl.status).toBe(404);
    expect((await s.request('GET', '/api/v1/search?q=avatar', { token: member.token })).body.items).toEqual([]);

    const grant = await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
      token: admin,
      body: { library_ids: [movies] },
    });
    expect(grant.body).toEqual({ library_ids: [movies] });
    expect((await s.request('GET', `/api/v1/admin/users/${member.id}/libraries`, { token: admin })).body).toEqual({
      library_ids: [movies],
    });
    const visible = await s.request('GET', '/api/v1/libraries', { token: member.token });
    expect(visible.body).toEqual([{ id: movies, name: 'Movies', kind: 'movies', created_at: expect.any(String) }]);
    expect((await s.request('GET', `/api/v1/items/${movie.id}`, { token: member.token })).status).toBe(200);
    expect((await s.request('GET', `/api/v1/libraries/${shows}/items`, { token: member.token })).status).toBe(404);
    const found = await s.request('GET', '/api/v1/search?q=breaking', { token: member.token });
    expect(found.body.items).toEqual([]);

    // A revoked grant hides it again.
    await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, { token: admin, body: { library_ids: [] } });
    expect((await s.request('GET', `/api/v1/items/${movie.id}`, { token: member.token })).status).toBe(404);
  });

  it('grants: unknown libraries are refused, unknown users are 404, members cannot grant', async () => {
    const bad = await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
      token: admin,
      body: { library_ids: [movies, 'nope'] },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'unknown_library']);
    expect(
      (await s.request('PUT', '/api/v1/admin/users/nobody/libraries', { token: admin, body: { library_ids: [] } }))
        .status,
    ).toBe(404);
    expect(
      (
        await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
          token: member.token,
          body: { library_ids: [movies] },
        })
      ).status,
    ).toBe(403);
    expect((await s.request('GET', `/api/v1/admin/users/${member.id}/libraries`, { token: admin })).body).toEqual({
      library_ids: [],
    });
  });

  it('app passwords reach media routes by scope: media:read browses, media:stream also plays', async () => {
    const owner = (await s.request('GET', '/api/v1/me', { token: admin })).body;
    const app = async (scopes: string[]) =>
      (
        await createSession(
          s.deps,
          s.deps.db,
          { userId: owner.id, kind: 'app', device: { name: 'Kodi', platform: null, client: null }, ip: null, scopes },
          s.deps.clock(),
        )
      ).token;
    const reader = await app(['media:read']);
    const streamer = await app(['media:stream']);
    const other = await app(['account:read']);
    const movie = (await allItems(s, admin, movies)).find((i) => i.title === 'Avatar')!;
    expect((await s.request('GET', `/api/v1/libraries/${movies}/items`, { token: reader })).status).toBe(200);
    expect((await s.request('GET', `/api/v1/libraries/${movies}/items`, { token: other })).body.error.code).toBe(
      'insufficient_scope',
    );
    expect((await s.request('GET', `/api/v1/items/${movie.id}/stream`, { token: reader })).body.error.code).toBe(
      'insufficient_scope',
    );
    expect((await s.request('GET', `/api/v1/items/${movie.id}/stream`, { token: streamer })).status).toBe(200);
    expect(
      (await s.request('POST', `/api/v1/items/${movie.id}/stream-url`, { token: streamer, body: {} })).status,
    ).toBe(200);
    expect(
      (await s.request('POST', `/api/v1/libraries/${movies}/scan`, { token: reader, body: {} })).body.error.code,
    ).toBe('insufficient_scope');
  });

  it('builds the tree from names: movies with years, editions and extras; shows, seasons and episodes', async () => {
    const top = await allItems(s, admin, movies);
    expect(top.map((i) => [i.type, i.title, i.year])).toEqual([
      ['movie', 'Alien', 1979],
      ['movie', 'Amélie', 2001],
      ['movie', 'Avatar', 2009],
      ['movie', 'Blade Runner 2049', 2017],
      ['movie', 'The Matrix', 1999],
    ]);
    const avatar = top.find((i) => i.title === 'Avatar')!;
    expect(avatar.has_artwork).toBe(true);
    expect(top.find((i) => i.title === 'Alien')!.edition).toBe("Director's Cut");
    expect(top.find((i) => i.title === 'Alien')!.has_artwork).toBe(false);
    const detail = await s.request('GET', `/api/v1/items/${avatar.id}`, { token: admin });
    expect(detail.body.children.map((c: any) => [c.type, c.extra_type])).toEqual([['extra', 'trailer']]);
    expect(JSON.stringify(detail.body)).not.toContain(moviesDir);

    const showTop = await allItems(s, admin, shows);
    expect(showTop.map((i) => [i.type, i.title, i.year, i.child_count])).toEqual([
      ['show', 'Breaking Bad', null, 2],
      ['show', 'Doctor Who', 2005, 1],
    ]);
    const bb = await s.request('GET', `/api/v1/items/${showTop[0].id}`, { token: admin });
    expect(bb.body.has_artwork).toBe(true);
    expect(bb.body.children.map((c: any) => [c.type, c.title, c.index, c.has_artwork])).toEqual([
      ['season', 'Specials', 0, false],
      ['season', 'Season 1', 1, true],
    ]);
    const season = await s.request('GET', `/api/v1/items/${bb.body.children[1].id}`, { token: admin });
    expect(season.body.children.map((c: any) => [c.type, c.title, c.index, c.index_end])).toEqual([
      ['episode', 'Pilot', 1, null],
      ['episode', 'Episode 2', 2, 3],
    ]);
    const page = await s.request(
      'GET',
      `/api/v1/libraries/${shows}/items?parent_id=${bb.body.children[1].id}&limit=1&offset=1`,
      { token: admin },
    );
    expect(page.body).toMatchObject({ total: 2, limit: 1, offset: 1, items: [{ title: 'Episode 2' }] });
    const doctor = await s.request('GET', `/api/v1/items/${showTop[1].id}`, { token: admin });
    const series2 = await s.request('GET', `/api/v1/items/${doctor.body.children[0].id}`, { token: admin });
    expect(series2.body.children.map((c: any) => [c.title, c.index])).toEqual([['School Reunion', 3]]);
  });

  it('pages, sorts and filters', async () => {
    const get = async (query: string) =>
      (await s.request('GET', `/api/v1/libraries/${movies}/items?${query}`, { token: admin })).body;
    const byYear = await get('sort=year&order=desc');
    expect(byYear.items.map((i: any) => i.year)).toEqual([2017, 2009, 2001, 1999, 1979]);
    const paged = await get('sort=title&limit=2&offset=2');
    expect(paged).toMatchObject({ total: 5, limit: 2, offset: 2 });
    expect(paged.items.map((i: any) => i.title)).toEqual(['Avatar', 'Blade Runner 2049']);
    expect((await get('q=amelie')).items.map((i: any) => i.title)).toEqual(['Amélie']);
    expect((await get('q=matrix%201999')).items).toEqual([]);
    expect((await get('q=the%20mat')).items.map((i: any) => i.title)).toEqual(['The Matrix']);
    expect((await get('type=extra')).items.map((i: any) => i.extra_type)).toEqual(['trailer']);
    expect((await get('q=%25')).items).toEqual([]);
    expect((await s.request('GET', `/api/v1/libraries/${movies}/items?limit=0`, { token: admin })).status).toBe(400);
    expect((await s.request('GET', `/api/v1/libraries/${movies}/items?sort=size`, { token: admin })).status).toBe(400);

    // Added later, sorted first by "added".
    clock.advance(60_000);
    put(join(moviesDir, 'Heat (1995)', 'Heat (1995).mkv'));
    await scan(s, admin, movies, { probe: false });
    expect((await get('sort=added&order=desc&limit=1')).items.map((i: any) => i.title)).toEqual(['Heat']);
  });

  it('records watch progress and watched flags per user; continue watching lists what was started', async () => {
    await s.request('PUT', `/api/v1/admin/users/${member.id}/libraries`, {
      token: admin,
      body: { library_ids: [movies, shows] },
    });
    const [alien, amelie] = (await allItems(s, member.token, movies)).slice(0, 2);
    const put1 = await s.request('PUT', `/api/v1/items/${alien.id}/progress`, {
      token: member.token,
      body: { position_seconds: 120.5 },
    });
    expect(put1.body.progress).toMatchObject({ position_seconds: 120.5, watched: false });
    clock.advance(1000);
    await s.request('PUT', `/api/v1/items/${amelie.id}/progress`, {
      token: member.token,
      body: { position_seconds: 30 },
    });
    const cw = await s.request('GET', '/api/v1/me/continue-watching', { token: member.token });
    expect(cw.body.items.map((i: any) => i.title)).toEqual(['Amélie', 'Alien']);
    // Another user's progress is their own.
    expect((await s.request('GET', '/api/v1/me/continue-watching', { token: admin })).body.items).toEqual([]);
    expect((await s.request('GET', `/api/v1/items/${alien.id}`, { token: admin })).body.progress).toBeNull();

    await s.request('PUT', `/api/v1/items/${alien.id}/progress`, { token: member.token, body: { watched: true } });
    const watched = await s.request('GET', `/api/v1/libraries/${movies}/items?watched=true`, { token: member.token });
    expect(watched.body.items.map((i: any) => i.title)).toEqual(['Alien']);
    const unwatched = await s.request('GET', `/api/v1/libraries/${movies}/items?watched=false`, {
      token: member.token,
    });
    expect(unwatched.body.items.map((i: any) => i.title)).not.toContain('Alien');
    expect(
      (await s.request('GET', '/api/v1/me/continue-watching', { token: member.token })).body.items.map(
        (i: any) => i.title,
      ),
    ).toEqual(['Amélie']);

    // A whole show marked watched marks every episode below it.
    const bb = (await allItems(s, member.token, shows))[0];
    const marked = await s.request('PUT', `/api/v1/items/${bb.id}/progress`, {
      token: member.token,
      body: { watched: true },
    });
    expect(marked.status).toBe(200);
    const episodes = await allItems(s, member.token, shows, 'episode');
    expect(episodes.filter((e) => e.progress?.watched).length).toBe(3);
    const bad = await s.request('PUT', `/api/v1/items/${bb.id}/progress`, {
      token: member.token,
      body: { position_seconds: 3 },
    });
    expect(bad.status).toBe(400);
    expect(
      (await s.request('PUT', `/api/v1/items/${alien.id}/progress`, { token: member.token, body: {} })).status,
    ).toBe(400);
    expect(
      (
        await s.request('PUT', `/api/v1/items/${alien.id}/progress`, {
          token: member.token,
          body: { position_seconds: -1 },
        })
      ).status,
    ).toBe(400);
  });

  it('searches every library the user may see', async () => {
    const found = await s.request('GET', '/api/v1/search?q=breaking', { token: admin });
    expect(found.body.items.map((i: any) => i.type).sort()).toEqual(['episode', 'episode', 'episode', 'show']);
    expect(
      (await s.request('GET', '/api/v1/search?q=pilot', { token: admin })).body.items.map((i: any) => i.title),
    ).toEqual(['Pilot']);
    expect((await s.request('GET', '/api/v1/search', { token: admin })).status).toBe(400);
  });

  it('a rescan keeps ids and progress of moved files and drops removed ones', async () => {
    const [alien] = await allItems(s, admin, movies);
    expect(alien.title).toBe('Alien');
    await s.request('PUT', `/api/v1/items/${alien.id}/progress`, { token: admin, body: { position_seconds: 42 } });
    renameSync(
      join(moviesDir, "Alien (1979) {edition-Director's Cut}.mkv"),
      put(join(moviesDir, 'Alien (1979)', 'Alien (1979).mkv')),
    );
    rmSync(join(moviesDir, 'Blade Runner 2049 (2017)'), { recursive: true });
    const job = await scan(s, admin, movies, { probe: false });
    expect(job.result).toMatchObject({ moved: 1, removed: 1, added: 0 });
    const moved = (await s.request('GET', `/api/v1/items/${alien.id}`, { token: admin })).body;
    expect(moved).toMatchObject({ id: alien.id, title: 'Alien', edition: null, progress: { position_seconds: 42 } });
    expect((await allItems(s, admin, movies)).map((m) => m.title)).not.toContain('Blade Runner 2049');
  });

  it('the media routes are described in the OpenAPI document', async () => {
    const doc = await s.request('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    for (const path of [
      '/api/v1/libraries',
      '/api/v1/libraries/{id}/items',
      '/api/v1/items/{id}/stream',
      '/api/v1/items/{id}/stream-url',
      '/api/v1/admin/users/{id}/libraries',
    ]) {
      expect(Object.keys(doc.body.paths), path).toContain(path);
    }
  });

  it('renames and removes a library without touching its files', async () => {
    const dir = join(base, 'home-videos');
    const file = put(join(dir, 'Birthday 2019.mp4'), 'bytes');
    const id = await createLibrary(s, admin, 'Home', 'videos', [dir]);
    await scan(s, admin, id, { probe: false });
    const item = (await allItems(s, admin, id))[0];
    expect(item).toMatchObject({ type: 'video', title: 'Birthday', year: 2019 });
    const renamed = await s.request('PATCH', `/api/v1/libraries/${id}`, { token: admin, body: { name: 'Family' } });
    expect(renamed.body.name).toBe('Family');
    expect(
      (await s.request('PATCH', `/api/v1/libraries/${id}`, { token: admin, body: { name: 'movies' } })).body.error.code,
    ).toBe('library_name_taken');
    expect((await s.request('DELETE', `/api/v1/libraries/${id}`, { token: member.token })).status).toBe(403);
    expect((await s.request('DELETE', `/api/v1/libraries/${id}`, { token: admin })).status).toBe(200);
    expect((await s.request('GET', `/api/v1/items/${item.id}`, { token: admin })).status).toBe(404);
    expect((await s.request('DELETE', `/api/v1/libraries/${id}`, { token: admin })).status).toBe(404);
    expect(existsSync(file)).toBe(true);
    writeFileSync(join(dir, 'still-writable'), 'x');
  });
});
