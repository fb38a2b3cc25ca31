// Covers embedded in audio files, read through a handle the caller opened (S71): each container ffmpeg
// writes, with the index before or after the audio.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEmbeddedCover } from '../../src/media/probe.ts';
import { haveFfmpeg, put, tempDir } from './media-helpers.ts';

const ffmpeg = haveFfmpeg();

describe.skipIf(!ffmpeg)('readEmbeddedCover', () => {
  let dir: string;
  let cover: Buffer;
  const make = (name: string, args: string[]) => {
    const path = join(dir, name);
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=20',
      '-i',
      join(dir, 'cover.png'),
      '-map',
      '0:a',
      '-map',
      '1:v',
      '-c:v',
      'copy',
      '-disposition:v',
      'attached_pic',
      ...args,
      path,
    ]);
    return path;
  };
  const coverOf = async (path: string) => {
    const handle = await open(path, 'r');
    try {
      return await readEmbeddedCover(handle, path);
    } finally {
      await handle.close();
    }
  };

  beforeAll(() => {
    dir = tempDir('hearth-covers-');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=c=green:size=40x40',
      '-frames:v',
      '1',
      join(dir, 'cover.png'),
    ]);
    cover = readFileSync(join(dir, 'cover.png'));
  }, 60_000);

  it.each([
    ['MP3 (ID3v2)', 'a.mp3', ['-c:a', 'libmp3lame', '-id3v2_version', '3', '-metadata:s:v', 'comment=Cover (front)']],
    ['FLAC', 'a.flac', ['-c:a', 'flac']],
    ['M4A, index after the audio', 'a.m4a', ['-c:a', 'aac']],
    ['M4A, index first', 'b.m4a', ['-c:a', 'aac', '-movflags', '+faststart']],
  ])(
    '%s: the cover, byte for byte',
    async (_label, name, args) => {
      const found = await coverOf(make(name, args));
      expect(found?.mime).toBe('image/png');
      expect(Buffer.from(found!.data).equals(cover)).toBe(true);
    },
    30_000,
  );

  it('null for a file without a cover, and for one that is no audio at all', async () => {
    const plain = join(dir, 'plain.mp3');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'sine=duration=1',
      '-c:a',
      'libmp3lame',
      plain,
    ]);
    expect(await coverOf(plain)).toBeNull();
    expect(await coverOf(put(join(dir, 'junk.mp3'), 'not audio'))).toBeNull();
  });
});
