// Music tags beyond a track's place in the tree: several genres, MusicBrainz ids, ReplayGain, compilations,
// original years, totals, lyrics, and the audio format's bit rate. Read from what music-metadata parsed.
import type { IAudioMetadata } from 'music-metadata';

export const VARIOUS_ARTISTS = 'Various Artists';

export interface MusicExtras {
  albumArtist: string | null;
  compilation: boolean;
  originalYear: number | null;
  discTotal: number | null;
  trackTotal: number | null;
  genres: string[];
  mbTrackId: string | null;
  mbRecordingId: string | null;
  mbAlbumId: string | null;
  mbArtistId: string | null;
  mbAlbumArtistId: string | null;
  rgTrackGain: number | null;
  rgTrackPeak: number | null;
  rgAlbumGain: number | null;
  rgAlbumPeak: number | null;
  /** kbit/s */
  bitrate: number | null;
  sampleRate: number | null;
  channels: number | null;
  /** LRC text when the tag is timed, else plain text. */
  lyrics: string | null;
}

const MAX_GENRES = 16;
const MAX_LYRICS = 64 * 1024;

function text(value: string | undefined | null, max = 200): string | null {
  const clean = value
    ?.replace(/[\u0000-\u001F\u007F]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean ? clean.slice(0, max) : null;
}

const mbid = (value: string | undefined | null) =>
  value && /^[0-9a-f-]{36}$/i.test(value.trim()) ? value.trim().toLowerCase() : null;

function finite(value: number | undefined | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** `Rock; Pop / Indie` in one tag and several tags alike, without repeats. */
export function splitGenres(tags: string[] | undefined): string[] {
  const out: string[] = [];
  for (const tag of tags ?? []) {
    for (const part of tag.split(/\s*[;/|]\s*|\u0000/)) {
      const name = text(part, 100);
      if (name && !out.some((g) => g.toLowerCase() === name.toLowerCase())) out.push(name);
    }
  }
  return out.slice(0, MAX_GENRES);
}

function lrcTime(ms: number): string {
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const cs = Math.floor((ms % 1000) / 10);
  return `[${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(cs).padStart(2, '0')}]`;
}

function lyricsOf(meta: IAudioMetadata): string | null {
  for (const tag of meta.common.lyrics ?? []) {
    const timed = (tag.syncText ?? []).filter((l) => typeof l.timestamp === 'number');
    const body = timed.length > 0 ? timed.map((l) => `${lrcTime(l.timestamp!)}${l.text}`).join('\n') : (tag.text ?? '');
    if (body.trim() !== '') return body.slice(0, MAX_LYRICS);
  }
  return null;
}

/** iTunes' TCMP and Vorbis COMPILATION are read by music-metadata; some taggers write a TXXX frame instead. */
function isCompilation(meta: IAudioMetadata): boolean {
  if (meta.common.compilation === true) return true;
  return Object.values(meta.native).some((tags) =>
    tags.some(
      (t) =>
        /^(?:TXXX:)?compilation$/i.test(t.id) && ['1', 'true', 'yes'].includes(String(t.value).trim().toLowerCase()),
    ),
  );
}

export function readMusicExtras(meta: IAudioMetadata): MusicExtras {
  const c = meta.common;
  const originalYear =
    finite(c.originalyear) ?? (c.originaldate ? Number.parseInt(c.originaldate.slice(0, 4), 10) || null : null);
  const compilation = isCompilation(meta);
  return {
    albumArtist: text(c.albumartist) ?? (compilation ? VARIOUS_ARTISTS : null),
    compilation,
    originalYear,
    discTotal: finite(c.disk?.of),
    trackTotal: finite(c.track?.of),
    genres: splitGenres(c.genre),
    mbTrackId: mbid(c.musicbrainz_trackid),
    mbRecordingId: mbid(c.musicbrainz_recordingid),
    mbAlbumId: mbid(c.musicbrainz_albumid),
    mbArtistId: mbid(c.musicbrainz_artistid?.[0]),
    mbAlbumArtistId: mbid(c.musicbrainz_albumartistid?.[0]),
    rgTrackGain: finite(c.replaygain_track_gain?.dB),
    rgTrackPeak: finite(c.replaygain_track_peak?.ratio),
    rgAlbumGain: finite(c.replaygain_album_gain?.dB),
    rgAlbumPeak: finite(c.replaygain_album_peak?.ratio),
    bitrate: meta.format.bitrate ? Math.round(meta.format.bitrate / 1000) : null,
    sampleRate: finite(meta.format.sampleRate),
    channels: finite(meta.format.numberOfChannels),
    lyrics: lyricsOf(meta),
  };
}
