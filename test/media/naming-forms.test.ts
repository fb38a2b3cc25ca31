// The names of real collections as Jellyfin, Plex and Kodi read them (their published naming guides and
// the behaviour their own test fixtures pin down): every episode form, season folders in many languages,
// release-named folders, titles cleaned of release tags, extras, theme songs and videos, stacks and
// versions. Fixtures are written here; forms with many spellings are property-tested with fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanTitle, parseMediaPath, seasonOfFolder } from '../../src/media/naming.ts';

const ep = (path: string) =>
  parseMediaPath('shows', path) as {
    type: string;
    show?: string;
    season?: number;
    episodes?: number[];
    title?: string | null;
  };

describe('episodes: SxxEyy and NxM in their variants', () => {
  it.each<[string, number, number[], string | null]>([
    ['Elementary/Season 1/S01x02 blah.avi', 1, [2], 'blah'],
    ['Elementary/Season 1/S01xE02 blah.avi', 1, [2], 'blah'],
    ['Elementary/Season 1/seriesname S01xE02 blah.avi', 1, [2], 'blah'],
    ['Elementary/Season 1/01x02 blah.avi', 1, [2], 'blah'],
    ['Elementary/Season 2009/2009x02 blah.avi', 2009, [2], 'blah'],
    ['Elementary/Season 2009/S2009x02 blah.avi', 2009, [2], 'blah'],
    ['Elementary/Season 2009/S2009xE02 blah.avi', 2009, [2], 'blah'],
    ['Elementary/Season 2009/seriesname 2009x02 blah.avi', 2009, [2], 'blah'],
    ['Elementary/Season 3/The Series S3 E9 - The title.avi', 3, [9], 'The title'],
    ['Elementary/Season 3/S003 E009.avi', 3, [9], null],
    ['Elementary/Season 3/The Series Season 3 Episode 9 - The title.avi', 3, [9], 'The title'],
    ['Elementary/Season 1/elementary.s01.e02.720p.mkv', 1, [2], null],
    ['Running Man/Running Man S2017E368.mkv', 2017, [368], null],
    [
      'Watchmen (2019)/Watchmen 1x03 [WEBDL-720p][EAC3 5.1][h264][-TBS] - She Was Killed by Space Junk.mkv',
      1,
      [3],
      'She Was Killed by Space Junk',
    ],
    [
      'The Wonder Years/The.Wonder.Years.S04.PDTV.x264-JCH/The Wonder Years s04e07 Christmas Party NTSC PDTV.avi',
      4,
      [7],
      'Christmas Party',
    ],
  ])('%s', (path, season, episodes, title) => {
    expect(ep(path)).toMatchObject({ type: 'episode', season, episodes, title });
  });

  it('reads SxxEyy in any case, with dots, dashes, spaces or x between the numbers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 1, max: 999 }),
        fc.constantFrom('S', 's'),
        fc.constantFrom('E', 'e', 'x', 'xE', '.E', ' E', '-E', '_e'),
        fc.boolean(),
        fc.constantFrom(' - ', '.', ' ', '_'),
        (season, episode, s, e, pad, sep) => {
          const code = `${s}${pad ? String(season).padStart(2, '0') : season}${e}${pad ? String(episode).padStart(2, '0') : episode}`;
          const parsed = ep(`My Show/My Show${sep}${code}${sep}The Title.mkv`);
          expect(parsed).toMatchObject({
            type: 'episode',
            show: 'My Show',
            season,
            episodes: [episode],
            title: 'The Title',
          });
        },
      ),
    );
  });

  it('reads NxM with one- or two-digit seasons and four-digit year seasons, never a resolution', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1950, max: 2030 })),
        fc.integer({ min: 1, max: 99 }),
        fc.boolean(),
        (season, episode, pad) => {
          const e = pad ? String(episode).padStart(2, '0') : String(episode);
          expect(ep(`Show/Show ${season}x${e} - Name [1920x1080].mkv`)).toMatchObject({
            season,
            episodes: [episode],
            title: 'Name',
          });
        },
      ),
    );
  });
});

