// Kodi NFO files: every field Hearth reads, the file names it looks for, NFO over the file name, a
// broken NFO as a warning with the name kept, and S76 (no DTD, no entity: XXE and billion laughs are
// ignored, the scan goes on, nothing outside the file is read).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NfoError, parseNfo } from '../../src/media/nfo.ts';
import type { TestServer } from '../helpers/server.ts';
import { allItems, createLibrary, mediaServer, put, scan, tempDir } from './media-helpers.ts';

const MOVIE_NFO = `<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<movie>
  <title>Heat &amp; Dust</title>
  <originaltitle>Heat</originaltitle>
  <sorttitle>Heat 1</sorttitle>
  <year>1995</year>
  <premiered>1995-12-15</premiered>
  <plot>A group of professional bank robbers start to feel the heat.</plot>
  <tagline>A Los Angeles crime saga</tagline>
  <runtime>170</runtime>
  <genre>Action</genre>
  <genre>Crime / Drama</genre>
  <studio>Warner Bros.</studio>
  <tag>heist</tag>
  <mpaa>Rated R</mpaa>
  <ratings>
    <rating name="imdb" max="10"><value>8.3</value><votes>700000</votes></rating>
    <rating name="themoviedb" max="10" default="true"><value>7.9</value></rating>
  </ratings>
  <uniqueid type="imdb" default="true">tt0113277</uniqueid>
  <uniqueid type="tmdb">949</uniqueid>
  <set><name>Michael Mann Collection</name><overview>Films</overview></set>
  <director>Michael Mann</director>
  <credits>Michael Mann</credits>
  <actor><name>Al Pacino</name><role>Vincent Hanna</role><order>0</order><thumb>https://image.example/pacino.jpg</thumb></actor>
  <actor><name>Robert De Niro</name><role>Neil McCauley</role><thumb>/local/path.jpg</thumb></actor>
</movie>
https://www.themoviedb.org/movie/949`;

/** XXE: an external entity pointing at a file outside the NFO. */
const xxe = (secretPath: string) => `<?xml version="1.0"?>
<!DOCTYPE movie [<!ENTITY xxe SYSTEM "file://${secretPath}">]>
<movie><title>&xxe;</title><plot>&xxe;</plot></movie>`;

