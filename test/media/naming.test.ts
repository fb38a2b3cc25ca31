import { describe, expect, it } from 'vitest';
import { artworkKind, parseMediaPath, seasonOfFolder, type ParsedMedia } from '../../src/media/naming.ts';

const movie = (
  title: string,
  year: number | null,
  more: { edition?: string; part?: number; version?: string } = {},
): ParsedMedia => ({
  type: 'movie',
  title,
  year,
  edition: more.edition ?? null,
  part: more.part ?? null,
  version: more.version ?? more.edition ?? null,
});

const episode = (
  show: string,
  season: number,
  episodes: number[],
  title: string | null = null,
  showYear: number | null = null,
): ParsedMedia => ({ type: 'episode', show, showYear, season, episodes, title });

const track = (fields: Partial<Extract<ParsedMedia, { type: 'track' }>> & { title: string }): ParsedMedia => ({
  type: 'track',
  artist: null,
  album: null,
  year: null,
  disc: null,
  track: null,
  ...fields,
});

describe('parseMediaPath: movies', () => {
  it.each<[string, ParsedMedia]>([
    ['The Matrix (1999).mkv', movie('The Matrix', 1999)],
    ['The Matrix (1999)/The Matrix (1999).mkv', movie('The Matrix', 1999)],
    ['The.Matrix.1999.1080p.BluRay.x264.mkv', movie('The Matrix', 1999)],
    ['Blade Runner [1982].mp4', movie('Blade Runner', 1982)],
    ['2001.A.Space.Odyssey.1968.2160p.UHD.BluRay.x265-GRP.mkv', movie('2001 A Space Odyssey', 1968)],
    ['Blade.Runner.2049.2017.1080p.WEB-DL.DD5.1.H264-FGT.mkv', movie('Blade Runner 2049', 2017)],
    ['1917 (2019)/1917.2019.1080p.mkv', movie('1917', 2019)],
    ['(500) Days of Summer (2009).mkv', movie('(500) Days of Summer', 2009)],
    ['The_Big_Lebowski_1998.avi', movie('The Big Lebowski', 1998)],
    ['S.W.A.T.2003.1080p.BluRay.mkv', movie('S.W.A.T.', 2003)],
    ['Amélie (2001).mkv', movie('Amélie', 2001)],
    ['The Big Short.m4v', movie('The Big Short', null)],
    ['Mr. Nobody (2009).mov', movie('Mr. Nobody', 2009)],
    ['Avatar (2009)/movie.mkv', movie('Avatar', 2009)],
    ['Avatar (2009)/avatar.1080p.mkv', movie('Avatar', 2009)],
    ['Kill Bill (2003)/Kill Bill (2003) - part1.avi', movie('Kill Bill', 2003, { part: 1 })],
    ['Kill Bill (2003)/Kill Bill (2003) - pt2.avi', movie('Kill Bill', 2003, { part: 2 })],
    ['Heat.1995.DVDRip.XviD.cd1.avi', movie('Heat', 1995, { part: 1 })],
    ['Heat (1995)/CD2/heat.avi', movie('Heat', 1995, { part: 2 })],
    ["Blade Runner (1982) - Director's Cut.mkv", movie('Blade Runner', 1982, { edition: "Director's Cut" })],
    ['Blade Runner (1982) {edition-Final Cut}.mkv', movie('Blade Runner', 1982, { edition: 'Final Cut' })],
    ['Aliens.1986.Extended.Edition.1080p.BluRay.mkv', movie('Aliens', 1986, { edition: 'Extended' })],
    ['Aliens.Extended.1986.1080p.mkv', movie('Aliens', 1986, { edition: 'Extended' })],
    ['Dune (2021) - 2160p.mkv', movie('Dune', 2021, { version: '2160p' })],
    ['The Matrix (1999) {imdb-tt0133093}.mkv', movie('The Matrix', 1999)],
    ['Inception (2010) [imdbid-tt1375666]/Inception (2010) [imdbid-tt1375666].mkv', movie('Inception', 2010)],
    ['Se7en (1995)/Se7en.1995.REMASTERED.1080p.BluRay.x264.mkv', movie('Se7en', 1995, { edition: 'Remastered' })],
    ['Spider-Man.No.Way.Home.2021.1080p.WEBRip.x264-RARBG.mp4', movie('Spider-Man No Way Home', 2021)],
    ['Movies/Action/Die Hard (1988)/Die Hard (1988).mkv', movie('Die Hard', 1988)],
    [
      "Alien (1979)/Alien (1979) - 1080p - Director's Cut.mkv",
      movie('Alien', 1979, { edition: "Director's Cut", version: "1080p - Director's Cut" }),
    ],
    [
      'Terminator 2 Judgment Day (1991) [2160p] [4K] [BluRay] [5.1]/movie.mkv',
      movie('Terminator 2 Judgment Day', 1991),
    ],
    [
      'The.Lord.of.the.Rings.The.Fellowship.of.the.Ring.2001.EXTENDED.1080p.BluRay.x264.mkv',
      movie('The Lord of the Rings The Fellowship of the Ring', 2001, { edition: 'Extended' }),
    ],
    [
      'Leon.The.Professional.1994.Extended.Cut.DVDRip.XviD.CD2.avi',
      movie('Leon The Professional', 1994, { edition: 'Extended', part: 2 }),
    ],
    [
      'Harry Potter and the Deathly Hallows Part 1 (2010).mkv',
      movie('Harry Potter and the Deathly Hallows Part 1', 2010),
    ],
  ])('%s', (path, expected) => {
    expect(parseMediaPath('movies', path)).toEqual(expected);
  });

  it.each<[string, string, string, string | null, string | null, number | null]>([
    // path, extra type, owner dir, owner stem, owner title, owner year
    ['Avatar (2009)/Extras/Making of Avatar.mkv', 'other', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Avatar (2009)/Featurettes/Pandora.mkv', 'featurette', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Avatar (2009)/trailers/Teaser.mp4', 'trailer', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Avatar (2009)/Behind The Scenes/Motion capture.mkv', 'behind-the-scenes', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Avatar (2009)/Deleted Scenes/Alternate opening.mkv', 'deleted-scene', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Avatar (2009)/Extras/Trailers/Trailer 2.mkv', 'trailer', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Avatar (2009)/Other/Poster gallery.mkv', 'other', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Avatar (2009)/Avatar (2009)-trailer.mkv', 'trailer', 'Avatar (2009)', 'Avatar (2009)', 'Avatar', 2009],
    ['Avatar (2009)/Avatar (2009) - featurette2.mkv', 'featurette', 'Avatar (2009)', 'Avatar (2009)', 'Avatar', 2009],
    ['Alien (1979)-behindthescenes.mp4', 'behind-the-scenes', '', 'Alien (1979)', 'Alien', 1979],
    ['Avatar (2009)/trailer.mp4', 'trailer', 'Avatar (2009)', null, 'Avatar', 2009],
    ['Movie.2019.1080p.BluRay.x264-SAMPLE.mkv', 'sample', '', 'Movie.2019.1080p.BluRay.x264', 'Movie', 2019],
    ['Heat (1995)/Heat.1995.sample.mkv', 'sample', 'Heat (1995)', 'Heat.1995', 'Heat', 1995],
  ])('%s is an extra (%s), not a movie', (path, extraType, ownerDir, ownerStem, ownerTitle, ownerYear) => {
    expect(parseMediaPath('movies', path)).toMatchObject({
      type: 'extra',
      extraType,
      ownerDir,
      ownerStem,
      ownerTitle,
      ownerYear,
    });
  });

  it.each([
    'Movie (2019)/BDMV/STREAM/00001.m2ts',
    'Movie (2019)/VIDEO_TS/VTS_01_1.mpg',
    'The Matrix (1999)/The Matrix (1999).nfo',
    'The Matrix (1999)/poster.jpg',
    'The Matrix (1999)/The Matrix (1999).en.srt',
    'The Matrix (1999)/soundtrack.mp3',
    '',
    '../outside.mkv',
  ])('%s is not a movie file', (path) => {
    expect(parseMediaPath('movies', path)).toBeNull();
  });

  it('accepts Windows separators', () => {
    expect(parseMediaPath('movies', 'Heat (1995)\\CD1\\heat.avi')).toEqual(movie('Heat', 1995, { part: 1 }));
  });
});

describe('parseMediaPath: shows', () => {
  it.each<[string, ParsedMedia]>([
    [
      "Breaking Bad/Season 01/Breaking Bad - S01E02 - Cat's in the Bag.mkv",
      episode('Breaking Bad', 1, [2], "Cat's in the Bag"),
    ],
    ['Breaking.Bad.S01E02.720p.HDTV.x264-GRP.mkv', episode('Breaking Bad', 1, [2])],
    ['Breaking.Bad.S01E02.Cats.in.the.Bag.720p.HDTV.x264-GRP.mkv', episode('Breaking Bad', 1, [2], 'Cats in the Bag')],
    ['Breaking Bad/breaking.bad.s01e03.mkv', episode('Breaking Bad', 1, [3])],
    ['The Office (US)/Season 2/The Office 2x05 Halloween.avi', episode('The Office (US)', 2, [5], 'Halloween')],
    ['House/Season 3/House - 3x05 - 20 Questions.mkv', episode('House', 3, [5], '20 Questions')],
    ['House/Season 3/House 3x01-3x02.mkv', episode('House', 3, [1, 2])],
    ['House/Season 3/House 3x01x02.mkv', episode('House', 3, [1, 2])],
    [
      'Friends/Season 1/Friends - S01E16-E17 - The One With Two Parts.mkv',
      episode('Friends', 1, [16, 17], 'The One With Two Parts'),
    ],
    ['Friends/Season 1/Friends.S01E16E17.mkv', episode('Friends', 1, [16, 17])],
    ['Friends/Season 1/Friends S01E16-17.mkv', episode('Friends', 1, [16, 17])],
    ['Friends/Season 1/Friends S01E01-E03.mkv', episode('Friends', 1, [1, 2, 3])],
    ['Friends/Season 1/Friends S01E05-720p.mkv', episode('Friends', 1, [5])],
    ['Seinfeld/Season 9/Seinfeld - S09E23E24 - The Finale.mkv', episode('Seinfeld', 9, [23, 24], 'The Finale')],
    [
      'Doctor Who (2005)/Season 00/Doctor Who (2005) - S00E01 - The Christmas Invasion.mkv',
      episode('Doctor Who', 0, [1], 'The Christmas Invasion', 2005),
    ],
    ['Doctor Who (2005)/Specials/Doctor Who - S00E02.mkv', episode('Doctor Who', 0, [2], null, 2005)],
    ['Doctor Who (2005)/Specials/03 - The Runaway Bride.mkv', episode('Doctor Who', 0, [3], 'The Runaway Bride', 2005)],
    ['Dark (2017)/Season 1/Dark (2017) - S01E01 - Secrets.mkv', episode('Dark', 1, [1], 'Secrets', 2017)],
    ['Chernobyl/Chernobyl - S01E03.mkv', episode('Chernobyl', 1, [3])],
    ['Show.S01.1080p.WEB-DL/Show.S01E03.1080p.WEB-DL.mkv', episode('Show', 1, [3])],
    ['Firefly/Season 1/05 - Safe.mkv', episode('Firefly', 1, [5], 'Safe')],
    ['Firefly/Season 1/E06.mkv', episode('Firefly', 1, [6])],
    ['Firefly/Season 1/Episode 7.mkv', episode('Firefly', 1, [7])],
    ['Cowboy Bebop/[Group] Cowboy Bebop - 05 [1080p].mkv', episode('Cowboy Bebop', 1, [5])],
    ['Cowboy Bebop/Season 1/Cowboy Bebop - 05 [BD 1080p].mkv', episode('Cowboy Bebop', 1, [5])],
    ['Lost/Season 1/Lost.S01E01.Pilot.Part.1.720p.mkv', episode('Lost', 1, [1], 'Pilot Part 1')],
    ['Marvels.Agents.of.S.H.I.E.L.D.S01E01.720p.mkv', episode('Marvels Agents of S.H.I.E.L.D.', 1, [1])],
    ['Show/Season 1/Show - S01E01 - Pilot (1080p).mkv', episode('Show', 1, [1], 'Pilot')],
    ['Sherlock/Series 2/Sherlock - S02E01.mkv', episode('Sherlock', 2, [1])],
    ['Sherlock/S02/Sherlock - S02E02.mkv', episode('Sherlock', 2, [2])],
    ['Planet Earth/Season 1/Planet Earth Season 1 Episode 4.mp4', episode('Planet Earth', 1, [4])],
    ['Show.2019.S02E05.mkv', episode('Show', 2, [5], null, 2019)],
    ['Season 1/Show - S01E04.mkv', episode('Show', 1, [4])],
    [
      'Game of Thrones/Season 8/Game.of.Thrones.S08E06.The.Iron.Throne.1080p.AMZN.WEB-DL.DDP5.1.H.264-GoT.mkv',
      episode('Game of Thrones', 8, [6], 'The Iron Throne'),
    ],
    [
      "The Simpsons/Season 35/The Simpsons - S35E01 - Homer's Crossing.mkv",
      episode('The Simpsons', 35, [1], "Homer's Crossing"),
    ],
    ['One Piece/One Piece - 1071 [1080p].mkv', episode('One Piece', 1, [1071])],
    ['Show/Season 1/Show.S01E01.HDTV.x264-LOL[ettv].mkv', episode('Show', 1, [1])],
    ['Mythbusters/Season 2003/Mythbusters - S2003E01.mkv', episode('Mythbusters', 2003, [1])],
    ['Extras/Season 1/Extras - S01E01 - Ben Stiller.mkv', episode('Extras', 1, [1], 'Ben Stiller')],
  ])('%s', (path, expected) => {
    expect(parseMediaPath('shows', path)).toEqual(expected);
  });

  it.each<[string, string, string, string | null]>([
    ['The Daily Show/The Daily Show 2024-01-05.mkv', 'The Daily Show', '2024-01-05', null],
    ['The.Daily.Show.2024.01.05.Guest.Name.720p.WEB.h264.mkv', 'The Daily Show', '2024-01-05', 'Guest Name'],
    ['Last Week Tonight/Season 2024/Last Week Tonight 2024 03 10.mkv', 'Last Week Tonight', '2024-03-10', null],
  ])('%s is a daily episode', (path, show, airDate, title) => {
    expect(parseMediaPath('shows', path)).toEqual({ type: 'daily-episode', show, showYear: null, airDate, title });
  });

  it('extras of a show and of a season belong to the show', () => {
    expect(parseMediaPath('shows', 'Show (2019)/Season 1/Extras/Bloopers.mkv')).toEqual({
      type: 'extra',
      extraType: 'other',
      title: 'Bloopers',
      ownerDir: 'Show (2019)/Season 1',
      ownerStem: null,
      ownerTitle: 'Show',
      ownerYear: 2019,
    });
    expect(parseMediaPath('shows', 'Show/Featurettes/Cast.mkv')).toMatchObject({
      extraType: 'featurette',
      ownerDir: 'Show',
    });
  });

  it('falls back to a plain video when no show or episode can be read', () => {
    expect(parseMediaPath('shows', 'S01E02.mkv')).toEqual({ type: 'video', title: 'S01E02', year: null });
    expect(parseMediaPath('shows', 'Show/Specials/The Christmas Invasion.mkv')).toEqual({
      type: 'video',
      title: 'The Christmas Invasion',
      year: null,
    });
  });
});

describe('parseMediaPath: music', () => {
  it.each<[string, ParsedMedia]>([
    [
      'Radiohead/OK Computer (1997)/01 - Airbag.flac',
      track({ artist: 'Radiohead', album: 'OK Computer', year: 1997, track: 1, title: 'Airbag' }),
    ],
    [
      'Radiohead/OK Computer/02. Paranoid Android.mp3',
      track({ artist: 'Radiohead', album: 'OK Computer', track: 2, title: 'Paranoid Android' }),
    ],
    [
      'Pink Floyd/The Wall/CD1/01 In the Flesh.flac',
      track({ artist: 'Pink Floyd', album: 'The Wall', disc: 1, track: 1, title: 'In the Flesh' }),
    ],
    [
      'Pink Floyd/The Wall/Disc 2/03 - Hey You.flac',
      track({ artist: 'Pink Floyd', album: 'The Wall', disc: 2, track: 3, title: 'Hey You' }),
    ],
    [
      'Pink Floyd - The Wall [FLAC]/1-01 In the Flesh.flac',
      track({ artist: 'Pink Floyd', album: 'The Wall', disc: 1, track: 1, title: 'In the Flesh' }),
    ],
    [
      'Miles Davis/Kind of Blue [24-96]/02 Freddie Freeloader.flac',
      track({ artist: 'Miles Davis', album: 'Kind of Blue', track: 2, title: 'Freddie Freeloader' }),
    ],
    [
      "Taylor Swift/1989 (Taylor's Version)/01 - Welcome to New York.m4a",
      track({ artist: 'Taylor Swift', album: "1989 (Taylor's Version)", track: 1, title: 'Welcome to New York' }),
    ],
    [
      'Daft Punk/[2013] Random Access Memories/01. Give Life Back to Music.opus',
      track({
        artist: 'Daft Punk',
        album: 'Random Access Memories',
        year: 2013,
        track: 1,
        title: 'Give Life Back to Music',
      }),
    ],
    [
      'Daft Punk/2001 - Discovery/01 One More Time.mp3',
      track({ artist: 'Daft Punk', album: 'Discovery', year: 2001, track: 1, title: 'One More Time' }),
    ],
    [
      'Rock/Queen/A Night at the Opera/11 - Bohemian Rhapsody.ogg',
      track({ artist: 'Queen', album: 'A Night at the Opera', track: 11, title: 'Bohemian Rhapsody' }),
    ],
    [
      'Bob Dylan/Blonde on Blonde (1966) [FLAC 24-96]/2.01 - Visions of Johanna.flac',
      track({
        artist: 'Bob Dylan',
        album: 'Blonde on Blonde',
        year: 1966,
        disc: 2,
        track: 1,
        title: 'Visions of Johanna',
      }),
    ],
    [
      "Various Artists/Now That's What I Call Music 50/CD 2/05 - Artist - Song.mp3",
      track({
        artist: 'Various Artists',
        album: "Now That's What I Call Music 50",
        disc: 2,
        track: 5,
        title: 'Artist - Song',
      }),
    ],
    ['Prince/1999/1999.mp3', track({ artist: 'Prince', album: '1999', title: '1999' })],
    ['Loose/07_Track_Name.wav', track({ album: 'Loose', track: 7, title: 'Track Name' })],
    ['Artist - Title.mp3', track({ artist: 'Artist', title: 'Title' })],
  ])('%s', (path, expected) => {
    expect(parseMediaPath('music', path)).toEqual(expected);
  });

  it('takes only audio files', () => {
    expect(parseMediaPath('music', 'Artist/Album/cover.jpg')).toBeNull();
    expect(parseMediaPath('music', 'Artist/Album/video.mkv')).toBeNull();
    expect(parseMediaPath('music', 'Artist/Album/album.cue')).toBeNull();
    expect(parseMediaPath('movies', 'Artist/Album/01 - Song.flac')).toBeNull();
  });
});

describe('parseMediaPath: other videos', () => {
  it.each<[string, ParsedMedia]>([
    ['Holiday 2019/Beach_day.mp4', { type: 'video', title: 'Beach day', year: null }],
    ['GoPro/GX010042.MP4', { type: 'video', title: 'GX010042', year: null }],
    ['Talks/Some.Conference.Talk.2021.720p.webm', { type: 'video', title: 'Some Conference Talk', year: 2021 }],
    // No extras in a library of home videos: a folder called Extras is just a folder.
    ['Extras/Wedding.mkv', { type: 'video', title: 'Wedding', year: null }],
  ])('%s', (path, expected) => {
    expect(parseMediaPath('videos', path)).toEqual(expected);
  });
});

describe('seasonOfFolder', () => {
  it.each<[string, number | null]>([
    ['Season 01', 1],
    ['season 1', 1],
    ['Season.12', 12],
    ['Series 3', 3],
    ['Staffel 2', 2],
    ['S04', 4],
    ['Season 00', 0],
    ['Specials', 0],
    ['Season 1 (2019)', 1],
    ['Seasonal Stuff', null],
    ['Show', null],
  ])('%s', (dir, expected) => {
    expect(seasonOfFolder(dir)).toBe(expected);
  });
});

describe('artworkKind', () => {
  it.each<[string, ReturnType<typeof artworkKind>]>([
    ['poster.jpg', { kind: 'poster', rank: 0, scope: 'folder' }],
    ['Cover.PNG', { kind: 'poster', rank: 1, scope: 'folder' }],
    ['The Matrix (1999)/folder.jpg', { kind: 'poster', rank: 2, scope: 'folder' }],
    ['Artist/Album/cover.webp', { kind: 'poster', rank: 1, scope: 'folder' }],
    ['front.jpeg', { kind: 'poster', rank: 3, scope: 'folder' }],
    ['fanart.jpg', { kind: 'fanart', rank: 0, scope: 'folder' }],
    ['backdrop.webp', { kind: 'fanart', rank: 1, scope: 'folder' }],
    ['fanart2.jpg', { kind: 'fanart', rank: 12, scope: 'folder' }],
    ['banner.jpg', { kind: 'banner', rank: 0, scope: 'folder' }],
    ['clearlogo.png', { kind: 'logo', rank: 1, scope: 'folder' }],
    ['Avatar (2009)/Avatar (2009)-poster.jpg', { kind: 'poster', rank: 0, scope: 'file', stem: 'Avatar (2009)' }],
    ['Avatar (2009)/Avatar (2009)-fanart.jpg', { kind: 'fanart', rank: 0, scope: 'file', stem: 'Avatar (2009)' }],
    [
      'Show/Season 1/Show - S01E01 - Pilot-thumb.jpg',
      { kind: 'thumb', rank: 0, scope: 'file', stem: 'Show - S01E01 - Pilot' },
    ],
    ['Show/season01-poster.jpg', { kind: 'poster', rank: 0, scope: 'season', season: 1 }],
    ['Show/season02-fanart.jpg', { kind: 'fanart', rank: 0, scope: 'season', season: 2 }],
    ['Show/Season03.jpg', { kind: 'poster', rank: 0, scope: 'season', season: 3 }],
    ['Show/season-specials-poster.jpg', { kind: 'poster', rank: 0, scope: 'season', season: 0 }],
    ['AlbumArt_{12345678-ABCD-1234-ABCD-1234567890AB}_Large.jpg', { kind: 'poster', rank: 7, scope: 'folder' }],
    ['Show/season-all-poster.jpg', null],
    ['random.jpg', null],
    ['poster.txt', null],
    ['poster', null],
    ['Avatar (2009).mkv', null],
  ])('%s', (path, expected) => {
    expect(artworkKind(path)).toEqual(expected);
  });
});
