// stream with maxBitRate/format: MP3 or Opus made by ffmpeg (through the one place that starts it, S74/S75),
// each holding a slot of the playback encoder pool (src/playback/pool.ts) that every door shares.
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { inputArgs, spawnFfmpeg } from '../media/ffmpeg.ts';
import type { EncoderSlot } from '../playback/pool.ts';

export type TargetFormat = 'mp3' | 'opus';

export interface Transcode {
  contentType: string;
  body: Readable;
  stop(): void;
}

/** Starts an encoder in the slot given; the slot is released when it ends. `path`: the real path, checked inside the library. */
export function startTranscode(
  slot: EncoderSlot,
  path: string,
  format: TargetFormat,
  kbps: number,
  offsetSeconds: number,
): Transcode {
  const rate = Math.max(32, Math.min(320, Math.round(kbps)));
  const seek = offsetSeconds > 0 ? ['-ss', String(Math.floor(offsetSeconds))] : [];
  const codec =
    format === 'opus'
      ? ['-c:a', 'libopus', '-b:a', `${Math.min(rate, 256)}k`, '-f', 'ogg']
      : ['-c:a', 'libmp3lame', '-b:a', `${rate}k`, '-f', 'mp3'];
  const child: ChildProcess = spawnFfmpeg([
    '-v',
    'error',
    ...seek,
    ...inputArgs(path),
    '-map',
    '0:a:0',
    '-vn',
    '-map_metadata',
    '-1',
    ...codec,
    'pipe:1',
  ]);
  const end = () => slot.release();
  // The slot is free once the output has ended (the process may report its exit a moment later).
  child.once('exit', end);
  child.once('error', end);
  child.stdout?.once('end', end);
  child.stdout?.once('close', end);
  child.stderr?.resume();
  return {
    contentType: format === 'opus' ? 'audio/ogg' : 'audio/mpeg',
    body: child.stdout!,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
