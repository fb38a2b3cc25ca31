// Kodi's NFO metadata files (movie.nfo, <file>.nfo, tvshow.nfo, season.nfo, episode NFOs, artist.nfo,
// album.nfo), as tinyMediaManager, Sonarr/Radarr and Kodi write them. Parsed with a real XML parser and
// entities and DTDs off (S76): a document declaring a DTD is refused unread, entity references are never
// expanded (only the five XML escapes and character references are decoded, which cannot grow), so no
// external entity is fetched and no expansion bomb is possible.
import { XMLParser } from 'fast-xml-parser';

export const NFO_KINDS = ['movie', 'tvshow', 'season', 'episodedetails', 'musicvideo', 'artist', 'album'] as const;
export type NfoKind = (typeof NFO_KINDS)[number];

/** NFO files larger than this are not read (a real one is a few KiB). */
export const MAX_NFO_BYTES = 1024 * 1024;

export interface NfoPerson {
  name: string;
  role: string | null;
  /** An image URL or path as the NFO gives it; shown only when it is an http(s) URL. */
  thumb: string | null;
}

export interface NfoMetadata {
  kind: NfoKind;
  title: string | null;
  originalTitle: string | null;
  sortTitle: string | null;
  year: number | null;
  /** `YYYY-MM-DD` (premiered or aired). */
  premiered: string | null;
  plot: string | null;
  tagline: string | null;
  runtimeMinutes: number | null;
  genres: string[];
  studios: string[];
  tags: string[];
  certification: string | null;
  /** The default rating (0–10), or the first one given. */
  rating: number | null;
  cast: NfoPerson[];
  directors: string[];
  writers: string[];
  /** The collection (Kodi's `set`). */
  collection: string | null;
  ids: { tmdb?: string; imdb?: string; tvdb?: string };
  season: number | null;
  episode: number | null;
}

export class NfoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NfoError';
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // S76: no entity of any kind is expanded by the parser; no DOCTYPE is read (refused before parsing).
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) =>
    ['actor', 'genre', 'studio', 'tag', 'director', 'credits', 'writer', 'uniqueid', 'rating', 'country'].includes(
      name,
    ),
});

const XML_ESCAPES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The five XML escapes and character references; any other `&name;` stays as written. */
function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/gi, (all, ref: string) => {
    if (ref[0] !== '#') return XML_ESCAPES[ref.toLowerCase()] ?? all;
    const code = ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '';
  });
}

function text(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object') {
    const inner = (value as Record<string, unknown>)['#text'];
    return inner === undefined ? null : text(inner);
  }
  const decoded = decode(String(value)).trim();
  return decoded === '' ? null : decoded.slice(0, 10_000);
}

function list(value: unknown): unknown[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}

function texts(value: unknown, max = 50): string[] {
  const out: string[] = [];
  for (const v of list(value)) {
    // `<genre>Action / Drama</genre>` is written by some tools for two genres.
    for (const part of (text(v) ?? '').split(/\s+\/\s+/))
      if (part !== '' && !out.includes(part)) out.push(part.slice(0, 200));
    if (out.length >= max) break;
  }
  return out.slice(0, max);
}

