// The one place Hearth starts ffmpeg or ffprobe. Every run reads only the one local file it was given (S75)
// and takes only arguments its callers built from validated enums and numbers, and paths from the store (S74).
import { execFile, spawn, type ChildProcess } from 'node:child_process';

/**
 * Demuxers of real media and subtitle files. Playlists (hls, concat), image sequences and network
 * formats are left out: a "video" that is really one of them is refused instead of followed.
 */
export const MEDIA_DEMUXERS = [
  'matroska',
  'webm',
  'mov',
  'mp4',
  'm4a',
  '3gp',
  '3g2',
  'mj2',
  'mpegts',
  'mpeg',
  'mpegvideo',
  'avi',
  'asf',
  'flv',
  'mp3',
  'flac',
  'ogg',
  'wav',
  'w64',
  'aac',
  'ac3',
  'eac3',
  'dts',
  'truehd',
  'mlp',
  'aiff',
  'ape',
  'wv',
  'tta',
  'dsf',
  'caf',
  'nut',
  'mxf',
  'rm',
  'm4v',
  'h264',
  'hevc',
  'vc1',
  'dv',
  'wtv',
  'srt',
  'ass',
  'webvtt',
  'sup',
  'vobsub',
  'microdvd',
  'subviewer',
  'mjpeg',
  'png_pipe',
  'jpeg_pipe',
  'webp_pipe',
  'opus',
].join(',');

/** Input options placed before every `-i`: plain local files only, real media demuxers only (S75). */
export const LOCAL_INPUT = ['-protocol_whitelist', 'file', '-format_whitelist', MEDIA_DEMUXERS] as const;

/** Arguments that read `path` as the only input; `--`-free because ffmpeg takes `-i` values verbatim. */
export function inputArgs(path: string): string[] {
  return [...LOCAL_INPUT, '-i', `file:${path}`];
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

/** Runs ffprobe on one local file with the local-only guard; returns its stdout. */
export function runFfprobe(path: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffprobe',
      ['-v', 'error', ...LOCAL_INPUT, ...args, `file:${path}`],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const reason = String(stderr).trim().split('\n').pop() || error.message;
          reject(new FfmpegError(reason.replaceAll(path, '<file>').slice(0, 300), String(stderr)));
          return;
        }
        resolve(String(stdout));
      },
    );
  });
}

/** Runs ffmpeg to completion (a thumbnail, a subtitle conversion); args must carry inputArgs(path). */
export function runFfmpeg(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'ffmpeg',
      ['-nostdin', '-hide_banner', '-v', 'error', ...args],
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' },
      (error, stdout, stderr) => {
        const text = stderr.toString('utf8');
        if (error) reject(new FfmpegError(text.trim().split('\n').pop() || error.message, text));
        else resolve({ stdout, stderr: text });
      },
    );
  });
}

/** Starts a long-running ffmpeg (an encoder) at low priority so the server stays responsive. */
export function spawnFfmpeg(args: string[], options: { nice?: number } = {}): ChildProcess {
  const nice = options.nice ?? 10;
  const child = spawn('nice', ['-n', String(nice), 'ffmpeg', '-nostdin', '-hide_banner', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return child;
}

let ffmpegAvailable: Promise<boolean> | null = null;

/** Whether `ffmpeg` runs on this machine; asked once per process. */
export function haveFfmpeg(): Promise<boolean> {
  ffmpegAvailable ??= new Promise((resolve) => {
    execFile('ffmpeg', ['-version'], { timeout: 10_000 }, (error) => resolve(error === null));
  });
  return ffmpegAvailable;
}

let filterList: Promise<Set<string>> | null = null;

/** The names of the filters this ffmpeg has (zscale and tonemap for HDR are optional builds). */
export function ffmpegFilters(): Promise<Set<string>> {
  filterList ??= new Promise((resolve) => {
    execFile(
      'ffmpeg',
      ['-hide_banner', '-filters'],
      { timeout: 10_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout) => {
        const names = new Set<string>();
        if (!error)
          for (const line of String(stdout).split('\n')) {
            const match = /^\s*[.A-Z|]{3}\s+(\S+)\s/.exec(line);
            if (match) names.add(match[1]!);
          }
        resolve(names);
      },
    );
  });
  return filterList;
}
