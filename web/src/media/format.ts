// Pure helpers for the media pages: how items, times and formats read to people, where playback resumes,
// and whether a file plays here. No window or document, so they are tested in Node.
import type { ItemType, LibraryKind, MediaItem, Progress } from '../api/media.ts';

/** Past this share of its length an item counts as watched (the server uses the same share). */
export const WATCHED_SHARE = 0.9;

/** Closer to the start than this (or 5% of a short item), there is nothing worth resuming. */
const RESUME_MIN_SECONDS = 5;

export const kindLabels: Record<LibraryKind, string> = {
  movies: 'Movies',
  shows: 'TV shows',
  music: 'Music',
  videos: 'Videos',
};

export const typeLabels: Record<ItemType, string> = {
  movie: 'Movie',
  show: 'Show',
  season: 'Season',
  episode: 'Episode',
  artist: 'Artist',
  album: 'Album',
  track: 'Track',
  video: 'Video',
  extra: 'Extra',
};

/** What the children of a group are called: a show has seasons, a season episodes. */
export function childrenLabel(type: ItemType, count: number): string {
  const one = count === 1;
  switch (type) {
    case 'show':
      return one ? '1 season' : `${count} seasons`;
    case 'season':
      return one ? '1 episode' : `${count} episodes`;
    case 'artist':
      return one ? '1 album' : `${count} albums`;
    case 'album':
      return one ? '1 track' : `${count} tracks`;
    default:
      return one ? '1 extra' : `${count} extras`;
  }
}

/** "1 h 32 min", "4 min", "45 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.round((total % 3600) / 60);
  if (hours === 0) return `${minutes} min`;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

/** A player's clock: "2:05", "1:02:03". */
export function formatClock(seconds: number | null | undefined): string {
  const total =
    seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0 ? 0 : Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The same position for screen readers: "1 minute 5 seconds". */
export function spokenClock(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const parts: string[] = [];
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) parts.push(`${h} hour${h === 1 ? '' : 's'}`);
  if (m > 0) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (s > 0 || parts.length === 0) parts.push(`${s} second${s === 1 ? '' : 's'}`);
  return parts.join(' ');
}

export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || bytes < 0) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "4K", "1080p", "720p", "SD", or the plain size for odd frames. */
export function resolutionLabel(width: number | null, height: number | null): string | null {
  if (width === null || height === null || width <= 0 || height <= 0) return null;
  // Cinema crops (1920×800) are still 1080p: the width decides as much as the height.
  if (width >= 3200 || height >= 2000) return '4K';
  if (width >= 1800 || height >= 1000) return '1080p';
  if (width >= 1200 || height >= 700) return '720p';
  if (height >= 400) return 'SD';
  return `${width}×${height}`;
}

const codecNames: Record<string, string> = {
  h264: 'H.264',
  avc: 'H.264',
  avc1: 'H.264',
  hevc: 'HEVC (H.265)',
  h265: 'HEVC (H.265)',
  vp8: 'VP8',
  vp9: 'VP9',
  av1: 'AV1',
  mpeg4: 'MPEG-4 Part 2',
  mpeg2video: 'MPEG-2',
  theora: 'Theora',
  aac: 'AAC',
  mp3: 'MP3',
  opus: 'Opus',
  vorbis: 'Vorbis',
  flac: 'FLAC',
  alac: 'ALAC',
  ac3: 'Dolby Digital (AC-3)',
  eac3: 'Dolby Digital Plus (E-AC-3)',
  dts: 'DTS',
  truehd: 'Dolby TrueHD',
};

export function codecLabel(codec: string | null): string | null {
  if (codec === null || codec.trim() === '') return null;
  return codecNames[codec.toLowerCase().replace(/[\s._-]/g, '')] ?? codec.toUpperCase();
}

export function containerLabel(container: string | null): string | null {
  if (container === null || container.trim() === '') return null;
  const first = container.toLowerCase().split(/[\s,/]+/)[0];
  const names: Record<string, string> = {
    mov: 'MP4',
    mp4: 'MP4',
    isom: 'MP4',
    matroska: 'Matroska (MKV)',
    webm: 'WebM',
    ogg: 'Ogg',
    mp3: 'MP3',
    mpeg: 'MPEG',
    flac: 'FLAC',
    wav: 'WAV',
    avi: 'AVI',
  };
  return names[first] ?? container;
}

/** "S01E02" (or "S01E02–E03" for a file holding several episodes). */
export function episodeCode(season: number | null, episode: number | null, episodeEnd: number | null = null): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const s = season === null ? '' : `S${pad(season)}`;
  if (episode === null) return s;
  const e = `E${pad(episode)}`;
  return episodeEnd !== null && episodeEnd !== episode ? `${s}${e}–E${pad(episodeEnd)}` : `${s}${e}`;
}

/** The name a group child shows in a list: seasons go by number, episodes and tracks by their own title. */
export function displayTitle(item: Pick<MediaItem, 'type' | 'title' | 'index'>): string {
  if (item.type === 'season' && item.index !== null && /^season\s+\d+$/i.test(item.title.trim())) {
    return item.index === 0 ? 'Specials' : `Season ${item.index}`;
  }
  return item.title;
}