function integer(value: unknown, min: number, max: number): number | null {
  const t = text(value);
  if (t === null || !/^\d{1,6}$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

function date(value: unknown): string | null {
  const t = text(value);
  const m = t === null ? null : /^(\d{4})-(\d{2})-(\d{2})/.exec(t);
  return m === null ? null : `${m[1]}-${m[2]}-${m[3]}`;
}

/** IDs from `<uniqueid type="…">`, the old `<id>`/`<tmdbid>`/`<imdbid>` fields. */
function idsOf(root: Record<string, unknown>, kind: NfoKind): NfoMetadata['ids'] {
  const ids: NfoMetadata['ids'] = {};
  for (const u of list(root.uniqueid)) {
    const type =
      typeof u === 'object' && u !== null ? String((u as Record<string, unknown>)['@_type'] ?? '').toLowerCase() : '';
    const value = text(u);
    if (value !== null && (type === 'tmdb' || type === 'imdb' || type === 'tvdb')) ids[type] ??= value;
  }
  const imdb = text(root.imdbid) ?? text(root.imdb_id);
  if (imdb !== null) ids.imdb ??= imdb;
  const tmdb = text(root.tmdbid);
  if (tmdb !== null) ids.tmdb ??= tmdb;
  const tvdb = text(root.tvdbid);
  if (tvdb !== null) ids.tvdb ??= tvdb;
  const id = text(root.id);
  if (id !== null) {
    if (/^tt\d+$/.test(id)) ids.imdb ??= id;
    // A bare number in `<id>` is the tvdb id of shows and episodes (Kodi's TV scrapers), else tmdb's.
    else if (/^\d+$/.test(id)) {
      if (kind === 'tvshow' || kind === 'episodedetails' || kind === 'season') ids.tvdb ??= id;
      else ids.tmdb ??= id;
    }
  }
  for (const [k, v] of Object.entries(ids)) if (!/^[A-Za-z0-9_-]{1,40}$/.test(v)) delete ids[k as keyof typeof ids];
  return ids;
}

function ratingOf(root: Record<string, unknown>): number | null {
  const ratings = list((root.ratings as Record<string, unknown> | undefined)?.rating);
  const chosen =
    ratings.find(
      (r) => typeof r === 'object' && r !== null && String((r as Record<string, unknown>)['@_default']) === 'true',
    ) ?? ratings[0];
  const raw = chosen !== undefined ? text((chosen as Record<string, unknown>).value) : text(list(root.rating)[0]);
  if (raw === null) return null;
  const n = Number(raw.replace(',', '.'));
  return Number.isFinite(n) && n >= 0 && n <= 10 ? Math.round(n * 10) / 10 : null;
}

function castOf(root: Record<string, unknown>): NfoPerson[] {
  const cast: NfoPerson[] = [];
  for (const a of list(root.actor).slice(0, 200)) {
    if (typeof a !== 'object' || a === null) continue;
    const actor = a as Record<string, unknown>;
    const name = text(actor.name);
    if (name === null) continue;
    const thumb = text(actor.thumb);
    cast.push({
      name: name.slice(0, 200),
      role: text(actor.role)?.slice(0, 200) ?? null,
      thumb: thumb !== null && /^https?:\/\//i.test(thumb) ? thumb.slice(0, 2000) : null,
    });
  }
  return cast;
}

/** What a bare-URL NFO (the old scraper hint: a tmdb or imdb link alone) tells: the ids. */
function fromUrl(body: string, kind: NfoKind): NfoMetadata | null {
  const imdb = /imdb\.com\/title\/(tt\d+)/i.exec(body)?.[1];
  const tmdb = /themoviedb\.org\/(?:movie|tv)\/(\d+)/i.exec(body)?.[1];
  const tvdb = /thetvdb\.com\/.*?(?:id=|series\/)(\d+)/i.exec(body)?.[1];
  if (imdb === undefined && tmdb === undefined && tvdb === undefined) return null;
  return { ...empty(kind), ids: { ...(imdb ? { imdb } : {}), ...(tmdb ? { tmdb } : {}), ...(tvdb ? { tvdb } : {}) } };
}

function empty(kind: NfoKind): NfoMetadata {
  return {
    kind,
    title: null,
    originalTitle: null,
    sortTitle: null,
    year: null,
    premiered: null,
    plot: null,
    tagline: null,
    runtimeMinutes: null,
    genres: [],
    studios: [],
    tags: [],
    certification: null,
    rating: null,
    cast: [],
    directors: [],
    writers: [],
    collection: null,
    ids: {},
    season: null,
    episode: null,
  };
}

/**
 * Reads one NFO file's text. `expected` is the root the file's place calls for (`movie` for
 * movie.nfo, …); another known root is accepted (tools differ), an unknown one is an error. Throws
 * NfoError for anything that is not a readable NFO: a DTD (S76), malformed XML, no known root.
 */
export function parseNfo(body: string, expected: NfoKind): NfoMetadata {
  if (body.length > MAX_NFO_BYTES) throw new NfoError('the NFO file is too large');
  // S76: a DTD is where external and expanding entities are declared; such a file is not read at all.
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw new NfoError('the NFO declares a DTD or entities, which are not read');
  const start = body.indexOf('<');
  if (start < 0) {
    const ids = fromUrl(body, expected);
    if (ids !== null) return ids;
    throw new NfoError('the NFO holds no XML');
  }
  // Kodi allows a URL line after the XML: parse up to the end of the root element.
  let xml = body.slice(start);
  const rootName = /<(?!\?|!)([A-Za-z][\w-]*)/.exec(xml)?.[1];
  if (rootName === undefined || !(NFO_KINDS as readonly string[]).includes(rootName.toLowerCase())) {
    const ids = fromUrl(body, expected);
    if (ids !== null) return ids;
    throw new NfoError(`the NFO's root element is not one Hearth reads (${String(rootName ?? 'none').slice(0, 40)})`);
  }
  const close = xml.toLowerCase().lastIndexOf(`</${rootName.toLowerCase()}>`);
  if (close >= 0) xml = xml.slice(0, close + rootName.length + 3);
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (err) {
    throw new NfoError(
      `the NFO is not well-formed XML: ${String((err as Error).message)
        .split('\n')[0]
        .slice(0, 160)}`,
    );
  }
  const kind = rootName.toLowerCase() as NfoKind;
  const root = doc[rootName];
  if (typeof root !== 'object' || root === null) return empty(kind);
  const r = root as Record<string, unknown>;
  const premiered = date(r.premiered) ?? date(r.aired) ?? date(r.releasedate);
  const set = r.set;
  const certification = text(r.mpaa) ?? text(r.certification);
  return {
    kind,
    title: text(r.title)?.slice(0, 500) ?? null,
    originalTitle: text(r.originaltitle)?.slice(0, 500) ?? null,
    sortTitle: text(r.sorttitle)?.slice(0, 500) ?? null,
    year: integer(r.year, 1800, 2200) ?? (premiered !== null ? Number(premiered.slice(0, 4)) : null),
    premiered,
    plot: text(r.plot) ?? text(r.outline) ?? text(r.review) ?? text(r.biography),
    tagline: text(r.tagline)?.slice(0, 500) ?? null,
    runtimeMinutes: integer(r.runtime, 1, 10_000),
    genres: texts(r.genre),
    studios: texts(r.studio),
    tags: texts(r.tag),
    // `Rated PG-13`, `US:PG-13`: the rating itself.
    certification: certification === null ? null : certification.replace(/^(?:rated\s+|[A-Z]{2}:)/i, '').slice(0, 40),
    rating: ratingOf(r),
    cast: castOf(r),
    directors: texts(r.director),
    writers: [...new Set([...texts(r.credits), ...texts(r.writer)])],
    collection: typeof set === 'object' && set !== null ? text((set as Record<string, unknown>).name) : text(set),
    ids: idsOf(r, kind),
    season: integer(r.season, 0, 10_000),
    episode: integer(r.episode, 0, 100_000),
  };
}