describe('episodes: ranges and multi-episode files in every written form', () => {
  it.each<[string, number, number[]]>([
    ['Elementary/Season 2/Elementary - 02x03 - 02x04 - 02x15 - Ep Name.mp4', 2, [3, 4, 15]],
    ['Elementary/Season 2/02x03 - 02x04 - 02x15 - Ep Name.mp4', 2, [3, 4, 15]],
    ['Elementary/Season 2/Elementary - 02x03 - x04 - x15 - Ep Name.mp4', 2, [3, 4, 15]],
    ['Elementary/Season 2/Elementary - 02x03x04x15 - Ep Name.mp4', 2, [3, 4, 15]],
    ['Elementary/Season 2/02x03-04-15 - Ep Name.mp4', 2, [3, 4, ...Array.from({ length: 11 }, (_, i) => i + 5)]],
    ['Elementary/Season 2/Elementary - 02x03-E15 - Ep Name.mp4', 2, Array.from({ length: 13 }, (_, i) => i + 3)],
    ['Elementary/Season 2009/Elementary - 2009x03 - 2009x04 - 2009x15 - Ep Name.mp4', 2009, [3, 4, 15]],
    ['Elementary/Season 2009/2009x03x04x15 - Ep Name.mp4', 2009, [3, 4, 15]],
    ['Elementary/Season 1/Elementary - S01E23-E24-E26 - The Woman.mp4', 1, [23, 24, 25, 26]],
    ['Elementary/Season 2009/S2009E23-E24-E26 - The Woman.mp4', 2009, [23, 24, 25, 26]],
    ['Moonlighting/Season 1/MOONLIGHTING_s01e01-e04.mkv', 1, [1, 2, 3, 4]],
    ['Show/Season 1/Show S01E01~E03.mkv', 1, [1, 2, 3]],
    ['Show/Season 1/Show S01E01.E02.mkv', 1, [1, 2]],
    // Not ranges: a resolution, a title with numbers, an episode and a title.
    ['Show/Season 1/series-s09e14-1080p.mkv', 9, [14]],
    ['Show/Season 1/series-s09e14-720i.mkv', 9, [14]],
    ['Show/Season 5/S05E23 11-59 [HDTV-1080p][x265 AC3].mkv', 5, [23]],
    ['Show/Season 1/S01E01 The 6-10 to Lubbock [WEBRip-1080p][AV1 Opus].mkv', 1, [1]],
    ['Show/Season 2/02x03 - 04 Ep Name.mp4', 2, [3]],
    ['Show/Season 1/4x01 – 20 Hours in America (1).mkv', 4, [1]],
  ])('%s', (path, season, episodes) => {
    expect(ep(path)).toMatchObject({ type: 'episode', season, episodes });
  });

  it('N-M number pairs at the start are a range of episodes in the season folder', () => {
    expect(ep('Show/Season 1/02-03 - blah.avi')).toMatchObject({ season: 1, episodes: [2, 3], title: 'blah' });
    expect(ep('Show/Season 2/02-04.avi')).toMatchObject({ season: 2, episodes: [2, 3, 4] });
    // A spaced dash is an episode and a title that starts with a number.
    expect(ep('Show/Season 2/16 - 12 Some Title.avi')).toMatchObject({ episodes: [16], title: '12 Some Title' });
    expect(ep('Show/Season 2/7 - 12 Angry Men.avi')).toMatchObject({ episodes: [7], title: '12 Angry Men' });
  });

  it('multi-episode ranges in SxxEyy-Ezz form, any separator', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('-E', '-e', ' - E', '-', 'E', '~E'),
        (season, first, extra, sep) => {
          const last = first + extra;
          const code =
            sep === 'E'
              ? Array.from({ length: extra + 1 }, (_, i) => `E${String(first + i).padStart(2, '0')}`).join('')
              : `E${String(first).padStart(2, '0')}${sep}${String(last).padStart(2, '0')}`;
          const parsed = ep(`Show/Season ${season}/Show S${String(season).padStart(2, '0')}${code}.mkv`);
          expect(parsed.episodes).toEqual(Array.from({ length: extra + 1 }, (_, i) => first + i));
        },
      ),
    );
  });
});

