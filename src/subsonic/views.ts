// Store rows as the Subsonic schema's elements (Child, AlbumID3, ArtistID3), with the OpenSubsonic fields
// music apps read: several genres, track and album artists, MusicBrainz ids, ReplayGain, compilations.
import type { AlbumRow, ArtistRow, SongRow } from '../store/music.repository.ts';
import type { Node } from './render.ts';

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? undefined : new Date(Number(ms)).toISOString();

export function genresOf(json: string | null | undefined): string[] {
  if (!json) return [];
  try {
    const list = JSON.parse(json) as unknown;
    return Array.isArray(list) ? list.filter((g): g is string => typeof g === 'string') : [];
  } catch {
    return [];
  }
}

function suffixOf(relPath: string | null): string | undefined {
  const match = relPath ? /\.([A-Za-z0-9]{1,8})$/.exec(relPath) : null;
  return match ? match[1]!.toLowerCase() : undefined;
}

const num = (v: number | null | undefined) => (v === null || v === undefined ? undefined : Number(v));

export interface Plays {
  count: number;
  last: number;
}

export function songNode(row: SongRow, plays?: Plays): Node {
  const genres = genresOf(row.genres);
  const albumArtist = row.album_artist ?? row.album_artist_name ?? undefined;
  const artist = row.artist ?? albumArtist;
  const rg =
    row.rg_track_gain !== null || row.rg_album_gain !== null
      ? {
          trackGain: num(row.rg_track_gain),
          trackPeak: num(row.rg_track_peak),
          albumGain: num(row.rg_album_gain),
          albumPeak: num(row.rg_album_peak),
        }
      : undefined;
  return {
    id: row.id,
    parent: row.parent_id ?? undefined,
    isDir: false,
    title: row.title,
    album: row.album ?? undefined,
    artist,
    track: num(row.index_number),
    year: num(row.year),
    genre: genres[0],
    coverArt: row.id,
    size: num(row.size),
    contentType: row.mime ?? undefined,
    suffix: suffixOf(row.rel_path),
    duration: row.duration_seconds === null ? undefined : Math.round(Number(row.duration_seconds)),
    bitRate: num(row.bitrate),
    samplingRate: num(row.sample_rate),
    channelCount: num(row.channels),
    path: row.rel_path ?? undefined,
    discNumber: num(row.disc_number),
    created: iso(row.added_at),
    albumId: row.parent_id ?? undefined,
    artistId: row.artist_id ?? undefined,
    type: 'music',
    mediaType: 'song',
    isVideo: false,
    starred: iso(row.starred_at),
    userRating: num(row.rating),
    playCount: plays?.count ?? 0,
    played: iso(plays?.last),
    musicBrainzId: row.mb_recording_id ?? row.mb_track_id ?? undefined,
    genres: genres.map((name) => ({ name })),
    artists: artist
      ? [{ id: artist === row.album_artist_name ? (row.artist_id ?? undefined) : undefined, name: artist }]
      : [],
    displayArtist: artist,
    albumArtists: albumArtist ? [{ id: row.artist_id ?? undefined, name: albumArtist }] : [],
    displayAlbumArtist: albumArtist,
    replayGain: rg,
  };
}

export function albumNode(row: AlbumRow): Node {
  const genres = genresOf(row.genres);
  return {
    id: row.id,
    parent: row.artist_id ?? undefined,
    name: row.title,
    title: row.title,
    album: row.title,
    isDir: true,
    artist: row.artist ?? undefined,
    artistId: row.artist_id ?? undefined,
    coverArt: row.id,
    songCount: Number(row.song_count ?? 0),
    duration: Math.round(Number(row.duration ?? 0)),
    created: iso(row.added_at),
    year: num(row.year),
    genre: genres[0],
    starred: iso(row.starred_at),
    userRating: num(row.rating),
    musicBrainzId: row.mb_album_id ?? undefined,
    isCompilation: Number(row.compilation ?? 0) === 1,
    originalReleaseDate: row.original_year ? { year: Number(row.original_year) } : undefined,
    genres: genres.map((name) => ({ name })),
    artists: row.artist ? [{ id: row.artist_id ?? undefined, name: row.artist }] : [],
    displayArtist: row.artist ?? undefined,
    mediaType: 'album',
  };
}

export function artistNode(row: ArtistRow): Node {
  return {
    id: row.id,
    name: row.title,
    coverArt: row.id,
    albumCount: Number(row.album_count ?? 0),
    starred: iso(row.starred_at),
    sortName: row.sort_title,
  };
}

export const IGNORED_ARTICLES = 'The A An';

/** Artists under their first letter (A–Z, else `#`), as getIndexes and getArtists list them. */
export function indexOf<T extends ArtistRow>(rows: T[], node: (row: T) => Node): Node[] {
  const groups = new Map<string, Node[]>();
  for (const row of rows) {
    const first = (row.sort_title || row.title).charAt(0).toUpperCase();
    const key = /^\p{L}$/u.test(first) ? first : '#';
    const list = groups.get(key);
    if (list) list.push(node(row));
    else groups.set(key, [node(row)]);
  }
  return [...groups].map(([name, artist]) => ({ name, artist }));
}
