// What a file is, read from its path under a library folder: the scanner's fallback when no tags say
// more, and for movies and shows the main source. Pure functions; no disk access.
import { mediaTypeOf } from './media-types.ts';

export type LibraryKind = 'movies' | 'shows' | 'music' | 'videos';

export type ExtraType =
  | 'trailer'
  | 'featurette'
  | 'behind-the-scenes'
  | 'deleted-scene'
  | 'interview'
  | 'scene'
  | 'short'
  | 'clip'
  | 'sample'
  | 'theme-song'
  | 'theme-video'
  | 'other';

export interface ParsedMovie {
  type: 'movie';
  title: string;
  year: number | null;
  /** `Director's Cut`, `Extended`, …: from `{edition-…}`, a ` - …` suffix after the year, or release words. */
  edition: string | null;
  /** One file of a movie split over several (`- part1`, `cd2`, `partb`, `(Disc 01)`, a `CD2` folder). */
  part: number | null;
  /**
   * What sets this file apart from other versions of the same movie in its folder: the words after
   * `Title (Year) - ` (`1080p`, `Director's Cut`), `{edition-…}`, or a 3D tag (`[3D]`, `[hsbs]`).
   */
  version: string | null;
}

export interface ParsedEpisode {
  type: 'episode';
  show: string;
  showYear: number | null;
  /** 0 for specials (`Season 00`, `Specials`, `S00E01`). */
  season: number;
  /** Ascending; several for a multi-episode file (`S01E01-E03` gives 1, 2, 3). */
  episodes: number[];
  title: string | null;
}

export interface ParsedDailyEpisode {
  type: 'daily-episode';
  show: string;
  showYear: number | null;
  /** `YYYY-MM-DD`. */
  airDate: string;
  title: string | null;
}

/**
 * A trailer, featurette, … that belongs to the items of `ownerDir` (a path under the library root, ''
 * for the root); when `ownerStem` is set, to the video in that folder with that file name stem.
 */
export interface ParsedExtra {
  type: 'extra';
  extraType: ExtraType;
  title: string;
  ownerDir: string;
  ownerStem: string | null;
  ownerTitle: string | null;
  ownerYear: number | null;
}

/** Fallback fields for an audio file whose tags are missing. */
export interface ParsedTrack {
  type: 'track';
  artist: string | null;
  album: string | null;
  year: number | null;
  disc: number | null;
  track: number | null;
  title: string;
}

/** A video that is not a movie or an episode: everything in a `videos` library, unparsable files elsewhere. */
export interface ParsedVideo {
  type: 'video';
  title: string;
  year: number | null;
}

export type ParsedMedia = ParsedMovie | ParsedEpisode | ParsedDailyEpisode | ParsedExtra | ParsedTrack | ParsedVideo;

/**
 * Reads a path relative to a library root (`/` or `\` separated). Null when the file is not media for
 * that kind of library (wrong extension, artwork, subtitles) or sits inside a disc image folder
 * (`BDMV`, `VIDEO_TS`), which Hearth does not play as files.
 */
export function parseMediaPath(kind: LibraryKind, relPath: string): ParsedMedia | null {
  const segments = relPath.split(/[\\/]+/).filter((segment) => segment !== '' && segment !== '.');
  const name = segments.pop();
  if (name === undefined || segments.includes('..')) return null;
  const type = mediaTypeOf(name);
  if (type === null) return null;
  const stem = name.slice(0, name.lastIndexOf('.'));
  if (kind === 'movies' || kind === 'shows') {
    const theme = parseTheme(segments, stem, type.kind);
    if (theme !== undefined) return theme;
  }
  if (type.kind !== (kind === 'music' ? 'audio' : 'video')) return null;
  if (kind === 'music') return parseTrack(segments, stem);
  if (segments.some((dir) => DISC_IMAGE_FOLDERS.has(dir.toLowerCase()))) return null;
  if (kind === 'videos') {
    const { title, year } = parseTitleYear(stem);
    return { type: 'video', title, year };
  }
  // A top-level folder of a shows library is a show, even one called `Extras`.
  const namesEpisode =
    kind === 'shows' && (matchSeasonEpisode(stripTags(stem)) ?? matchCrossEpisode(stripTags(stem))) !== null;
  const extra = parseExtra(segments, stem, kind === 'shows' ? 1 : 0, namesEpisode);
  if (extra !== null) return extra;
  return kind === 'movies' ? parseMovie(segments, stem) : parseEpisode(segments, stem);
}

const DISC_IMAGE_FOLDERS = new Set(['bdmv', 'video_ts', 'hvdvd_ts']);

// ---------------------------------------------------------------------------------------------------
// Titles

