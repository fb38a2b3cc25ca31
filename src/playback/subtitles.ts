// Subtitles for a browser: sidecar files beside the video (`Film.en.srt`, `Film.fr.forced.srt`,
// `Film.eng.sdh.srt`) and embedded text tracks, all served as UTF-8 WebVTT converted here. Sidecar bytes
// are decoded by what they are (UTF-8 with or without BOM, UTF-16 either way, else Windows-1252), SubRip
// and ASS/SSA are rewritten to WebVTT (ASS styling reduced to text); embedded tracks go through ffmpeg.
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { inputArgs, runFfmpeg } from '../media/ffmpeg.ts';
import { openInside } from '../media/walk.ts';

export type SidecarFormat = 'srt' | 'vtt' | 'ass' | 'ssa';
const SIDECAR_FORMATS = new Set<string>(['srt', 'vtt', 'ass', 'ssa']);
const MAX_SUBTITLE_BYTES = 20 * 1024 * 1024;

export interface SidecarSubtitle {
  /** Position in the sorted list of the video's sidecars: its id is `x<n>`. */
  n: number;
  path: string;
  format: SidecarFormat;
  language: string | null;
  forced: boolean;
  hearingImpaired: boolean;
  default: boolean;
}

const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,4})?$/i;

/** The markers in `Film.fr.forced.srt` for the video `Film.mkv`, or null when the name is not its sidecar. */
export function parseSidecarName(videoFile: string, name: string): Omit<SidecarSubtitle, 'n' | 'path'> | null {
  const ext = extname(name).slice(1).toLowerCase();
  if (!SIDECAR_FORMATS.has(ext)) return null;
  const stem = basename(videoFile, extname(videoFile));
  const base = name.slice(0, name.length - ext.length - 1);
  if (base !== stem && !base.startsWith(`${stem}.`)) return null;
  const markers = base === stem ? [] : base.slice(stem.length + 1).split('.');
  const result = {
    format: ext as SidecarFormat,
    language: null as string | null,
    forced: false,
    hearingImpaired: false,
    default: false,
  };
  for (const raw of markers) {
    const marker = raw.toLowerCase();
    if (marker === 'forced' || marker === 'foreign') result.forced = true;
    else if (marker === 'sdh' || marker === 'cc' || marker === 'hi') result.hearingImpaired = true;
    else if (marker === 'default') result.default = true;
    else if (result.language === null && LANGUAGE.test(marker)) result.language = marker;
  }
  return result;
}

/** The sidecar subtitles beside the video at `path`, in name order. */
export async function findSidecars(path: string): Promise<SidecarSubtitle[]> {
  const dir = dirname(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: SidecarSubtitle[] = [];
  for (const name of names.sort()) {
    const parsed = parseSidecarName(path, name);
    if (parsed) found.push({ ...parsed, n: found.length, path: join(dir, name) });
  }
  return found;
}

/** Text of subtitle bytes whatever they were written in: BOMs, UTF-16 without one, UTF-8, else Windows-1252. */
export function decodeSubtitleBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  // UTF-16 without a BOM: text in Latin script has a zero in every other byte.
  const sample = bytes.subarray(0, 4096);
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) i % 2 === 0 ? evenZeros++ : oddZeros++;
  const half = sample.length / 2;
  if (half > 8 && oddZeros > half * 0.3 && evenZeros < half * 0.05) return new TextDecoder('utf-16le').decode(bytes);
  if (half > 8 && evenZeros > half * 0.3 && oddZeros < half * 0.05) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

// 0x80–0x9F of Windows-1252 (the rest is Latin-1). Spelled out: Node's decoder without full ICU reads
// the label as Latin-1 and turns the curly quotes into control characters.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

/** Windows-1252 (and so Latin-1) bytes to text. */
export function decodeWindows1252(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = bytes.subarray(i, i + 8192);
    text += String.fromCharCode(
      ...Array.from(chunk, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH.charCodeAt(b - 0x80) : b)),
    );
  }
  return text;
}

const SRT_TIME = /(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})/g;

function pad3(ms: string): string {
  return ms.padEnd(3, '0');
}

