// What a file holds: container, codecs, resolution and duration from ffprobe when it is installed,
// else from music-metadata; music tags and embedded covers from music-metadata. A file that neither
// can read is corrupt: the probe throws ProbeError and the scanner lists it.
import { execFile } from 'node:child_process';
import { runFfprobe } from './ffmpeg.ts';
import { open, type FileHandle } from 'node:fs/promises';
import { parseFile, parseStream, type IPicture } from 'music-metadata';
import { sha256 } from '../crypto.ts';
import { browserPlayable, type MediaKind } from './media-types.ts';
import { readMusicExtras, type MusicExtras } from './music-tags.ts';

export interface MusicTags {
  title: string | null;
  artist: string | null;
  albumArtist: string | null;
  album: string | null;
  track: number | null;
  disc: number | null;
  year: number | null;
}

export interface ProbeResult {
  container: string | null;
  videoCodec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
  pixFmt: string | null;
  durationSeconds: number | null;
  browserPlayable: boolean;
  embeddedCover: boolean;
  tags: MusicTags | null;
  /** The container's chapters (issue 17), in order; absent when the prober reads none. */
  chapters?: ProbeChapter[];
  /** Genres, MusicBrainz ids, ReplayGain… of an audio file (music-tags.ts). */
  music?: MusicExtras | null;
}

export interface ProbeChapter {
  start_seconds: number;
  end_seconds: number | null;
  title: string | null;
}

export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}

export type Prober = (path: string, kind: MediaKind) => Promise<ProbeResult>;

const FFPROBE_TIMEOUT_MS = 60_000;
const FINGERPRINT_SPAN = 64 * 1024;

let ffprobeAvailable: Promise<boolean> | null = null;

/** Whether `ffprobe` runs on this machine; asked once per process. */
export function haveFfprobe(): Promise<boolean> {
  ffprobeAvailable ??= new Promise((resolve) => {
    execFile('ffprobe', ['-version'], { timeout: 10_000 }, (error) => resolve(error === null));
  });
  return ffprobeAvailable;
}

interface FfprobeOutput {
  format?: { format_name?: string; duration?: string; tags?: Record<string, string> };
  chapters?: { start_time?: string; end_time?: string; tags?: Record<string, string> }[];
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    duration?: string;
    disposition?: { attached_pic?: number };
  }[];
}

async function probeJson(path: string): Promise<FfprobeOutput> {
  let stdout: string;
  try {
    stdout = await runFfprobe(
      path,
      ['-print_format', 'json', '-show_format', '-show_streams', '-show_chapters'],
      FFPROBE_TIMEOUT_MS,
    );
  } catch (error) {
    throw new ProbeError(error instanceof Error ? error.message : String(error));
  }
  try {
    return JSON.parse(stdout) as FfprobeOutput;
  } catch {
    throw new ProbeError('ffprobe gave no readable answer');
  }
}