/** The short line under a poster: year, episode number, artist, or how many children. */
export function itemSubtitle(item: MediaItem, seasonIndex: number | null = null): string {
  switch (item.type) {
    case 'episode': {
      const code = episodeCode(seasonIndex, item.index, item.index_end);
      return code !== '' ? code : (item.air_date ?? '');
    }
    case 'track':
      return [item.index !== null ? `Track ${item.index}` : null, item.artist].filter(Boolean).join(' · ');
    case 'show':
    case 'season':
    case 'artist':
    case 'album':
      return [item.year, item.child_count > 0 ? childrenLabel(item.type, item.child_count) : null]
        .filter(Boolean)
        .join(' · ');
    default:
      return [item.year, item.edition].filter(Boolean).join(' · ');
  }
}

/** Share of the item already seen, 0..1, for the bar under a poster; null when there is nothing to show. */
export function progressShare(item: Pick<MediaItem, 'progress' | 'duration_seconds'>): number | null {
  const { progress, duration_seconds: duration } = item;
  if (progress === null || progress.watched || duration === null || duration <= 0) return null;
  if (progress.position_seconds <= 0) return null;
  return Math.min(1, progress.position_seconds / duration);
}

/**
 * Where to start playing: the saved position, unless the item was finished, the position is too close
 * to either end to be worth resuming, or there is none.
 */
export function resumePosition(progress: Progress | null, duration: number | null): number | null {
  if (progress === null || progress.watched) return null;
  const position = progress.position_seconds;
  const known = duration !== null && Number.isFinite(duration) && duration > 0;
  const minimum = known ? Math.min(RESUME_MIN_SECONDS, duration * 0.05) : RESUME_MIN_SECONDS;
  if (!Number.isFinite(position) || position < minimum) return null;
  if (known && position >= duration * WATCHED_SHARE) return null;
  return position;
}

/** True once the playback position is near enough the end to count as watched. */
export function nearTheEnd(position: number, duration: number): boolean {
  return Number.isFinite(duration) && duration > 0 && position >= duration * WATCHED_SHARE;
}

export type Verdict = { kind: 'direct' | 'maybe' | 'no'; text: string };

// RFC 6381 codec strings, enough for canPlayType to answer about the common codecs.
const codecParameters: Record<string, string> = {
  h264: 'avc1.640028',
  hevc: 'hvc1.1.6.L120.90',
  vp8: 'vp8',
  vp9: 'vp09.00.40.08',
  av1: 'av01.0.08M.08',
  aac: 'mp4a.40.2',
  mp3: 'mp3',
  opus: 'opus',
  vorbis: 'vorbis',
  flac: 'flac',
  ac3: 'ac-3',
  eac3: 'ec-3',
};

function codecParameter(codec: string | null): string | null | undefined {
  if (codec === null) return null;
  return codecParameters[codec.toLowerCase().replace(/[\s._-]/g, '')];
}

/**
 * Whether this browser plays the file as it is. The server's `browser_playable` means every current
 * browser does; otherwise the browser is asked (`canPlayType`), since Chromium alone plays some files
 * Safari or Firefox would refuse.
 */
export function playbackVerdict(
  item: Pick<MediaItem, 'playable' | 'browser_playable' | 'mime' | 'video_codec' | 'audio_codec' | 'container'>,
  canPlayType: (type: string) => string,
): Verdict {
  if (!item.playable) return { kind: 'no', text: 'This is a group of items, not a file to play.' };
  const mime = item.mime ?? '';
  const container = containerLabel(item.container) ?? (mime === '' ? 'this kind of file' : mime);
  const base = mime === '' ? '' : canPlayType(mime);
  if (item.browser_playable && base !== '') return { kind: 'direct', text: 'Plays directly in this browser.' };
  if (mime === '' || base === '') {
    return {
      kind: 'no',
      text: `This browser cannot play ${container} files. Play it in an app that reads the file directly.`,
    };
  }
  const video = codecParameter(item.video_codec);
  const audio = codecParameter(item.audio_codec);
  const unknown = [
    video === undefined ? codecLabel(item.video_codec) : null,
    audio === undefined ? codecLabel(item.audio_codec) : null,
  ].filter((name): name is string => name !== null);
  if (unknown.length > 0) {
    return {
      kind: 'no',
      text: `Browsers cannot play ${unknown.join(' and ')}. Play it in an app that reads the file directly.`,
    };
  }
  const codecs = [video, audio].filter((c): c is string => typeof c === 'string');
  if (codecs.length === 0) return { kind: 'maybe', text: 'Not analysed yet: it may play in this browser.' };
  const answer = canPlayType(`${mime}; codecs="${codecs.join(', ')}"`);
  if (answer === '') {
    const names = [codecLabel(item.video_codec), codecLabel(item.audio_codec)].filter(Boolean).join(' with ');
    return {
      kind: 'no',
      text: `This browser cannot play ${names} in ${container}. Play it in an app that reads the file directly.`,
    };
  }
  return { kind: 'maybe', text: 'Plays in this browser, though not in every browser.' };
}