// Words of release names that never belong to a title; a title ends where the first one starts.
const RELEASE_WORDS = new Set([
  '480p',
  '540p',
  '576p',
  '720p',
  '1080p',
  '1080i',
  '1440p',
  '2160p',
  '4320p',
  '4k',
  '8k',
  'uhd',
  'hdr',
  'hdr10',
  'hdr10+',
  'hdr10plus',
  'dv',
  'dovi',
  'sdr',
  'bluray',
  'blu-ray',
  'bdrip',
  'brrip',
  'bdremux',
  'remux',
  'web-dl',
  'webdl',
  'webrip',
  'hdtv',
  'pdtv',
  'sdtv',
  'hdrip',
  'dvdrip',
  'dvdscr',
  'dvd',
  'dvd5',
  'dvd9',
  'x264',
  'x265',
  'h264',
  'h265',
  'hevc',
  'avc',
  'xvid',
  'divx',
  'av1',
  'vp9',
  'aac',
  'aac2',
  'ac3',
  'eac3',
  'dts',
  'dts-hd',
  'dd5',
  'dd2',
  'ddp5',
  'ddp2',
  'ddp',
  'atmos',
  'truehd',
  'flac',
  '10bit',
  '8bit',
  'hi10p',
  'proper',
  'repack',
  'internal',
  'limited',
  'multi',
  'subbed',
  'dubbed',
  'amzn',
  'nf',
  'hulu',
  'dsnp',
  'atvp',
  'hmax',
  'itunes',
  'hdcam',
  'telesync',
  'screener',
  'ultrahd',
  'hdc',
  'hdtc',
  'telecine',
  'dsrip',
  'dsr',
  'svcd',
  'hddvd',
  'hrhd',
  'hrhdtv',
  'rerip',
  'retail',
  'nfofix',
  'multisubs',
  'ntsc',
  'bd5',
  'bd25',
  'bd50',
  'xvidvd',
  'ddp5.1',
  'dd5.1',
  'h.264',
  'h.265',
  'sbs',
  'hsbs',
  'htab',
  'hou',
  'mvc',
  'vostfr',
  'web-rip',
  'dts-ma',
  '1920x1080',
  '1280x720',
]);
// These end a title too, but a year may follow them (`Movie.Extended.2019.1080p`).
const EDITION_WORDS = new Set(['unrated', 'extended', 'remastered', 'imax', 'uncut', 'theatrical', 'criterion']);

function bareWord(token: string): string {
  return token.toLowerCase().replace(/^[[(]+|[\])]+$/g, '');
}

function isTechnicalWord(token: string): boolean {
  const lower = bareWord(token);
  return RELEASE_WORDS.has(lower) || RELEASE_WORDS.has(lower.split('-')[0]);
}

function isReleaseWord(token: string): boolean {
  return isTechnicalWord(token) || EDITION_WORDS.has(bareWord(token));
}

/**
 * Whether the word at `i` starts the release words. `WEB` alone is one only before another release
 * word or as `WEB-GRP`, so `Charlottes.Web.2006` and `Charlotte's Web` keep their titles.
 */
function releaseAt(words: string[], i: number, test: (word: string) => boolean = isReleaseWord): boolean {
  if (test(words[i])) return true;
  const bare = bareWord(words[i]);
  if (bare === 'web' || bare.startsWith('web-'))
    return bare.startsWith('web-') || (i + 1 < words.length && isTechnicalWord(words[i + 1]));
  return false;
}

const YEAR = /^(?:18|19|20)\d{2}$/;

/** Removes what media managers add to names for themselves: `{imdb-tt…}`, `[tmdbid-…]`, leading `[Group]`. */
function stripTags(name: string): string {
  return name
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[(?:imdb|tmdb|tvdb)(?:id)?[-=][^\]]*\]/gi, ' ')
    .replace(/^\s*(?:\[[^\]]*\]\s*)+/, '')
    .trim();
}

/** Splits a name into words: on dots too when the name has no spaces (`The.Matrix.1999`). */
function wordsOf(name: string): { words: string[]; dotted: boolean } {
  const spaced = name.replace(/_/g, ' ');
  const dotted = !/\s/.test(spaced.trim()) && spaced.includes('.');
  return { words: spaced.split(dotted ? /[.\s]+/ : /\s+/).filter((w) => w !== ''), dotted };
}

/** Joins words back into a title; in dotted names, runs of single letters were an acronym (S.H.I.E.L.D.). */
function joinWords(words: string[], dotted: boolean): string {
  if (!dotted) return tidy(words.join(' '));
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    let j = i;
    while (j < words.length && /^[a-z]$/i.test(words[j])) j++;
    if (j - i >= 2) {
      out.push(`${words.slice(i, j).join('.')}.`);
      i = j - 1;
    } else {
      out.push(words[i]);
    }
  }
  return tidy(out.join(' '));
}

function tidy(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/^[\s\-_.,]+|[\s\-_,]+$/g, '')
    .replace(/(?<![A-Z])\.+$/g, '')
    .trim();
}

/** A title for people from a raw name: separators to spaces, release words and tags dropped. */
export function cleanTitle(raw: string): string {
  const { words, dotted } = wordsOf(stripTags(raw));
  const end = words.findIndex((_, i) => i > 0 && releaseAt(words, i));
  return joinWords(end < 0 ? words : words.slice(0, end), dotted);
}

