// Where a file goes in the browse tree: the groups above it (show → season, artist → album) and the
// fields of its own item, from what naming.ts read in its path and, for music, from its tags.
import type { MediaItemType } from '../store/schema.ts';
import type { MusicTags } from './probe.ts';
import { seasonOfFolder, type ExtraType, type LibraryKind, type ParsedMedia, type ParsedTrack } from './naming.ts';

export type GroupType = 'show' | 'season' | 'artist' | 'album';

export interface GroupPlan {
  /** Identity within the library; the same show or album from two files gives the same key. */
  key: string;
  type: GroupType;
  title: string;
  year: number | null;
  index: number | null;
  folder: string | null;
}

export interface LeafPlan {
  type: Exclude<MediaItemType, GroupType>;
  title: string;
  year: number | null;
  index: number | null;
  indexEnd: number | null;
  disc: number | null;
  part: number | null;
  edition: string | null;
  airDate: string | null;
  artist: string | null;
  extraType: ExtraType | null;
  folder: string | null;
  /** Extra words to find the item by (the show of an episode, the album of a track). */
  searchAlso: string[];
  /** Movies: what sets this file apart from other versions of it (naming's `version`). */
  version: string | null;
}

export interface ExtraOwner {
  dir: string;
  stem: string | null;
  title: string | null;
  year: number | null;
}

export interface Placement {
  /** Top first. */
  chain: GroupPlan[];
  leaf: LeafPlan;
  /** Set for extras: whose trailer or featurette this is. */
  owner: ExtraOwner | null;
}

/** Lower case, accents and punctuation gone: `Amélie!` and `amelie` are one key and one search. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** `The Matrix` sorts under M. */
export function sortTitleOf(title: string): string {
  return foldText(title).replace(/^(?:the|a|an) (?=\S)/, '');
}

export function searchTextOf(parts: (string | null | undefined)[]): string {
  return parts
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .map(foldText)
    .join(' ');
}

function dirsOf(relPath: string): string[] {
  const parts = relPath.split('/');
  parts.pop();
  return parts;
}

