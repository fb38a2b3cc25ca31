// What a file holds, stream by stream, for the playback decision: the video (codec, depth, HDR), every
// audio stream (language, codec, channels) and every embedded subtitle (text or image). Asked of ffprobe
// through the one guarded runner (S75) when playback starts, and kept in memory per file version.
import { stat } from 'node:fs/promises';
import { runFfprobe } from '../media/ffmpeg.ts';

export interface VideoStream {
  index: number;
  codec: string;
  width: number;
  height: number;
  pixFmt: string | null;
  /** 10 for yuv420p10le and the like. */
  bitDepth: number;
  /** PQ or HLG transfer: needs tone mapping to look right in SDR. */
  hdr: boolean;
  bitRate: number | null;
}

export interface AudioStream {
  /** The stream's position among the file's audio streams (0, 1, …): the `audioTrack` of a request. */
  track: number;
  index: number;
  codec: string;
  channels: number;
  language: string | null;
  title: string | null;
  default: boolean;
}

export interface EmbeddedSubtitle {
  /** The stream's position among the file's subtitle streams. */
  track: number;
  index: number;
  codec: string;
  language: string | null;
  title: string | null;
  forced: boolean;
  default: boolean;
  hearingImpaired: boolean;
  /** PGS, VobSub, DVB: pictures, so only burn-in shows them in a browser. */
  image: boolean;
}

export interface MediaStreams {
  formatName: string;
  durationSeconds: number;
  bitRate: number | null;
  video: VideoStream | null;
  audio: AudioStream[];
  subtitles: EmbeddedSubtitle[];
}

export const TEXT_SUBTITLE_CODECS = new Set(['subrip', 'srt', 'ass', 'ssa', 'mov_text', 'webvtt', 'text']);
export const IMAGE_SUBTITLE_CODECS = new Set(['hdmv_pgs_subtitle', 'dvd_subtitle', 'dvb_subtitle', 'xsub']);

interface ProbeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  bits_per_raw_sample?: string;
  color_transfer?: string;
  channels?: number;
  bit_rate?: string;
  tags?: Record<string, string>;
  disposition?: Record<string, number>;
}

function num(value: unknown): number | null {
  const n = typeof value === 'string' ? Number.parseFloat(value) : typeof value === 'number' ? value : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

function tag(stream: ProbeStream, name: string): string | null {
  const tags = stream.tags ?? {};
  const value = tags[name] ?? tags[name.toUpperCase()];
  if (value === undefined) return null;
  const clean = value
    .replace(/[\u0000-\u001f]/g, ' ')
    .trim()
    .slice(0, 100);
  return clean === '' || clean === 'und' ? null : clean;
}

function depthOf(pixFmt: string | null, raw: string | undefined): number {
  const m = pixFmt ? /p(9|10|12|14|16)(le|be)?$/.exec(pixFmt) : null;
  if (m) return Number(m[1]);
  return num(raw) ?? 8;
}

export function parseStreams(json: string): MediaStreams {
  const out = JSON.parse(json) as {
    format?: { format_name?: string; duration?: string; bit_rate?: string };
    streams?: ProbeStream[];
  };
  const streams = out.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const video: VideoStream | null = v
    ? {
        index: v.index ?? 0,
        codec: v.codec_name ?? 'unknown',
        width: v.width ?? 0,
        height: v.height ?? 0,
        pixFmt: v.pix_fmt ?? null,
        bitDepth: depthOf(v.pix_fmt ?? null, v.bits_per_raw_sample),
        hdr: v.color_transfer === 'smpte2084' || v.color_transfer === 'arib-std-b67',
        bitRate: num(v.bit_rate),
      }
    : null;
  const audio = streams
    .filter((s) => s.codec_type === 'audio')
    .map(
      (s, track): AudioStream => ({
        track,
        index: s.index ?? 0,
        codec: s.codec_name ?? 'unknown',
        channels: s.channels ?? 2,
        language: tag(s, 'language'),
        title: tag(s, 'title'),
        default: s.disposition?.default === 1,
      }),
    );
  const subtitles = streams
    .filter((s) => s.codec_type === 'subtitle')
    .map(
      (s, track): EmbeddedSubtitle => ({
        track,
        index: s.index ?? 0,
        codec: s.codec_name ?? 'unknown',
        language: tag(s, 'language'),
        title: tag(s, 'title'),
        forced: s.disposition?.forced === 1,
        default: s.disposition?.default === 1,
        hearingImpaired: s.disposition?.hearing_impaired === 1,
        image: IMAGE_SUBTITLE_CODECS.has(s.codec_name ?? ''),
      }),
    )
    .filter((s) => s.image || TEXT_SUBTITLE_CODECS.has(s.codec));
  return {
    formatName: out.format?.format_name ?? '',
    durationSeconds: num(out.format?.duration) ?? 0,
    bitRate: num(out.format?.bit_rate),
    video,
    audio,
    subtitles,
  };
}

const cache = new Map<string, MediaStreams>();
const CACHE_ENTRIES = 500;

/** The streams of the file at `path` (a path from the store), probed once per size and modification time. */
export async function probeStreams(path: string): Promise<MediaStreams> {
  const info = await stat(path);
  const key = `${path}\u0000${info.size}\u0000${info.mtimeMs}`;
  const known = cache.get(key);
  if (known) return known;
  const json = await runFfprobe(path, ['-print_format', 'json', '-show_format', '-show_streams'], 60_000);
  const streams = parseStreams(json);
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, streams);
  return streams;
}
