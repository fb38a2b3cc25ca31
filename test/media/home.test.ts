// What a household browses by: the home rows (continue watching with the show's name, next up,
// recently added per library), filters and sorting by NFO metadata, collections, and search that
// finds episode titles, cast and codes like S01E02.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKinds } from '../helpers/services.ts';
import type { TestServer } from '../helpers/server.ts';
import { allItems, createLibrary, mediaServer, put, scan, tempDir } from './media-helpers.ts';

const nfo = (
  title: string,
  year: number,
  genres: string[],
  rating: number,
  actors: string[],
  director: string,
  set?: string,
) =>
  `<movie><title>${title}</title><year>${year}</year>${genres.map((g) => `<genre>${g}</genre>`).join('')}<rating>${rating}</rating>` +
  `${actors.map((a) => `<actor><name>${a}</name><role>Someone</role></actor>`).join('')}<director>${director}</director>${set ? `<set><name>${set}</name></set>` : ''}</movie>`;

describe.each(await storeKinds())('home rows, filters, collections and search on %s', (store) => {
  let s: TestServer;
  let admin: string;
  let member: { id: string; token: string };
  let movies: string;
  let shows: string;
  const get = async (path: string, token = admin) => {
    const res = await s.request('GET', path, { token });
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  beforeAll(async () => {
    ({ s, admin, member } = await mediaServer({ store }));
    const base = tempDir('hearth-home-');
    const m = join(base, 'movies');
    put(join(m, 'Heat (1995)', 'Heat (1995).mkv'));
    put(
      join(m, 'Heat (1995)', 'movie.nfo'),
      nfo('Heat', 1995, ['Crime', 'Drama'], 8.3, ['Al Pacino', 'Robert De Niro'], 'Michael Mann', 'Mann Films'),
    );
    put(join(m, 'Collateral (2004)', 'Collateral (2004).mkv'));
    put(
      join(m, 'Collateral (2004)', 'movie.nfo'),
      nfo('Collateral', 2004, ['Thriller'], 7.5, ['Tom Cruise'], 'Michael Mann', 'Mann Films'),
    );
    put(join(m, 'Scarface (1983)', 'Scarface (1983).mkv'));
    put(
      join(m, 'Scarface (1983)', 'movie.nfo'),
      nfo('Scarface', 1983, ['Crime'], 8.0, ['Al Pacino'], 'Brian De Palma'),
    );
    const t = join(base, 'shows');
    for (const ep of ['S01E01 - Pilot', 'S01E02 - Cat in the Bag', 'S01E03 - And the Bag'])
      put(join(t, 'Breaking Bad', 'Season 1', `Breaking Bad - ${ep}.mkv`));
    for (const ep of ['S01E01 - Days Gone Bye', 'S01E02 - Guts'])
      put(join(t, 'The Walking Dead', 'Season 1', `The Walking Dead - ${ep}.mkv`));
    movies = await createLibrary(s, admin, 'Films', 'movies', [m]);
    shows = await createLibrary(s, admin, 'Series', 'shows', [t]);
    await scan(s, admin, movies, { probe: false });
    await scan(s, admin, shows, { probe: false });
  }, 60_000);
  afterAll(async () => s?.close());

  it('home rows: continue watching with the show and episode, next up per show, recently added per library', async () => {
    const episodes = await allItems(s, admin, shows, 'episode');
    const ep = (title: string) => episodes.find((e) => e.title === title)!;
    const put = (id: string, body: unknown) => s.request('PUT', `/api/v1/items/${id}/progress`, { token: admin, body });
    expect((await put(ep('Pilot').id, { watched: true })).status).toBe(200);
    expect((await put(ep('Cat in the Bag').id, { position_seconds: 120 })).status).toBe(200);
    expect((await put(ep('Days Gone Bye').id, { watched: true })).status).toBe(200);

    const home = await get('/api/v1/me/home');
    expect(home.continue_watching.map((i: any) => [i.show_title, i.season, i.index, i.title])).toEqual([
      ['Breaking Bad', 1, 2, 'Cat in the Bag'],
    ]);
    // Breaking Bad's next episode is already in "continue watching"; The Walking Dead's is next up.
    expect(home.next_up.map((i: any) => [i.show_title, i.index, i.title])).toEqual([['The Walking Dead', 2, 'Guts']]);
    expect(home.recently_added.map((r: any) => [r.library_name, r.items.length])).toEqual([
      ['Films', 3],
      ['Series', 5],
    ]);
    expect(home.recently_added[1].items.every((i: any) => i.show_title !== null)).toBe(true);
    // The old route carries the show too.
    expect((await get('/api/v1/me/continue-watching')).items[0].show_title).toBe('Breaking Bad');
    // A member sees nothing of libraries not granted (S70).
    const theirs = await get('/api/v1/me/home', member.token);
    expect(theirs).toEqual({ continue_watching: [], next_up: [], recently_added: [] });
  });

  it('filters by genre, year, rating, cast, director and collection; sorts by rating', async () => {
    const titles = async (query: string) =>
      (await get(`/api/v1/libraries/${movies}/items?${query}`)).items.map((i: any) => i.title);
    expect(await titles('genre=Crime')).toEqual(['Heat', 'Scarface']);
    expect(await titles('genre=crime&year=1983')).toEqual(['Scarface']);
    expect(await titles('min_rating=8')).toEqual(['Heat', 'Scarface']);
    expect(await titles(`person=${encodeURIComponent('Al Pacino')}`)).toEqual(['Heat', 'Scarface']);
    expect(await titles(`director=${encodeURIComponent('Michael Mann')}`)).toEqual(['Collateral', 'Heat']);
    expect(await titles(`person=${encodeURIComponent('Michael Mann')}`)).toEqual(['Collateral', 'Heat']);
    expect(await titles(`collection=${encodeURIComponent('Mann Films')}`)).toEqual(['Collateral', 'Heat']);
    expect(await titles('sort=rating&order=desc')).toEqual(['Heat', 'Scarface', 'Collateral']);
    expect(await titles('genre=Western')).toEqual([]);
    // Odd characters are words, not patterns.
    expect(await titles(`genre=${encodeURIComponent('%')}`)).toEqual([]);
    expect((await s.request('GET', `/api/v1/libraries/${movies}/items?min_rating=11`, { token: admin })).status).toBe(
      400,
    );
    expect((await get(`/api/v1/libraries/${movies}/collections`)).collections).toEqual([
      { name: 'Mann Films', count: 2 },
    ]);
  });

  it('search finds episode titles, cast and codes like S01E02', async () => {
    const search = async (q: string) =>
      (await get(`/api/v1/search?q=${encodeURIComponent(q)}`)).items.map((i: any) => i.title);
    expect(await search('S01E02')).toEqual(['Cat in the Bag', 'Guts']);
    expect(await search('breaking bad s01e03')).toEqual(['And the Bag']);
    expect(await search('1x02')).toEqual(['Cat in the Bag', 'Guts']);
    expect(await search('guts')).toEqual(['Guts']);
    expect(await search('pacino')).toEqual(['Heat', 'Scarface']);
  });
});