describe('episodes: absolute numbering, fan-sub names, daily shows, specials', () => {
  it.each<[string, string, number, number[]]>([
    ['One Piece/Season 21/One Piece 1001.mkv', 'One Piece', 21, [1001]],
    ['The Simpsons/The Simpsons 12.avi', 'The Simpsons', 1, [12]],
    ['The Simpsons/The Simpsons 112.avi', 'The Simpsons', 1, [112]],
    ['The Simpsons/12.avi', 'The Simpsons', 1, [12]],
    ['The Simpsons/Foo_ep_02.avi', 'The Simpsons', 1, [2]],
    ['Case Closed (1996-2007)/Case Closed - 317.mkv', 'Case Closed', 1, [317]],
    ['Hunter X Hunter/Season 2/[HorribleSubs] Hunter X Hunter - 136 [720p].mkv', 'Hunter X Hunter', 2, [136]],
    ['Log Horizon 2/[HorribleSubs] Log Horizon 2 - 03 [720p].mkv', 'Log Horizon 2', 1, [3]],
    ['Frieren/[SubsPlease] Sousou no Frieren - 05v2 (1080p) [A1B2C3D4].mkv', 'Frieren', 1, [5]],
    ['Show Name/Season 1/Show Name - 1234 [720p].mkv', 'Show Name', 1, [1234]],
    ['Re Zero/[VCB-Studio] Re Zero kara Hajimeru Isekai Seikatsu [21][Ma10p_1080p][x265_flac].mkv', 'Re Zero', 1, [21]],
    ['Season 1/seriesname 05.mkv', 'seriesname', 1, [5]],
    ['Show/Season 2/Episode 21 - 94 Meetings.mp4', 'Show', 2, [21]],
  ])('%s', (path, show, season, episodes) => {
    const parsed = ep(path);
    if (show === '') expect(parsed).toMatchObject({ season, episodes });
    else expect(parsed).toMatchObject({ type: 'episode', show, season, episodes });
  });

  it('bracket-only fan-sub names: the show after the group, the first bare number', () => {
    expect(
      parseMediaPath('shows', '[CASO&Sumisora][Oda_Nobuna_no_Yabou][04][BDRIP][1920x1080][x264_AAC][7620E503].mp4'),
    ).toMatchObject({
      type: 'episode',
      show: 'Oda Nobuna no Yabou',
      season: 1,
      episodes: [4],
    });
  });

  it('fan-sub names with any group tag, any number of digits, any trailing tags', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('SubsPlease', 'HorribleSubs', 'Erai-raws', 'BBT-RMX', 'Judas'),
        fc.integer({ min: 1, max: 1500 }).filter((n) => n < 1800),
        fc.constantFrom(' [1080p]', ' (1080p) [ABCDEF12]', '', ' [720p][Multiple Subtitle]', 'v2 [BD 1080p]'),
        (group, n, tail) => {
          const parsed = ep(`Made in Abyss/[${group}] Made in Abyss - ${String(n).padStart(2, '0')}${tail}.mkv`);
          expect(parsed).toMatchObject({ type: 'episode', show: 'Made in Abyss', episodes: [n] });
        },
      ),
    );
  });

  it('daily shows by date in several spellings', () => {
    for (const name of [
      'The Daily Show 2024-03-05',
      'The.Daily.Show.2024.03.05.720p',
      'The Daily Show 2024_03_05 - Guest',
    ]) {
      expect(parseMediaPath('shows', `The Daily Show/${name}.mkv`)).toMatchObject({
        type: 'daily-episode',
        show: 'The Daily Show',
        airDate: '2024-03-05',
      });
    }
  });

  it('specials: season 0 by folder or code', () => {
    expect(ep('Show/Specials/Show - S00E03.mkv')).toMatchObject({ season: 0, episodes: [3] });
    expect(ep('Show/Season 00/Show 0x04.mkv')).toMatchObject({ season: 0, episodes: [4] });
    expect(ep('Show/Season 0/02 - Christmas.mkv')).toMatchObject({ season: 0, episodes: [2], title: 'Christmas' });
  });
});