export function stemOf(relPath: string): string {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

export function dirOf(relPath: string): string {
  const slash = relPath.lastIndexOf('/');
  return slash < 0 ? '' : relPath.slice(0, slash);
}

const orNull = (dir: string): string | null => (dir === '' ? null : dir);

export function showKey(title: string, year: number | null): string {
  return `show:${foldText(title)}:${year ?? ''}`;
}

const MUSIC_DISC_FOLDER = /^(?:cd|disc|disk)[\s._-]*\d{1,3}(?!\d)/i;
const UNKNOWN_ARTIST = 'Unknown Artist';
const UNKNOWN_ALBUM = 'Unknown Album';

function leaf(type: LeafPlan['type'], title: string, fields: Partial<LeafPlan> = {}): LeafPlan {
  return {
    type,
    title,
    year: null,
    index: null,
    indexEnd: null,
    disc: null,
    part: null,
    edition: null,
    airDate: null,
    artist: null,
    extraType: null,
    folder: null,
    searchAlso: [],
    version: null,
    ...fields,
  };
}

function showChain(
  relPath: string,
  show: string,
  showYear: number | null,
  season: number,
  seasonTitle: string,
): GroupPlan[] {
  const dirs = dirsOf(relPath);
  const inSeasonFolder = dirs.length > 0 && seasonOfFolder(dirs[dirs.length - 1], dirs.length > 1) !== null;
  const showDirs = inSeasonFolder ? dirs.slice(0, -1) : dirs;
  const key = showKey(show, showYear);
  return [
    { key, type: 'show', title: show, year: showYear, index: null, folder: orNull(showDirs.join('/')) },
    {
      key: `season:${key}:${season}`,
      type: 'season',
      title: seasonTitle,
      year: null,
      index: season,
      folder: inSeasonFolder ? dirs.join('/') : null,
    },
  ];
}

/** Groups and fields of a track: tags win over what the path says. */
export function placeTrack(relPath: string, fromPath: ParsedTrack, tags: MusicTags | null): Placement {
  const dirs = dirsOf(relPath);
  const albumDirs = dirs.length > 0 && MUSIC_DISC_FOLDER.test(dirs[dirs.length - 1]) ? dirs.slice(0, -1) : dirs;
  const trackArtist = tags?.artist ?? fromPath.artist;
  const artist = tags?.albumArtist ?? tags?.artist ?? fromPath.artist ?? UNKNOWN_ARTIST;
  const album = tags?.album ?? fromPath.album ?? UNKNOWN_ALBUM;
  const year = tags?.year ?? fromPath.year;
  const artistKey = `artist:${foldText(artist)}`;
  return {
    chain: [
      {
        key: artistKey,
        type: 'artist',
        title: artist,
        year: null,
        index: null,
        folder: albumDirs.length >= 2 ? albumDirs.slice(0, -1).join('/') : null,
      },
      {
        key: `album:${artistKey}:${foldText(album)}`,
        type: 'album',
        title: album,
        year,
        index: null,
        folder: orNull(albumDirs.join('/')),
      },
    ],
    leaf: leaf('track', tags?.title ?? fromPath.title, {
      year,
      index: tags?.track ?? fromPath.track,
      disc: tags?.disc ?? fromPath.disc,
      artist: trackArtist ?? artist,
      searchAlso: [trackArtist ?? artist, album],
    }),
    owner: null,
  };
}

/** How people write an episode's number: `s01e02`, `1x02`. */
export function episodeCodes(season: number, episode: number): string[] {
  const two = (n: number) => String(n).padStart(2, '0');
  return [`s${two(season)}e${two(episode)}`, `${season}x${two(episode)}`];
}

export function placeFile(kind: LibraryKind, relPath: string, parsed: ParsedMedia): Placement {
  const dir = dirOf(relPath);
  switch (parsed.type) {
    case 'movie':
      return {
        chain: [],
        leaf: leaf('movie', parsed.title, {
          year: parsed.year,
          edition: parsed.edition,
          part: parsed.part,
          version: parsed.version,
          folder: orNull(dir),
        }),
        owner: null,
      };
    case 'episode': {
      const first = parsed.episodes[0] ?? null;
      const last = parsed.episodes[parsed.episodes.length - 1] ?? null;
      const seasonTitle = parsed.season === 0 ? 'Specials' : `Season ${parsed.season}`;
      return {
        chain: showChain(relPath, parsed.show, parsed.showYear, parsed.season, seasonTitle),
        leaf: leaf('episode', parsed.title ?? (first === null ? stemOf(relPath) : `Episode ${first}`), {
          index: first,
          indexEnd: last !== null && last !== first ? last : null,
          // Found by its code too: `S01E02`, `1x02`.
          searchAlso: [parsed.show, ...(first === null ? [] : episodeCodes(parsed.season, first))],
        }),
        owner: null,
      };
    }
    case 'daily-episode': {
      const year = Number(parsed.airDate.slice(0, 4));
      return {
        chain: showChain(relPath, parsed.show, parsed.showYear, year, String(year)),
        leaf: leaf('episode', parsed.title ?? parsed.airDate, { airDate: parsed.airDate, searchAlso: [parsed.show] }),
        owner: null,
      };
    }
    case 'extra':
      return {
        chain: [],
        leaf: leaf('extra', parsed.title, { extraType: parsed.extraType }),
        owner: { dir: parsed.ownerDir, stem: parsed.ownerStem, title: parsed.ownerTitle, year: parsed.ownerYear },
      };
    case 'track':
      return placeTrack(relPath, parsed, null);
    case 'video':
      return {
        chain: [],
        leaf: leaf('video', parsed.title, { year: parsed.year, folder: kind === 'videos' ? null : orNull(dir) }),
        owner: null,
      };
  }
}