/** Billion laughs: nested entities that expand to gigabytes. */
const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<movie><title>&lol9;</title></movie>`;

describe('parseNfo', () => {
  it('reads every field of a Kodi movie NFO, with a URL line after the XML', () => {
    const nfo = parseNfo(MOVIE_NFO, 'movie');
    expect(nfo).toMatchObject({
      kind: 'movie',
      title: 'Heat & Dust',
      originalTitle: 'Heat',
      sortTitle: 'Heat 1',
      year: 1995,
      premiered: '1995-12-15',
      tagline: 'A Los Angeles crime saga',
      runtimeMinutes: 170,
      genres: ['Action', 'Crime', 'Drama'],
      studios: ['Warner Bros.'],
      tags: ['heist'],
      certification: 'R',
      rating: 7.9,
      directors: ['Michael Mann'],
      writers: ['Michael Mann'],
      collection: 'Michael Mann Collection',
      ids: { imdb: 'tt0113277', tmdb: '949' },
    });
    expect(nfo.plot).toMatch(/bank robbers/);
    expect(nfo.cast).toEqual([
      { name: 'Al Pacino', role: 'Vincent Hanna', thumb: 'https://image.example/pacino.jpg' },
      { name: 'Robert De Niro', role: 'Neil McCauley', thumb: null },
    ]);
  });

  it('reads tvshow, season and episode NFOs, old-style ids and a bare URL NFO', () => {
    expect(
      parseNfo(
        '<tvshow><title>Lost</title><id>73739</id><premiered>2004-09-22</premiered><genre>Drama</genre></tvshow>',
        'tvshow',
      ),
    ).toMatchObject({
      kind: 'tvshow',
      title: 'Lost',
      year: 2004,
      ids: { tvdb: '73739' },
      genres: ['Drama'],
    });
    expect(
      parseNfo('<season><title>The Island</title><seasonnumber>1</seasonnumber></season>', 'season'),
    ).toMatchObject({ title: 'The Island' });
    expect(
      parseNfo(
        '<episodedetails><title>Pilot (1)</title><season>1</season><episode>1</episode><aired>2004-09-22</aired><rating>9.1</rating></episodedetails>',
        'episodedetails',
      ),
    ).toMatchObject({
      title: 'Pilot (1)',
      season: 1,
      episode: 1,
      premiered: '2004-09-22',
      rating: 9.1,
    });
    expect(parseNfo('https://www.imdb.com/title/tt0113277/\n', 'movie')).toMatchObject({
      title: null,
      ids: { imdb: 'tt0113277' },
    });
    expect(parseNfo('<album><title>OK Computer</title><year>1997</year></album>', 'album')).toMatchObject({
      title: 'OK Computer',
      year: 1997,
    });
    expect(parseNfo('<artist><name>Radiohead</name><biography>Band.</biography></artist>', 'artist')).toMatchObject({
      plot: 'Band.',
    });
  });

  it('refuses what is not an NFO: malformed XML, an unknown root, no XML', () => {
    expect(() => parseNfo('<movie><title>Broken</movie>', 'movie')).toThrow(NfoError);
    expect(() => parseNfo('<html><body>hi</body></html>', 'movie')).toThrow(NfoError);
    expect(() => parseNfo('just some notes', 'movie')).toThrow(NfoError);
  });

  it('S76: a DTD is refused unread; entities are never expanded', () => {
    expect(() => parseNfo(xxe('/etc/passwd'), 'movie')).toThrow(/DTD/);
    expect(() => parseNfo(BILLION_LAUGHS, 'movie')).toThrow(/DTD/);
    // An undeclared reference stays as written; only the five XML escapes and character references decode.
    expect(parseNfo('<movie><title>&lol9; &#65;&#x42; &lt;x&gt;</title></movie>', 'movie').title).toBe('&lol9; AB <x>');
  });
});

describe('NFO files in a scan', () => {
  let s: TestServer;
  let admin: string;
  let base: string;
  let secret: string;

  beforeAll(async () => {
    ({ s, admin } = await mediaServer());
    base = tempDir('hearth-nfo-');
    secret = put(join(base, 'outside', 'secret.txt'), 'TOP-SECRET-CONTENT');
  }, 60_000);
  afterAll(async () => s?.close());

  const item = async (id: string) => (await s.request('GET', `/api/v1/items/${id}`, { token: admin })).body;

  it('NFO wins over the file name for movies, shows, seasons and episodes; search finds cast', async () => {
    const dir = join(base, 'nfo-lib');
    put(join(dir, 'Heat (1995)', 'Heat.1995.1080p.BluRay.mkv'));
    put(join(dir, 'Heat (1995)', 'movie.nfo'), MOVIE_NFO);
    put(join(dir, 'Loose.Film.2001.mkv'));
    put(
      join(dir, 'Loose.Film.2001.nfo'),
      '<movie><title>A Loose Film</title><year>2002</year><genre>Comedy</genre></movie>',
    );
    const movies = await createLibrary(s, admin, 'NFO movies', 'movies', [dir]);
    const job = await scan(s, admin, movies, { probe: false });
    expect(job.result.warnings).toEqual([]);
    const top = await allItems(s, admin, movies);
    // Sorted by the NFO's sort title ("Heat 1") and without the article ("Loose Film").
    expect(top.map((m) => [m.title, m.year])).toEqual([
      ['Heat & Dust', 1995],
      ['A Loose Film', 2002],
    ]);
    const heat = await item(top[0].id);
    expect(heat).toMatchObject({
      original_title: 'Heat',
      rating: 7.9,
      certification: 'R',
      collection: 'Michael Mann Collection',
      genres: ['Action', 'Crime', 'Drama'],
      external_ids: { imdb: 'tt0113277', tmdb: '949' },
    });
    expect(heat.people.filter((p: any) => p.kind === 'actor').map((p: any) => [p.name, p.role])).toEqual([
      ['Al Pacino', 'Vincent Hanna'],
      ['Robert De Niro', 'Neil McCauley'],
    ]);
    expect(heat.people.filter((p: any) => p.kind === 'director').map((p: any) => p.name)).toEqual(['Michael Mann']);
    const found = await s.request('GET', '/api/v1/search?q=pacino', { token: admin });
    expect(found.body.items.map((i: any) => i.title)).toEqual(['Heat & Dust']);

    const showsDir = join(base, 'nfo-shows');
    put(
      join(showsDir, 'Lost', 'tvshow.nfo'),
      '<tvshow><title>LOST</title><plot>Survivors.</plot><genre>Drama</genre></tvshow>',
    );
    put(join(showsDir, 'Lost', 'Season 1', 'season.nfo'), '<season><title>The Island</title></season>');
    put(join(showsDir, 'Lost', 'Season 1', 'Lost.S01E01.720p.mkv'));
    put(
      join(showsDir, 'Lost', 'Season 1', 'Lost.S01E01.720p.nfo'),
      '<episodedetails><title>Pilot (1)</title><aired>2004-09-22</aired><actor><name>Evangeline Lilly</name></actor></episodedetails>',
    );
    const shows = await createLibrary(s, admin, 'NFO shows', 'shows', [showsDir]);
    await scan(s, admin, shows, { probe: false });
    const [show] = await allItems(s, admin, shows);
    expect(show).toMatchObject({ title: 'LOST', plot: 'Survivors.', genres: ['Drama'] });
    const [season] = (await item(show.id)).children;
    expect(season.title).toBe('The Island');
    const [episode] = (await item(season.id)).children;
    expect(episode).toMatchObject({ title: 'Pilot (1)', air_date: '2004-09-22' });

    // A changed NFO is read again; a removed one gives the name back.
    put(join(dir, 'Loose.Film.2001.nfo'), '<movie><title>The Loose Film</title></movie>');
    await scan(s, admin, movies, { probe: false });
    expect((await allItems(s, admin, movies)).map((m) => m.title)).toContain('The Loose Film');
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(dir, 'Loose.Film.2001.nfo'));
    await scan(s, admin, movies, { probe: false });
    expect((await allItems(s, admin, movies)).map((m) => [m.title, m.year])).toContainEqual(['Loose Film', 2001]);
  });

  it('a broken NFO is a warning in the scan report and the name is used', async () => {
    const dir = join(base, 'broken');
    put(join(dir, 'Alien (1979)', 'Alien (1979).mkv'));
    put(join(dir, 'Alien (1979)', 'Alien (1979).nfo'), '<movie><title>Broken</movie');
    const lib = await createLibrary(s, admin, 'Broken NFO', 'movies', [dir]);
    const job = await scan(s, admin, lib, { probe: false });
    expect(job.result.warnings).toEqual([
      { path: 'Alien (1979)/Alien (1979).nfo', reason: expect.stringMatching(/not well-formed/) },
    ]);
    expect(job.result.failed).toBe(0);
    expect((await allItems(s, admin, lib)).map((m) => [m.title, m.year])).toEqual([['Alien', 1979]]);
  });

  it('S76: XXE and billion-laughs NFOs are ignored, the scan continues, nothing outside is read', async () => {
    const dir = join(base, 'hostile');
    put(join(dir, 'Xxe (2001)', 'Xxe (2001).mkv'));
    put(join(dir, 'Xxe (2001)', 'movie.nfo'), xxe(secret));
    put(join(dir, 'Lol (2002)', 'Lol (2002).mkv'));
    put(join(dir, 'Lol (2002)', 'movie.nfo'), BILLION_LAUGHS);
    put(join(dir, 'Fine (2003)', 'Fine (2003).mkv'));
    put(join(dir, 'Fine (2003)', 'movie.nfo'), '<movie><title>Fine Indeed</title></movie>');
    const lib = await createLibrary(s, admin, 'Hostile NFO', 'movies', [dir]);
    const job = await scan(s, admin, lib, { probe: false });
    expect(job.state).toBe('done');
    expect(job.result.warnings.map((w: any) => w.path).sort()).toEqual([
      'Lol (2002)/movie.nfo',
      'Xxe (2001)/movie.nfo',
    ]);
    const top = await allItems(s, admin, lib);
    expect(top.map((m) => m.title)).toEqual(['Fine Indeed', 'Lol', 'Xxe']);
    const everything = JSON.stringify(await Promise.all(top.map((m) => item(m.id))));
    expect(everything).not.toContain('TOP-SECRET');
    expect(everything).not.toContain('lollol');
  });
});