describe('season folders', () => {
  it.each<[string, number]>([
    ['Season 1', 1],
    ['SEASON 1', 1],
    ['Season1', 1],
    ['Season 02', 2],
    ['Season 100', 100],
    ['Season 2009', 2009],
    ['Staffel 1', 1],
    ['Stagione 1', 1],
    ['sæson 1', 1],
    ['Temporada 1', 1],
    ['series 1', 1],
    ['Kausi 1', 1],
    ['Säsong 1', 1],
    ['Seizoen 1', 1],
    ['Sesong 3', 3],
    ['Saison 4', 4],
    ['Sezon 1', 1],
    ['sezona 1', 1],
    ['sezóna 1', 1],
    ['Sezonul 1', 1],
    ['시즌 1', 1],
    ['シーズン 1', 1],
    ['сезон 1', 1],
    ['Сезон 1', 1],
    ['СЕЗОН 1', 1],
    ['第2季', 2],
    ['第 3 季', 3],
    ['3.Staffel', 3],
    ['2 сезон', 2],
    ['s1', 1],
    ['S02', 2],
    ['Season 7 (2016)', 7],
    ['Staffel 7 (2016)', 7],
    ['Specials', 0],
    ['SPECIALS', 0],
  ])('%s is season %i', (dir, season) => {
    expect(seasonOfFolder(dir)).toBe(season);
  });

  it.each<[string, number | null]>([
    ['2', 2],
    ['S02', 2],
    ['The.Wonder.Years.S04.PDTV.x264-JCH', 4],
    ['The.Wonder.Years.S04.1080p.PDTV.x264-JCH', 4],
    ['[The.Wonder.Years.S04.1080p.PDTV.x264-JCH]', 4],
    ['The.Wonder.Years [S04][1080p.PDTV.x264-JCH]', 4],
    ['The Wonder Years Season 01 1080p', 1],
    ['Drive.S01.2160p.WEB-DL.DDP5.1.H.265-XXXX', 1],
    ['Stargate SG-1 Season 1', 1],
    ['Season (8)', null],
    ['s06e05', null],
    ['Episode 1 Season 2', null],
    ['The.Legend.of.Condor.Heroes.2017.V2.web-dl.1080p.h264.aac-hdctv', null],
    ['2024-01-24 4070 Ti SUPER in under 7 minutes', null],
    ['202401244070', null],
  ])('inside a show, %s is season %s', (dir, season) => {
    expect(seasonOfFolder(dir, true)).toBe(season);
  });

  it('season folders in any of the languages, any case and separator, place the episode', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'Season',
          'Staffel',
          'Saison',
          'Temporada',
          'Stagione',
          'Seizoen',
          'Sæson',
          'Säsong',
          'Sesong',
          'Kausi',
          'Сезон',
          'シーズン',
          '시즌',
        ),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(' ', '', '.', '_', ' - '),
        fc.boolean(),
        (word, n, sep, upper) => {
          const folder = `${upper ? word.toUpperCase() : word}${sep}${String(n).padStart(2, '0')}`;
          expect(ep(`Show/${folder}/05 - Title.mkv`)).toMatchObject({
            show: 'Show',
            season: n,
            episodes: [5],
            title: 'Title',
          });
        },
      ),
    );
  });

  it('a top-level folder is the show, even when it names a season; release-named season folders keep the show', () => {
    expect(ep('Show Season 1/Show S01E02.mkv')).toMatchObject({ show: 'Show', season: 1, episodes: [2] });
    expect(ep('The Wonder Years/The.Wonder.Years.S04.PDTV.x264-JCH/07 - Christmas Party.avi')).toMatchObject({
      show: 'The Wonder Years',
      season: 4,
      episodes: [7],
    });
    expect(ep('Seinfeld/2/05 - The Apartment.mkv')).toMatchObject({ show: 'Seinfeld', season: 2, episodes: [5] });
  });
});

