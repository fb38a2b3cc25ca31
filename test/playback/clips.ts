// Clips for the playback tests, made with real ffmpeg: what households' collections hold (HEVC + AC-3
// in Matroska, MPEG-2 + MP2 in MPEG-TS, H.264 + DTS with two audio languages and an embedded SubRip
// track, a sidecar French SubRip in Windows-1252).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'pipe' });
}

const picture = (seconds: number, size: string) => [
  '-f',
  'lavfi',
  '-i',
  `testsrc2=duration=${seconds}:size=${size}:rate=12`,
];
const tone = (seconds: number, hz: number, layout = 'stereo') => [
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=${hz}:duration=${seconds}:sample_rate=48000,aformat=channel_layouts=${layout}`,
];

export const ENGLISH_CUE = 'Where is the station?';
export const FRENCH_CUE = 'Où est la gare ? Déjà l’été, garçon à côté.';

/** HEVC (yuv420p) + AC-3 5.1 in Matroska. */
export function makeHevcAc3(path: string, seconds = 40): string {
  mkdirSync(dirname(path), { recursive: true });
  ffmpeg([
    ...picture(seconds, '320x240'),
    ...tone(seconds, 440, '5.1'),
    '-c:v',
    'libx265',
    '-preset',
    'ultrafast',
    '-x265-params',
    'log-level=error',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'ac3',
    '-shortest',
    path,
  ]);
  return path;
}

/** MPEG-2 video + MP2 audio in MPEG-TS. */
export function makeMpeg2Mp2(path: string, seconds = 8): string {
  mkdirSync(dirname(path), { recursive: true });
  ffmpeg([
    ...picture(seconds, '320x240'),
    ...tone(seconds, 550),
    '-c:v',
    'mpeg2video',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'mp2',
    '-shortest',
    '-f',
    'mpegts',
    path,
  ]);
  return path;
}

/** H.264 + two DTS tracks (English 440 Hz, French 880 Hz) + an embedded English SubRip track, in Matroska. */
export function makeH264Dts(path: string, seconds = 12): string {
  mkdirSync(dirname(path), { recursive: true });
  const srt = `${path}.en.tmp.srt`;
  writeFileSync(srt, `1\r\n00:00:00,500 --> 00:00:05,000\r\n${ENGLISH_CUE}\r\n\r\n`);
  ffmpeg([
    ...picture(seconds, '320x240'),
    ...tone(seconds, 440),
    ...tone(seconds, 880),
    '-i',
    srt,
    '-map',
    '0:v',
    '-map',
    '1:a',
    '-map',
    '2:a',
    '-map',
    '3:s',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '24',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'dca',
    '-strict',
    '-2',
    '-c:s',
    'srt',
    '-metadata:s:a:0',
    'language=eng',
    '-metadata:s:a:1',
    'language=fre',
    '-metadata:s:s:0',
    'language=eng',
    '-shortest',
    path,
  ]);
  rmSync(srt);
  return path;
}

/** `Name.fr.srt` beside the video, in Windows-1252 (é is one byte, 0xE9). */
export function writeFrenchSidecar(path: string): string {
  const text = `1\r\n00:00:00,500 --> 00:00:09,000\r\n${FRENCH_CUE}\r\n\r\n`;
  // Windows-1252: Latin-1 plus the curly apostrophe at 0x92.
  const bytes = Buffer.from(text.replace('’', '\u0092'), 'latin1');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return path;
}

/** H.264 + AAC in MP4, the file every browser plays as it is. */
export function makeH264Aac(path: string, seconds = 4): string {
  mkdirSync(dirname(path), { recursive: true });
  ffmpeg([
    ...picture(seconds, '160x120'),
    ...tone(seconds, 330),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    '-movflags',
    '+faststart',
    path,
  ]);
  return path;
}

/** Whether this ffmpeg can write PGS subtitles (it usually cannot: there is no PGS encoder). */
export function pgsEncoder(): boolean {
  try {
    return execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' }).includes('pgssub');
  } catch {
    return false;
  }
}

export { join };