function positiveNumber(value: unknown): number | null {
  const n = typeof value === 'string' ? Number.parseFloat(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** `3/12` or `3` to 3. */
function leadingInt(value: string | undefined): number | null {
  const match = value === undefined ? null : /^\s*(\d{1,4})/.exec(value);
  return match ? Number(match[1]) : null;
}

function fromFfprobe(out: FfprobeOutput): ProbeResult {
  const streams = out.streams ?? [];
  // A cover picture in an audio file is a "video" stream to ffprobe; it is not the file's video.
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = streams.find((s) => s.codec_type === 'audio');
  if (!video && !audio) throw new ProbeError('no audio or video stream');
  const container = out.format?.format_name ?? null;
  const facts = {
    container,
    videoCodec: video?.codec_name ?? null,
    audioCodec: audio?.codec_name ?? null,
    pixFmt: video?.pix_fmt ?? null,
  };
  const tags = out.format?.tags ?? {};
  const tag = (name: string) => tags[name] ?? tags[name.toUpperCase()] ?? null;
  return {
    ...facts,
    width: video?.width ?? null,
    height: video?.height ?? null,
    durationSeconds: positiveNumber(out.format?.duration) ?? positiveNumber(video?.duration ?? audio?.duration),
    browserPlayable: browserPlayable(facts),
    embeddedCover: streams.some((s) => s.disposition?.attached_pic === 1),
    chapters: chaptersOf(out),
    tags: video
      ? null
      : {
          title: tag('title'),
          artist: tag('artist'),
          albumArtist: tag('album_artist'),
          album: tag('album'),
          track: leadingInt(tag('track') ?? undefined),
          disc: leadingInt(tag('disc') ?? undefined),
          year: leadingInt(tag('date') ?? undefined),
        },
  };
}

function chaptersOf(out: FfprobeOutput): ProbeChapter[] {
  const chapters: ProbeChapter[] = [];
  for (const c of (out.chapters ?? []).slice(0, 500)) {
    const start = Number.parseFloat(c.start_time ?? '');
    if (!Number.isFinite(start) || start < 0) continue;
    const end = Number.parseFloat(c.end_time ?? '');
    const title = c.tags?.title ?? c.tags?.TITLE;
    chapters.push({
      start_seconds: start,
      end_seconds: Number.isFinite(end) ? end : null,
      title: title ? title.trim().slice(0, 200) || null : null,
    });
  }
  return chapters;
}

function clean(text: string | undefined): string | null {
  const trimmed = text?.replace(/\s+/g, ' ').trim();
  return trimmed ? trimmed.slice(0, 500) : null;
}

async function fromMusicMetadata(path: string, kind: MediaKind): Promise<ProbeResult> {
  let meta;
  try {
    meta = await parseFile(path, { duration: false, skipCovers: false });
  } catch (err) {
    throw new ProbeError(((err as Error).message ?? 'unreadable').replace(path, '<file>').slice(0, 300));
  }
  const format = meta.format;
  const videoTrack = format.trackInfo.find((t) => t.video !== undefined);
  const audioCodec = format.codec ?? format.trackInfo.find((t) => t.audio !== undefined)?.codecName ?? null;
  const videoCodec = videoTrack?.codecName ?? null;
  if (!audioCodec && !videoCodec && !format.duration) throw new ProbeError('no audio or video found');
  // music-metadata does not report pixel formats, so a video is never promised as browser-playable here.
  const facts = { container: format.container ?? null, videoCodec, audioCodec, pixFmt: null };
  const common = meta.common;
  const music = kind === 'audio' ? readMusicExtras(meta) : null;
  return {
    ...facts,
    width: videoTrack?.video?.pixelWidth ?? null,
    height: videoTrack?.video?.pixelHeight ?? null,
    durationSeconds: positiveNumber(format.duration),
    browserPlayable: browserPlayable(facts),
    embeddedCover: (common.picture?.length ?? 0) > 0,
    tags:
      kind === 'audio'
        ? {
            title: clean(common.title),
            artist: clean(common.artist),
            albumArtist: music?.albumArtist ?? null,
            album: clean(common.album),
            track: common.track?.no ?? null,
            disc: common.disk?.no ?? null,
            year: common.year ?? null,
          }
        : null,
    music,
  };
}

/**
 * The default prober. Audio: music-metadata for tags and format, ffprobe's word when music-metadata
 * finds nothing. Video: ffprobe when installed, else music-metadata (MP4, Matroska, WebM).
 */
export function createProber(options: { ffprobe: boolean }): Prober {
  return async (path, kind) => {
    if (kind === 'audio') {
      try {
        return await fromMusicMetadata(path, kind);
      } catch (err) {
        if (!options.ffprobe) throw err;
        return fromFfprobe(await probeJson(path));
      }
    }
    if (options.ffprobe) return fromFfprobe(await probeJson(path));
    return fromMusicMetadata(path, kind);
  };
}

export interface EmbeddedCover {
  mime: string;
  data: Uint8Array;
}

// Picture types are ID3/FLAC's; MP4 covers have none and are the front cover in practice.
const isFrontCover = (picture: IPicture) => picture.type === undefined || picture.type.toLowerCase().includes('front');

/**
 * The embedded cover of an audio file already opened by the caller (who checked where it lies, S71), or
 * null. `path` only hints at the format. The handle is read forward only, so the read stops at the first
 * front cover rather than go on through hours of an audiobook's audio after it.
 */
export async function readEmbeddedCover(handle: FileHandle, path: string): Promise<EmbeddedCover | null> {
  const source = handle.createReadStream({ autoClose: false, start: 0 });
  // The destroy below ends the parse at its next read; unheard, its error would be an uncaught one.
  source.on('error', () => {});
  let front: IPicture | null = null;
  try {
    const { size } = await handle.stat();
    const meta = await parseStream(
      source,
      { path, size },
      {
        duration: false,
        skipCovers: false,
        skipPostHeaders: true,
        observer: ({ tag }) => {
          if (front !== null || tag.type !== 'common' || tag.id !== 'picture') return;
          const picture = tag.value as IPicture;
          if (!isFrontCover(picture)) return;
          front = picture;
          source.destroy(new Error('front cover found'));
        },
      },
    ).catch(() => null);
    const pictures = meta?.common.picture ?? [];
    const picture = front ?? pictures.find(isFrontCover) ?? pictures[0];
    if (!picture) return null;
    const mime = /^image\/(jpeg|png|webp|gif)$/.test(picture.format) ? picture.format : 'image/jpeg';
    return { mime, data: picture.data };
  } catch {
    return null;
  } finally {
    source.destroy();
  }
}

/**
 * Size plus the first and last 64 KiB, hashed: the same file under a new path and inode (copied to
 * another disk, restored from a backup) has the same fingerprint, at the cost of two small reads.
 */
export async function fingerprintFile(path: string, size: number): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const headLength = Math.min(size, FINGERPRINT_SPAN);
    const head = Buffer.alloc(headLength);
    await handle.read(head, 0, headLength, 0);
    const tailStart = Math.max(headLength, size - FINGERPRINT_SPAN);
    const tail = Buffer.alloc(size - tailStart);
    if (tail.length > 0) await handle.read(tail, 0, tail.length, tailStart);
    return sha256(Buffer.concat([Buffer.from(`${size}:`), head, tail]));
  } finally {
    await handle.close();
  }
}