describe('titles cleaned of release tags without eating real words', () => {
  it.each<[string, string]>([
    ['Super movie 480p', 'Super movie'],
    ['Super movie Multi', 'Super movie'],
    ['Super movie [480p]', 'Super movie'],
    ['Crouching.Tiger.Hidden.Dragon.4k', 'Crouching Tiger Hidden Dragon'],
    ['Crouching.Tiger.Hidden.Dragon.UltraHD', 'Crouching Tiger Hidden Dragon'],
    ['Crouching.Tiger.Hidden.Dragon.UHD', 'Crouching Tiger Hidden Dragon'],
    ['Crouching.Tiger.Hidden.Dragon.HDR', 'Crouching Tiger Hidden Dragon'],
    ['Crouching.Tiger.Hidden.Dragon.HDC', 'Crouching Tiger Hidden Dragon'],
    ['Crouching.Tiger.Hidden.Dragon.BDrip-HDC', 'Crouching Tiger Hidden Dragon'],
    ['Crouching.Tiger.Hidden.Dragon.4K.UltraHD.HDR.BDrip-HDC', 'Crouching Tiger Hidden Dragon'],
    ['Last.Call.for.Nowhere.WEB-DL.1080p', 'Last Call for Nowhere'],
    ['[HorribleSubs] Made in Abyss [720p]', 'Made in Abyss'],
    ['[Tsundere] Kore wa Zombie Desu ka of the Dead [BDRip h264 1920x1080 FLAC]', 'Kore wa Zombie Desu ka of the Dead'],
    ['[OCN] 애타는 로맨스 720p-NEXT', '애타는 로맨스'],
    ['Show.Name.AMZN.WEB-DL.DDP5.1.H.264-NTb', 'Show Name'],
    // Real words that look like tags stay.
    ['American Psycho', 'American Psycho'],
    ['The Pale Pal', 'The Pale Pal'],
    ["Charlotte's Web", "Charlotte's Web"],
    ['Spider-Web', 'Spider-Web'],
    ['480 Super movie', '480 Super movie'],
    ['Run lola run (lola rennt)', 'Run lola run (lola rennt)'],
    ['Step Up 3D', 'Step Up 3D'],
  ])('%s → %s', (raw, title) => {
    expect(cleanTitle(raw)).toBe(title);
  });

  it('WEB is a release word only among release words', () => {
    expect(parseMediaPath('movies', 'Charlottes.Web.2006.1080p.WEB.x264-GRP.mkv')).toMatchObject({
      title: 'Charlottes Web',
      year: 2006,
    });
    expect(cleanTitle('Show.Name.WEB.h264-GRP')).toBe('Show Name');
  });

  it('any title followed by any run of release tags comes back as the title', () => {
    const tags = [
      '1080p',
      '720p',
      '2160p',
      'BluRay',
      'WEB-DL',
      'WEBRip',
      'x264',
      'x265',
      'HEVC',
      'UltraHD',
      'HDC',
      'HDR',
      'DTS',
      'AAC',
      'REMUX',
      'AMZN',
      'NF',
      'PROPER',
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom('Crouching', 'Tiger', 'Hidden', 'Dragon', 'Night', 'Of', 'The', 'Living', 'Dead', 'Moon'),
          { minLength: 1, maxLength: 5 },
        ),
        fc.array(fc.constantFrom(...tags), { minLength: 1, maxLength: 5 }),
        fc.constantFrom('.', ' ', '_'),
        (words, release, sep) => {
          expect(cleanTitle([...words, ...release].join(sep))).toBe(words.join(' '));
        },
      ),
    );
  });
});