/** SubRip to WebVTT: the same cues, `.` in times, SubRip's position tags dropped. */
export function srtToVtt(text: string): string {
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  const out: string[] = ['WEBVTT', ''];
  for (const line of lines) {
    if (line.includes('-->')) {
      out.push(
        line.replace(
          SRT_TIME,
          (_m, h: string, m: string, s: string, ms: string) => `${h.padStart(2, '0')}:${m}:${s}.${pad3(ms)}`,
        ),
      );
    } else {
      out.push(line.replace(/\{\\[^}]*\}/g, ''));
    }
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

function assTime(t: string): string | null {
  const m = /^(\d+):(\d{2}):(\d{2})[.,](\d{1,3})$/.exec(t.trim());
  if (!m) return null;
  const ms = m[4]!.length === 2 ? `${m[4]}0` : pad3(m[4]!);
  return `${m[1]!.padStart(2, '0')}:${m[2]}:${m[3]}.${ms}`;
}

function escapeCueText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** ASS/SSA to WebVTT: each Dialogue line a cue, override tags removed, `\N` a line break. */
export function assToVtt(text: string): string {
  const lines = text
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n')
    .split('\n');
  let format: string[] = ['layer', 'start', 'end', 'style', 'name', 'marginl', 'marginr', 'marginv', 'effect', 'text'];
  let inEvents = false;
  const cues: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (/^\[.*\]$/.test(trimmed)) {
      inEvents = trimmed.toLowerCase() === '[events]';
      continue;
    }
    if (!inEvents) continue;
    if (/^format\s*:/i.test(trimmed)) {
      format = trimmed
        .replace(/^format\s*:/i, '')
        .split(',')
        .map((f) => f.trim().toLowerCase());
      continue;
    }
    if (!/^dialogue\s*:/i.test(trimmed)) continue;
    const fields = trimmed.replace(/^dialogue\s*:/i, '').split(',');
    const textAt = format.indexOf('text');
    if (textAt < 0 || fields.length < format.length) continue;
    const value = (name: string) => fields[format.indexOf(name)] ?? '';
    const start = assTime(value('start'));
    const end = assTime(value('end'));
    if (!start || !end) continue;
    const body = fields
      .slice(textAt)
      .join(',')
      .replace(/\{[^}]*\}/g, '')
      .replace(/\\[Nn]/g, '\n')
      .replace(/\\h/g, ' ')
      .trim();
    if (body === '') continue;
    cues.push(`${start} --> ${end}\n${escapeCueText(body)}`);
  }
  return `WEBVTT\n\n${cues.join('\n\n')}\n`;
}

/** A WebVTT file as given, decoded, with its header made sure of. */
export function normaliseVtt(text: string): string {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  return clean.startsWith('WEBVTT') ? clean : `WEBVTT\n\n${clean}`;
}

/** A sidecar subtitle as WebVTT, or null when it is no longer inside the library (S71). */
export async function sidecarAsVtt(
  sidecar: Pick<SidecarSubtitle, 'path' | 'format'>,
  roots: string[],
): Promise<string | null> {
  const handle = await openInside(sidecar.path, roots);
  if (handle === null) return null;
  let bytes: Buffer;
  try {
    const { size } = await handle.stat();
    if (size > MAX_SUBTITLE_BYTES) return null;
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  const text = decodeSubtitleBytes(bytes);
  if (sidecar.format === 'srt') return srtToVtt(text);
  if (sidecar.format === 'vtt') return normaliseVtt(text);
  return assToVtt(text);
}

/** An embedded text track (stream index `index`, a number from the probe) as WebVTT, by ffmpeg. */
export async function embeddedAsVtt(path: string, index: number): Promise<string> {
  if (!Number.isInteger(index) || index < 0 || index > 10_000) throw new RangeError('stream index');
  const { stdout } = await runFfmpeg(
    [...inputArgs(path), '-map', `0:${index}`, '-c:s', 'webvtt', '-f', 'webvtt', 'pipe:1'],
    120_000,
  );
  return normaliseVtt(stdout.toString('utf8'));
}