const EDITIONS: [RegExp, string][] = [
  [/\bdirector'?s[\s.]+cut\b/i, "Director's Cut"],
  [/\bextended(?:[\s.]+(?:cut|edition))?\b/i, 'Extended'],
  [/\bunrated\b/i, 'Unrated'],
  [/\buncut\b/i, 'Uncut'],
  [/\btheatrical(?:[\s.]+cut)?\b/i, 'Theatrical'],
  [/\bfinal[\s.]+cut\b/i, 'Final Cut'],
  [/\bremastered\b/i, 'Remastered'],
  [/\bimax\b/i, 'IMAX'],
  [/\bcriterion\b/i, 'Criterion'],
  [/\b(special|ultimate|collector'?s|anniversary)[\s.]+edition\b/i, '$1 Edition'],
];

function editionIn(rest: string): string | null {
  const dashed = /^[\s._]*-\s+(.+)$/.exec(rest);
  if (dashed !== null && !isReleaseWord(wordsOf(dashed[1]).words[0] ?? '')) {
    const edition = cleanTitle(dashed[1]);
    if (edition !== '') return edition;
  }
  for (const [pattern, label] of EDITIONS) {
    const match = pattern.exec(rest);
    if (match !== null) return match[1] === undefined ? label : label.replace('$1', capitalize(match[1]));
  }
  return null;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1).toLowerCase();
}

// `Movie - part1`, `Movie - CD 2`, `Movie.cd1`, `Movie pt2`, `Movie parta`, `Movie (Disc 01)`: a number
// (or a to d) glued to the word, or after a dash, or in brackets; at the end of the name.
const PART_WORD = '(?:cd|dvd|part|pt|disc|disk)';
const PART = new RegExp(
  String.raw`(?:\s*-\s*${PART_WORD}[\s._-]?(\d{1,2}|[a-d])|[\s._-]${PART_WORD}(\d{1,2}|[a-d])|\s*[([]${PART_WORD}[\s._-]*(\d{1,2})[)\]])$`,
  'i',
);
// The same glued word after a year in the middle of a release name (`Bad Boys (2006).part1.unrated.1080p`).
const PART_AFTER_YEAR = new RegExp(
  String.raw`((?:18|19|20)\d{2}[)\]]?)[\s._-]+${PART_WORD}(\d{1,2}|[a-d])(?=[\s._-])`,
  'i',
);

function partNumber(text: string): number {
  return /^[a-d]$/i.test(text) ? text.toLowerCase().charCodeAt(0) - 96 : Number(text);
}

// Tags of 3D versions: `[3D]`, `[hsbs]`, `.3D.SBS.`; the label shown for such a version.
const THREE_D = /(?:^|[\s._[(-])(3d|h?sbs|h?tab|h?ou|mvc)(?=$|[\s._\])-])/gi;

function threeDLabel(raw: string): string | null {
  const tags = [...raw.matchAll(THREE_D)].map((m) => m[1].toLowerCase());
  if (tags.length === 0) return null;
  const mode = tags.find((t) => t !== '3d');
  return mode === undefined ? '3D' : `3D ${mode.toUpperCase()}`;
}

interface TitleYear {
  title: string;
  year: number | null;
  edition: string | null;
  part: number | null;
  version: string | null;
}

/** Title, year, edition and part of a movie-like name: `Title (Year)`, `Title [Year]`, `Title.Year.1080p…`. */
export function parseTitleYear(raw: string): TitleYear {
  const plexEdition = /\{edition-([^}]+)\}/i.exec(raw);
  let name = stripTags(raw);
  let part: number | null = null;
  const partMatch = PART.exec(name);
  if (partMatch !== null) {
    part = partNumber(partMatch[1] ?? partMatch[2] ?? partMatch[3]);
    name = name.slice(0, partMatch.index);
  } else {
    const inside = PART_AFTER_YEAR.exec(name);
    if (inside !== null) {
      part = partNumber(inside[2]);
      name = name.slice(0, inside.index) + inside[1] + name.slice(inside.index + inside[0].length);
    }
  }
  const threeD = threeDLabel(name);
  if (threeD !== null) name = name.replace(/\s*[[(](?:3d|h?sbs|h?tab|h?ou|mvc)[\])]/gi, '');
  let title: string;
  let year: number | null = null;
  let rest = '';
  const bracketed = /^(.*\S)\s*[([]((?:18|19|20)\d{2})(?:\s*-\s*(?:(?:18|19|20)\d{2})?)?[)\]](.*)$/.exec(name);
  if (bracketed !== null) {
    title = cleanTitle(bracketed[1]);
    year = Number(bracketed[2]);
    rest = bracketed[3];
  } else {
    const { words, dotted } = wordsOf(name);
    const firstAfter = (test: (word: string) => boolean) => {
      const at = words.findIndex((_, i) => i > 0 && releaseAt(words, i, test));
      return at < 0 ? words.length : at;
    };
    const technical = firstAfter(isTechnicalWord);
    // The last year before the release words: `2001.A.Space.Odyssey.1968`, `Blade.Runner.2049.2017`.
    let yearAt = -1;
    for (let i = 1; i < technical; i++) if (YEAR.test(words[i])) yearAt = i;
    const titleEnd = Math.min(yearAt >= 0 ? yearAt : technical, firstAfter(isReleaseWord));
    title = joinWords(words.slice(0, titleEnd), dotted);
    if (yearAt >= 0) year = Number(words[yearAt]);
    rest = words
      .slice(titleEnd)
      .filter((_, i) => i + titleEnd !== yearAt)
      .join(' ');
  }
  if (title === '') title = tidy(name) || raw;
  const edition = plexEdition !== null ? tidy(plexEdition[1]) : editionIn(rest);
  const dashed = /^[\s._]*-\s+(.+)$/.exec(rest);
  const version = (dashed !== null ? tidy(dashed[1].replace(/_/g, ' ')) || null : null) ?? edition ?? threeD;
  return { title, year, edition, part, version };
}

// ---------------------------------------------------------------------------------------------------
// Theme songs and theme videos

/**
 * `theme.mp3` beside a movie or show, any audio in a `theme-music` folder: a theme song; any video in
 * a `backdrops` folder: a theme video. Undefined when the file is neither (it is read as usual); null
 * for audio that is not a theme (a video library keeps no other audio).
 */
function parseTheme(dirs: string[], stem: string, kind: string): ParsedExtra | null | undefined {
  const last = dirs[dirs.length - 1]?.toLowerCase();
  if (kind === 'audio') {
    if (last === 'theme-music' || last === 'theme music')
      return extra('theme-song', cleanTitle(stem), dirs.slice(0, -1), null);
    if (/^theme\d*$/i.test(stem)) return extra('theme-song', 'Theme', dirs, null);
    return null;
  }
  if (kind === 'video' && (last === 'backdrops' || last === 'theme-video' || last === 'theme-videos')) {
    return extra('theme-video', cleanTitle(stem), dirs.slice(0, -1), null);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Extras

const EXTRA_FOLDERS: Record<string, ExtraType> = {
  extras: 'other',
  extra: 'other',
  bonus: 'other',
  'bonus features': 'other',
  featurettes: 'featurette',
  featurette: 'featurette',
  trailers: 'trailer',
  trailer: 'trailer',
  'behind the scenes': 'behind-the-scenes',
  'deleted scenes': 'deleted-scene',
  interviews: 'interview',
  scenes: 'scene',
  shorts: 'short',
  clips: 'clip',
  samples: 'sample',
  sample: 'sample',
  other: 'other',
};

const EXTRA_SUFFIXES: Record<string, ExtraType> = {
  trailer: 'trailer',
  sample: 'sample',
  featurette: 'featurette',
  behindthescenes: 'behind-the-scenes',
  deleted: 'deleted-scene',
  deletedscene: 'deleted-scene',
  interview: 'interview',
  scene: 'scene',
  short: 'short',
  clip: 'clip',
  other: 'other',
  extra: 'other',
};

// `Movie-trailer`, `Movie (2009) - featurette2`; trailer and sample also after `.` or `_` (`Movie.sample`).
// Words that are also ordinary titles (`- Other`, `- The Interview`) count only glued to the dash, as
// Jellyfin reads them (`Movie-other`); and a file that names an episode is never an extra by suffix.
const EXTRA_SUFFIX =
  /^(.*?)(?:\s*-\s*(trailer|sample|featurette|behindthescenes|deletedscene|deleted)|-(interview|scene|short|clip|other|extra)|[._](trailer|sample))\d*$/i;
const BARE_EXTRA = /^(trailer|sample)\d*$/i;

function parseExtra(dirs: string[], stem: string, fromDepth: number, namesEpisode = false): ParsedExtra | null {
  // `Other` at the library root could be a title; one level down it is Plex's extras folder.
  const isExtraFolder = (dir: string, i: number) => {
    const type = EXTRA_FOLDERS[dir.toLowerCase().replace(/[._]/g, ' ')];
    return type !== undefined && i >= fromDepth && !(i === 0 && dir.toLowerCase() === 'other');
  };
  const first = dirs.findIndex(isExtraFolder);
  if (first >= 0) {
    let typeFolder = first;
    for (let i = first; i < dirs.length; i++) if (isExtraFolder(dirs[i], i)) typeFolder = i;
    const ownerDirs = dirs.slice(0, first);
    return extra(
      EXTRA_FOLDERS[dirs[typeFolder].toLowerCase().replace(/[._]/g, ' ')],
      cleanTitle(stem),
      ownerDirs,
      null,
    );
  }
  if (namesEpisode) return null;
  const bare = BARE_EXTRA.exec(stem);
  if (bare !== null) return extra(EXTRA_SUFFIXES[bare[1].toLowerCase()], cleanTitle(stem), dirs, null);
  const suffix = EXTRA_SUFFIX.exec(stem);
  if (suffix !== null && suffix[1].trim() !== '') {
    const type = EXTRA_SUFFIXES[(suffix[2] ?? suffix[3] ?? suffix[4]).toLowerCase()];
    return extra(type, cleanTitle(stem), dirs, suffix[1].trim());
  }
  return null;
}

function extra(extraType: ExtraType, title: string, ownerDirs: string[], ownerStem: string | null): ParsedExtra {
  let ownerName: string | null = ownerStem;
  if (ownerName === null) {
    // Extras of a season belong to the show for naming.
    const dirs = ownerDirs.filter((dir) => seasonOfFolder(dir) === null);
    ownerName = dirs[dirs.length - 1] ?? null;
  }
  const owner = ownerName === null ? null : parseTitleYear(ownerName);
  return {
    type: 'extra',
    extraType,
    title,
    ownerDir: ownerDirs.join('/'),
    ownerStem,
    ownerTitle: owner?.title ?? null,
    ownerYear: owner?.year ?? null,
  };
}

// ---------------------------------------------------------------------------------------------------
// Movies

const DISC_FOLDER = /^(?:cd|dvd|disc|disk|part|pt)[\s._-]*(\d{1,2})$/i;

function parseMovie(dirs: string[], stem: string): ParsedMovie {
  let folderAt = dirs.length - 1;
  let folderPart: number | null = null;
  const disc = folderAt >= 0 ? DISC_FOLDER.exec(dirs[folderAt]) : null;
  if (disc !== null) {
    folderPart = Number(disc[1]);
    folderAt--;
  }
  const file = parseTitleYear(stem);
  const folder = folderAt >= 0 ? parseTitleYear(dirs[folderAt]) : null;
  // `Avatar (2009)/movie.mkv`: a file name without a year defers to a folder that has one.
  const named = file.year === null && folder !== null && folder.year !== null ? folder : file;
  return {
    type: 'movie',
    title: named.title,
    year: named.year,
    edition: file.edition ?? folder?.edition ?? null,
    part: file.part ?? folderPart,
    version: file.version,
  };
}

// ---------------------------------------------------------------------------------------------------
// Shows

// "Season" in the languages people name folders in (Jellyfin's list and more).
const SEASON_WORDS =
  'season|series|seasong|saison|staffel|temporada|stagione|seizoen|sæson|säsong|sesong|kausi|sezon|sezona|sezóna|sezonul|évad|сезон|серия|시즌|シーズン|시리즈';
const SEASON_NAMED = new RegExp(`^(?:${SEASON_WORDS})[\\s._-]*(\\d{1,4})(?!\\d)`, 'iu');
const SEASON_AFTER = new RegExp(`^(\\d{1,4})(?:\\.|ª|º|-?й|-?я)?[\\s._-]*(?:${SEASON_WORDS})$`, 'iu');
const SEASON_CJK = /^第\s*(\d{1,4})\s*[季期部]$/u;
const SEASON_IN_NAME = new RegExp(`(?:^|[\\s._\\[(-])(?:${SEASON_WORDS})[\\s._-]*(\\d{1,4})(?!\\d)`, 'iu');
const SEASON_TAG_IN_NAME = /(?:^|[\s._[(-])S(\d{1,4})(?=$|[\s._\])-])/i;

/**
 * The season a folder stands for, or null: `Season 01`, `Staffel 2`, `Сезон 3`, `3.Staffel`, `第2季`,
 * `S03`, `Specials` (0). With `loose` (a folder inside a show's folder), also a bare number (`2`) and a
 * release or show name carrying the season (`Show.S04.PDTV.x264-GRP`, `Show Season 1`).
 */
export function seasonOfFolder(dir: string, loose = false): number | null {
  const name = dir.trim();
  const named =
    SEASON_NAMED.exec(name) ?? SEASON_AFTER.exec(name) ?? SEASON_CJK.exec(name) ?? /^s(\d{1,4})$/i.exec(name);
  if (named !== null) return Number(named[1]);
  if (/^(?:season[\s._-]*)?specials?$/i.test(name)) return 0;
  if (!loose) return null;
  if (/^\d{1,3}$/.test(name)) return Number(name);
  // `Episode 1 Season 2` and `s06e05` name an episode, not a season.
  if (/episode|(?:^|[^a-z])s\d{1,4}[\s._-]?e\d/i.test(name)) return null;
  const inName = SEASON_IN_NAME.exec(name) ?? SEASON_TAG_IN_NAME.exec(name);
  return inName !== null ? Number(inName[1]) : null;
}

/** A show's name and year from its folder, also when that folder is a release name (`Show.S01.1080p.WEB`). */
function showFromFolder(dir: string): { show: string; year: number | null } | null {
  let name = stripTags(dir);
  const release = /^(.+?)[\s._[-]+(?:S\d{1,4}(?:E\d{1,4})?|Season[\s._-]*\d{1,4})(?:[\s._\]-]|$)/i.exec(name);
  if (release !== null) name = release[1];
  const { title, year } = parseTitleYear(name);
  return title === '' ? null : { show: title, year };
}

interface EpisodeMatch {
  episodes: number[];
  before: string;
  after: string;
}

interface SeasonEpisodeMatch extends EpisodeMatch {
  season: number;
}

const MAX_EPISODES_IN_A_FILE = 100;

function addEpisode(episodes: number[], value: number, asRange: boolean): void {
  const last = episodes[episodes.length - 1];
  if (asRange) {
    // `S01E05-03` is not a range of episodes; whatever it is, it adds none.
    if (value > last && value - last <= MAX_EPISODES_IN_A_FILE)
      for (let n = last + 1; n <= value; n++) episodes.push(n);
  } else if (!episodes.includes(value)) {
    episodes.push(value);
  }
}

/** `S01E02`, `s1e2`, `S01x02`, `S01xE02`, `S01.E02`, `S3 E9`, `S01E01E02`, `S01E01-E03`, `S01E01-02`, `Season 1 Episode 2`. */
function matchSeasonEpisode(stem: string): SeasonEpisodeMatch | null {
  const main =
    /(?<![a-z0-9])S(\d{1,4})[\s._-]?(?:E|xE?)[\s._-]?(\d{1,4})(?!\d)/i.exec(stem) ??
    /(?<![a-z0-9])Season[\s._-]*(\d{1,4})[\s._-]*(?:Episode|Ep)[\s._-]*(\d{1,4})(?!\d)/i.exec(stem);
  if (main === null) return null;
  const episodes = [Number(main[2])];
  let at = main.index + main[0].length;
  const list = /[\s._]?E(\d{1,4})(?!\d)/iy;
  const range = /\s*[-~]\s*(?:S\d{1,4})?E(\d{1,4})(?!\d)/iy;
  // `S01E01-02`, not `S01E05-720p` nor `S05E23 11-59` (a title).
  const bareRange = /-(\d{1,3})(?![\dpi])/iy;
  for (;;) {
    let matched = false;
    for (const [pattern, asRange] of [
      [list, false],
      [range, true],
      [bareRange, true],
    ] as const) {
      pattern.lastIndex = at;
      const next = pattern.exec(stem);
      if (next !== null) {
        addEpisode(episodes, Number(next[1]), asRange);
        at = pattern.lastIndex;
        matched = true;
        break;
      }
    }
    if (!matched) break;
  }
  return { season: Number(main[1]), episodes, before: stem.slice(0, main.index), after: stem.slice(at) };
}

// A season number in `NxM`: one or two digits, or a year (`2009x02`); never a resolution (`1920x1080`).
const CROSS_SEASON = String.raw`(\d{1,2}|(?:19|20)\d{2})`;

/** `1x02`, `2009x02`, `1x01x02`, `1x01-1x02`, `1x01 - 1x02`, `1x01 - x02`, `1x01-02-03`, `1x01-E03`. */
function matchCrossEpisode(stem: string): SeasonEpisodeMatch | null {
  const main = new RegExp(String.raw`(?<![a-z0-9])${CROSS_SEASON}x(\d{1,4})(?![\dp])`, 'i').exec(stem);
  if (main === null) return null;
  const episodes = [Number(main[2])];
  let at = main.index + main[0].length;
  // `1x05 - 20 Questions` is an episode and a title: a spaced dash continues only with `x` or a season
  // (`- 1x06`, `- x06`); a glued dash also with a bare number (`-06`) or `E06`.
  const next = new RegExp(
    String.raw`(x|-(?:${CROSS_SEASON}x|E)?|\s*[-–]\s*(?:${CROSS_SEASON})?x)(\d{1,4})(?![\dp])`,
    'iy',
  );
  for (;;) {
    next.lastIndex = at;
    const more = next.exec(stem);
    if (more === null) break;
    // `x04` (with or without a season before it) lists one more episode; `-04` and `-E04` end a range.
    addEpisode(episodes, Number(more[more.length - 1]), !/x$/i.test(more[1]));
    at = next.lastIndex;
  }
  return { season: Number(main[1]), episodes, before: stem.slice(0, main.index), after: stem.slice(at) };
}

/**
 * An episode number without a season: `E05`, `Episode 5`, `05 - Title`, `02-04` (episodes 2 to 4),
 * `Show - 05`, `Show 05` (absolute, anime and long-running shows), `Show [05]`, `Foo_ep_02`.
 */
function matchBareEpisode(stem: string): EpisodeMatch | null {
  const leadingRange = /^(\d{1,3})-(\d{1,3})(?=$|\s*-\s|[\s_.]+\D)/.exec(stem);
  if (leadingRange !== null) {
    const episodes = [Number(leadingRange[1])];
    addEpisode(episodes, Number(leadingRange[2]), true);
    return { episodes, before: '', after: stem.slice(leadingRange[0].length) };
  }
  const patterns = [
    /^(?:E|Ep|Episode)[\s._-]*(\d{1,4})(?!\d)/i,
    /^(\d{1,4})(?=$|\s*-\s|\.\s|[\s_.]+\D)/,
    /[\s._-](?:E|Ep|Episode)[\s._-]*(\d{1,4})(?!\d)/i,
    /\s[-–]\s(\d{1,4})(?:v\d)?(?=$|\s|\[|\()/,
    /\s*\[(\d{1,4})(?:v\d)?\](?!.*\[\d{1,4}(?:v\d)?\])/,
    /[\s_](\d{1,4})(?:v\d)?(?=$|\s*[[(])/,
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(stem);
    // `Show - 2019` is a year, not episode 2019.
    if (match === null || YEAR.test(match[1])) continue;
    return {
      episodes: [Number(match[1])],
      before: stem.slice(0, match.index),
      after: stem.slice(match.index + match[0].length),
    };
  }
  return null;
}

/**
 * Fan-sub names made only of bracketed fields, `[Group][Show_Name][04][BDRIP][1920x1080]`: the show is
 * the first field after the group that is not a number, the episode the first field that is.
 */
function matchBracketedFields(rawStem: string): { show: string; episodes: number[] } | null {
  if (!/^\s*(?:\[[^\]]*\]\s*){3,}$/.test(rawStem)) return null;
  const fields = [...rawStem.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1].trim());
  const at = fields.findIndex((f, i) => i >= 2 && /^\d{1,4}(?:v\d)?$/.test(f));
  if (at < 0) return null;
  const show = cleanTitle(fields[at - 1].replace(/_/g, ' '));
  return show === '' ? null : { show, episodes: [Number.parseInt(fields[at], 10)] };
}

/** An episode title from what follows the episode number: up to the release words, tags dropped. */
function episodeTitle(after: string): string | null {
  const trimmed = after.replace(/\[[^\]]*\]/g, ' ').replace(/^[\s._-]+/, '');
  const title = cleanTitle(trimmed.replace(/\(([^)]*)\)/g, (all, inner: string) => (isReleaseWord(inner) ? ' ' : all)));
  return title === '' || isReleaseWord(title) ? null : title;
}

function parseEpisode(dirs: string[], rawStem: string): ParsedEpisode | ParsedDailyEpisode | ParsedVideo {
  const stem = stripTags(rawStem);
  // The top folder of a shows library is the show (even `Show Season 1`); below it, season folders
  // may be bare numbers or release names.
  let seasonAt = -1;
  for (let i = dirs.length - 1; i >= 0 && seasonAt < 0; i--) if (seasonOfFolder(dirs[i], i > 0) !== null) seasonAt = i;
  const folderSeason = seasonAt >= 0 ? seasonOfFolder(dirs[seasonAt], seasonAt > 0) : null;
  const showDir = seasonAt > 0 ? dirs[seasonAt - 1] : seasonAt < 0 ? dirs[0] : undefined;
  const fromFolder = showDir === undefined ? null : showFromFolder(showDir);

  const showFrom = (before: string) => {
    if (fromFolder !== null) return fromFolder;
    const { title, year } = parseTitleYear(before.replace(/[\s._-]+$/, ''));
    return before.trim() === '' || title === '' ? null : { show: title, year };
  };

  const numbered = matchSeasonEpisode(stem) ?? matchCrossEpisode(stem);
  if (numbered !== null) {
    const show = showFrom(numbered.before);
    if (show !== null) {
      return {
        type: 'episode',
        show: show.show,
        showYear: show.year,
        season: numbered.season,
        episodes: numbered.episodes,
        title: episodeTitle(numbered.after),
      };
    }
  }

  const daily = /(?<!\d)((?:19|20)\d{2})[-._ ](\d{2})[-._ ](\d{2})(?!\d)/.exec(stem);
  if (
    daily !== null &&
    Number(daily[2]) >= 1 &&
    Number(daily[2]) <= 12 &&
    Number(daily[3]) >= 1 &&
    Number(daily[3]) <= 31
  ) {
    const show = showFrom(stem.slice(0, daily.index));
    if (show !== null) {
      return {
        type: 'daily-episode',
        show: show.show,
        showYear: show.year,
        airDate: `${daily[1]}-${daily[2]}-${daily[3]}`,
        title: episodeTitle(stem.slice(daily.index + daily[0].length)),
      };
    }
  }

  const fields = numbered === null ? matchBracketedFields(rawStem) : null;
  if (fields !== null) {
    const show = fromFolder ?? { show: fields.show, year: null };
    return {
      type: 'episode',
      show: show.show,
      showYear: show.year,
      season: folderSeason ?? 1,
      episodes: fields.episodes,
      title: null,
    };
  }

  const bare = numbered === null ? matchBareEpisode(stem) : null;
  if (bare !== null) {
    const show = showFrom(bare.before);
    if (show !== null) {
      return {
        type: 'episode',
        show: show.show,
        showYear: show.year,
        // Absolute numbering outside any season folder (anime) counts as season 1, as other servers do.
        season: folderSeason ?? 1,
        episodes: bare.episodes,
        title: episodeTitle(bare.after),
      };
    }
  }

  const { title, year } = parseTitleYear(rawStem);
  return { type: 'video', title, year };
}

// ---------------------------------------------------------------------------------------------------
// Music

const MUSIC_DISC_FOLDER = /^(?:cd|disc|disk)[\s._-]*(\d{1,3})(?!\d)/i;
// `[FLAC]`, `[320]`, `[24-96]`, `(WEB)`: how a download was encoded, not part of the album's name.
const AUDIO_TAG =
  /\s*[[(](?:flac|mp3|aac|alac|ogg|opus|lossless|hi-?res|web|cd|vinyl|v0|v2|\d{3}(?:k|kbps)?|\d{2}\s*bit|\d{2}[\s/-]+\d{2,3}(?:\.\d)?(?:\s*khz)?)(?:[\s,-]+[^\])]*)?[\])]/gi;

function albumOf(dir: string): { album: string; year: number | null } {
  let name = dir.replace(AUDIO_TAG, ' ').trim();
  let year: number | null = null;
  // `[2019] Album`, `2019 - Album`; not `1989 (Taylor's Version)`, which is the album's name.
  const leading =
    /^[[(]((?:18|19|20)\d{2})[\])]\s*[-.]?\s*(.+)$/.exec(name) ?? /^((?:18|19|20)\d{2})\s*[-.]\s+(.+)$/.exec(name);
  if (leading !== null) {
    year = Number(leading[1]);
    name = leading[2];
  } else {
    const trailing = /^(.+?)\s*[[(]((?:18|19|20)\d{2})[\])]\s*$/.exec(name);
    if (trailing !== null) {
      year = Number(trailing[2]);
      name = trailing[1];
    }
  }
  return { album: tidy(name.replace(/_/g, ' ')), year };
}

function parseTrack(dirs: string[], stem: string): ParsedTrack {
  const folders = [...dirs];
  let disc: number | null = null;
  const discMatch = folders.length > 0 ? MUSIC_DISC_FOLDER.exec(folders[folders.length - 1]) : null;
  if (discMatch !== null) {
    disc = Number(discMatch[1]);
    folders.pop();
  }

  let artist: string | null = null;
  let album: string | null = null;
  let year: number | null = null;
  if (folders.length >= 2) {
    artist = tidy(folders[folders.length - 2].replace(/_/g, ' '));
    ({ album, year } = albumOf(folders[folders.length - 1]));
  } else if (folders.length === 1) {
    const split = /^(.+?)\s+-\s+(.+)$/.exec(folders[0]);
    if (split !== null) {
      artist = tidy(split[1]);
      ({ album, year } = albumOf(split[2]));
    } else {
      ({ album, year } = albumOf(folders[0]));
    }
  }

  let track: number | null = null;
  let rest = stem;
  const discTrack = /^(\d)[-.](\d{2})(?:\s*-\s*|\.\s*|[\s_]+)(.+)$/.exec(stem);
  const trackOnly = /^(\d{1,3})(?:\s*-\s*|\.\s*|[\s_]+)(\S.*)$/.exec(stem);
  if (discTrack !== null) {
    disc ??= Number(discTrack[1]);
    track = Number(discTrack[2]);
    rest = discTrack[3];
  } else if (trackOnly !== null) {
    track = Number(trackOnly[1]);
    rest = trackOnly[2];
  }
  // Loose files at the root are often `Artist - Title`.
  if (folders.length === 0) {
    const split = /^(.+?)\s+-\s+(.+)$/.exec(rest);
    if (split !== null) {
      artist = tidy(split[1]);
      rest = split[2];
    }
  }
  const title = tidy(rest.replace(/_/g, ' ')) || stem;
  return { type: 'track', artist: artist || null, album: album || null, year, disc, track, title };
}

// ---------------------------------------------------------------------------------------------------
// Artwork

export type ArtworkKind = 'poster' | 'fanart' | 'banner' | 'logo' | 'thumb' | 'clearart' | 'disc';

/**
 * What a local image is for:
 * - `folder`: the item(s) of the folder it sits in (a movie folder, a show, a season folder, an album);
 * - `season`: a season of the show whose folder holds it (`season01-poster.jpg`, `season-specials-poster.jpg` is 0);
 * - `file`: the video beside it with that file name stem (`Avatar (2009)-poster.jpg`).
 * `rank` orders candidates of one kind for one target: lower wins (`poster` before `cover` before `folder`).
 */
export type Artwork = { kind: ArtworkKind; rank: number } & (
  | { scope: 'folder' }
  | { scope: 'season'; season: number }
  | { scope: 'file'; stem: string }
);

const ARTWORK_NAMES: Record<string, [ArtworkKind, number]> = {
  poster: ['poster', 0],
  cover: ['poster', 1],
  folder: ['poster', 2],
  front: ['poster', 3],
  default: ['poster', 4],
  movie: ['poster', 5],
  show: ['poster', 5],
  albumart: ['poster', 6],
  albumartlarge: ['poster', 7],
  albumartsmall: ['poster', 9],
  fanart: ['fanart', 0],
  backdrop: ['fanart', 1],
  background: ['fanart', 2],
  art: ['fanart', 3],
  banner: ['banner', 0],
  logo: ['logo', 0],
  clearlogo: ['logo', 1],
  thumb: ['thumb', 0],
  landscape: ['thumb', 1],
  clearart: ['clearart', 0],
  disc: ['disc', 0],
  discart: ['disc', 1],
  cdart: ['disc', 2],
};

const ARTWORK_WORDS = Object.keys(ARTWORK_NAMES).join('|');
const SEASON_ARTWORK = new RegExp(`^season[\\s._-]?(\\d{1,4}|specials?|all)(?:[\\s._-]?(${ARTWORK_WORDS}))?$`, 'i');
const FILE_ARTWORK = new RegExp(`^(.+?)[\\s._]*-[\\s._]*(${ARTWORK_WORDS})$`, 'i');
const NUMBERED_FANART = /^(fanart|backdrop|background)[\s._-]?(\d{1,3})$/i;
const WMP_ALBUM_ART = /^albumart_\{[0-9a-f-]+\}_(large|small)$/i;

/** What a local image is artwork for, or null when it is not artwork Hearth recognises. */
export function artworkKind(relPath: string): Artwork | null {
  const name = relPath.slice(Math.max(relPath.lastIndexOf('/'), relPath.lastIndexOf('\\')) + 1);
  if (mediaTypeOf(name)?.kind !== 'image') return null;
  const stem = name.slice(0, name.lastIndexOf('.'));
  const lower = stem.toLowerCase();

  const named = ARTWORK_NAMES[lower];
  if (named !== undefined) return { kind: named[0], rank: named[1], scope: 'folder' };

  const season = SEASON_ARTWORK.exec(stem);
  if (season !== null) {
    const which = season[1].toLowerCase();
    // Kodi's `season-all` art is for an "all seasons" entry that Hearth does not have.
    if (which === 'all') return null;
    const [kind, rank] = season[2] === undefined ? ARTWORK_NAMES.poster : ARTWORK_NAMES[season[2].toLowerCase()];
    return { kind, rank, scope: 'season', season: which.startsWith('special') ? 0 : Number(which) };
  }

  const numbered = NUMBERED_FANART.exec(stem);
  if (numbered !== null) return { kind: 'fanart', rank: 10 + Number(numbered[2]), scope: 'folder' };

  const wmp = WMP_ALBUM_ART.exec(stem);
  if (wmp !== null) return { kind: 'poster', rank: wmp[1].toLowerCase() === 'large' ? 7 : 9, scope: 'folder' };

  const forFile = FILE_ARTWORK.exec(stem);
  if (forFile !== null) {
    const [kind, rank] = ARTWORK_NAMES[forFile[2].toLowerCase()];
    return { kind, rank, scope: 'file', stem: forFile[1] };
  }
  return null;
}