describe('extras, theme songs and theme videos', () => {
  it.each<[string, string, string]>([
    ['movies', 'Heat (1995)/theme.mp3', 'theme-song'],
    ['movies', 'Heat (1995)/theme-music/Main Title.flac', 'theme-song'],
    ['movies', 'Heat (1995)/backdrops/Loop.mkv', 'theme-video'],
    ['shows', 'Lost/theme.mp3', 'theme-song'],
    ['shows', 'Lost/theme-music/Lost Theme.mp3', 'theme-song'],
    ['shows', 'Lost/backdrops/Island.mp4', 'theme-video'],
    ['movies', 'Heat (1995)/Heat (1995)-other.mkv', 'other'],
    ['movies', 'Heat (1995)/Heat (1995)-interview.mkv', 'interview'],
    ['movies', 'Heat (1995)/Heat (1995) - trailer.mkv', 'trailer'],
    ['movies', 'Heat (1995)/Shorts/Short one.mkv', 'short'],
    ['shows', 'Lost/Season 1/Behind The Scenes/On the island.mkv', 'behind-the-scenes'],
  ])('%s: %s is a %s', (kind, path, extraType) => {
    expect(parseMediaPath(kind as 'movies', path)).toMatchObject({ type: 'extra', extraType });
  });

  it('other audio in a video library is not media', () => {
    expect(parseMediaPath('movies', 'Heat (1995)/soundtrack.mp3')).toBeNull();
  });

  it('an episode titled like an extra marker is an episode, never an extra', () => {
    for (const title of [
      'Other',
      'Extra',
      'Trailer',
      'The Interview',
      'Deleted',
      'Sample',
      'Clip',
      'Short',
      'Scene',
      'Featurette',
    ]) {
      expect(ep(`Show/Season 1/Show - S01E05 - ${title}.mkv`)).toMatchObject({ type: 'episode', episodes: [5], title });
      expect(ep(`Show/Season 1/Show 1x05 - ${title}.mkv`)).toMatchObject({ type: 'episode', episodes: [5], title });
    }
    expect(ep('Show/Season 1/Show.S01E05.Other.720p.mkv')).toMatchObject({ type: 'episode', title: 'Other' });
    // A film of that name too: the dash must be glued to count (Jellyfin's `-other`).
    expect(parseMediaPath('movies', 'Other People (2016)/Other People (2016) - Other.mkv')).toMatchObject({
      type: 'movie',
      title: 'Other People',
    });
  });
});

describe('stacks and versions of a movie', () => {
  it.each<[string, string, number | null, number]>([
    ['Bad Boys (2006)/Bad Boys (2006) part1.mkv', 'Bad Boys', 2006, 1],
    ['Bad Boys (2006)/Bad Boys (2006) parta.mkv', 'Bad Boys', 2006, 1],
    ['Bad Boys (2006)/Bad Boys (2006) partd.mkv', 'Bad Boys', 2006, 4],
    ['Bad Boys (2006)/Bad Boys (2006).part2.stv.unrated.multi.1080p.bluray.x264-rough.mkv', 'Bad Boys', 2006, 2],
    ['300 2006 part1.mkv', '300', 2006, 1],
    ['Heat (1995)/Heat (1995) (Disc 01).mkv', 'Heat', 1995, 1],
    ['Heat (1995)/Heat (1995) - disc2.mkv', 'Heat', 1995, 2],
    ['Heat (1995)/Heat (1995) - cd 2.mkv', 'Heat', 1995, 2],
    ['Heat (1995)/Heat.1995.pt3.mkv', 'Heat', 1995, 3],
    ['Heat (1995)/Disc 2/Heat.mkv', 'Heat', 1995, 2],
  ])('%s is part %i', (path, title, year, part) => {
    expect(parseMediaPath('movies', path)).toMatchObject({ type: 'movie', title, year, part });
  });

  it('a part marker inside a title is the title', () => {
    expect(parseMediaPath('movies', 'Harry Potter and the Deathly Hallows Part 1 (2010).mkv')).toMatchObject({
      title: 'Harry Potter and the Deathly Hallows Part 1',
      part: null,
    });
  });

  it.each<[string, string | null]>([
    ['Film (2010)/Film (2010) - 1080p.mkv', '1080p'],
    ['Film (2010)/Film (2010) - 720p.mkv', '720p'],
    ["Film (2010)/Film (2010) - Director's Cut.mkv", "Director's Cut"],
    ['Film (2010)/Film (2010) [3D].mkv', '3D'],
    ['Film (2010)/Film (2010) [hsbs].mkv', '3D HSBS'],
    ['Film (2010)/Film (2010) {edition-Extended}.mkv', 'Extended'],
    ['Film (2010)/Film (2010).mkv', null],
  ])('%s is the version %s of one film', (path, version) => {
    expect(parseMediaPath('movies', path)).toMatchObject({ type: 'movie', title: 'Film', year: 2010, version });
  });
});
