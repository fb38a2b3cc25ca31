import { describe, expect, it } from 'vitest';
import {
  browserPlayable,
  extensionOf,
  extensionsOf,
  mediaTypeForExtension,
  mediaTypeOf,
  type StreamFacts,
} from '../../src/media/media-types.ts';

describe('mediaTypeOf', () => {
  it.each<[string, string, string]>([
    ['movie.mp4', 'video', 'video/mp4'],
    ['movie.m4v', 'video', 'video/mp4'],
    ['movie.mkv', 'video', 'video/x-matroska'],
    ['movie.webm', 'video', 'video/webm'],
    ['movie.mov', 'video', 'video/quicktime'],
    ['movie.avi', 'video', 'video/x-msvideo'],
    ['movie.ts', 'video', 'video/mp2t'],
    ['movie.m2ts', 'video', 'video/mp2t'],
    ['movie.wmv', 'video', 'video/x-ms-wmv'],
    ['movie.flv', 'video', 'video/x-flv'],
    ['movie.mpg', 'video', 'video/mpeg'],
    ['song.mp3', 'audio', 'audio/mpeg'],
    ['song.flac', 'audio', 'audio/flac'],
    ['song.m4a', 'audio', 'audio/mp4'],
    ['song.aac', 'audio', 'audio/aac'],
    ['song.ogg', 'audio', 'audio/ogg'],
    ['song.opus', 'audio', 'audio/ogg'],
    ['song.wav', 'audio', 'audio/wav'],
    ['song.wma', 'audio', 'audio/x-ms-wma'],
    ['song.alac', 'audio', 'audio/mp4'],
    ['cover.jpg', 'image', 'image/jpeg'],
    ['cover.png', 'image', 'image/png'],
    ['cover.webp', 'image', 'image/webp'],
    ['movie.srt', 'subtitle', 'application/x-subrip'],
    ['movie.vtt', 'subtitle', 'text/vtt'],
    ['movie.ass', 'subtitle', 'text/x-ssa'],
  ])('%s is %s (%s)', (name, kind, mime) => {
    expect(mediaTypeOf(name)).toEqual({ kind, mime });
  });

  it('ignores case and folders, and refuses what it does not know', () => {
    expect(mediaTypeOf('Movies/The Matrix (1999)/THE MATRIX.MKV')?.kind).toBe('video');
    expect(mediaTypeOf('a.b/c.mkv.part')).toBeNull();
    expect(mediaTypeOf('notes.txt')).toBeNull();
    expect(mediaTypeOf('mkv')).toBeNull();
    expect(mediaTypeOf('.mkv')).toBeNull();
    expect(mediaTypeOf('folder.mkv/file')).toBeNull();
  });

  it('reads bare extensions with mediaTypeForExtension', () => {
    expect(mediaTypeForExtension('MKV')?.mime).toBe('video/x-matroska');
    expect(mediaTypeForExtension('.flac')?.kind).toBe('audio');
    expect(mediaTypeForExtension('exe')).toBeNull();
  });

  it('lists extensions by kind', () => {
    expect(extensionsOf('subtitle').sort()).toEqual(['ass', 'srt', 'ssa', 'vtt']);
    expect(extensionsOf('video')).toContain('mkv');
    expect(extensionsOf('video')).not.toContain('mp3');
    expect(extensionOf('a/b.c/d')).toBe('');
    expect(extensionOf('x.Tar.GZ')).toBe('gz');
  });
});

describe('browserPlayable', () => {
  it.each<[string, StreamFacts, boolean]>([
    // ffprobe names
    [
      'mp4 h264 yuv420p aac',
      { container: 'mov,mp4,m4a,3gp,3g2,mj2', videoCodec: 'h264', audioCodec: 'aac', pixFmt: 'yuv420p' },
      true,
    ],
    [
      'mp4 h264 yuvj420p, no audio',
      { container: 'mov,mp4,m4a,3gp,3g2,mj2', videoCodec: 'h264', pixFmt: 'yuvj420p' },
      true,
    ],
    [
      'mp4 h264 10-bit',
      { container: 'mov,mp4,m4a,3gp,3g2,mj2', videoCodec: 'h264', audioCodec: 'aac', pixFmt: 'yuv420p10le' },
      false,
    ],
    ['mp4 h264 4:4:4', { container: 'mp4', videoCodec: 'h264', audioCodec: 'aac', pixFmt: 'yuv444p' }, false],
    ['mp4 h264 without a known pixel format', { container: 'mp4', videoCodec: 'h264', audioCodec: 'aac' }, false],
    [
      'mp4 hevc',
      { container: 'mov,mp4,m4a,3gp,3g2,mj2', videoCodec: 'hevc', audioCodec: 'aac', pixFmt: 'yuv420p' },
      false,
    ],
    ['mp4 h264 with AC-3', { container: 'mp4', videoCodec: 'h264', audioCodec: 'ac3', pixFmt: 'yuv420p' }, false],
    ['mkv h264 aac', { container: 'matroska', videoCodec: 'h264', audioCodec: 'aac', pixFmt: 'yuv420p' }, false],
    ['mkv hevc', { container: 'matroska,webm', videoCodec: 'hevc', audioCodec: 'eac3', pixFmt: 'yuv420p10le' }, false],
    ['webm vp9 opus', { container: 'matroska,webm', videoCodec: 'vp9', audioCodec: 'opus', pixFmt: 'yuv420p' }, true],
    ['webm vp8 vorbis', { container: 'webm', videoCodec: 'vp8', audioCodec: 'vorbis', pixFmt: 'yuv420p' }, true],
    ['webm h264', { container: 'webm', videoCodec: 'h264', audioCodec: 'opus', pixFmt: 'yuv420p' }, false],
    ['webm av1', { container: 'matroska,webm', videoCodec: 'av1', audioCodec: 'opus', pixFmt: 'yuv420p' }, false],
    ['avi xvid', { container: 'avi', videoCodec: 'mpeg4', audioCodec: 'mp3', pixFmt: 'yuv420p' }, false],
    ['mpeg-ts h264', { container: 'mpegts', videoCodec: 'h264', audioCodec: 'aac', pixFmt: 'yuv420p' }, false],
    ['mp3', { container: 'mp3', audioCodec: 'mp3' }, true],
    ['flac', { container: 'flac', audioCodec: 'flac' }, true],
    ['m4a aac', { container: 'mov,mp4,m4a,3gp,3g2,mj2', audioCodec: 'aac' }, true],
    ['m4a alac', { container: 'mov,mp4,m4a,3gp,3g2,mj2', audioCodec: 'alac' }, false],
    ['ogg vorbis', { container: 'ogg', audioCodec: 'vorbis' }, true],
    ['ogg opus', { container: 'ogg', audioCodec: 'opus' }, true],
    ['adts aac', { container: 'aac', audioCodec: 'aac' }, true],
    ['wav pcm 16-bit', { container: 'wav', audioCodec: 'pcm_s16le' }, true],
    ['wav mu-law', { container: 'wav', audioCodec: 'pcm_mulaw' }, false],
    ['wma', { container: 'asf', audioCodec: 'wmav2' }, false],
    // music-metadata names
    ['music-metadata MP3', { container: 'MPEG', audioCodec: 'MPEG 1 Layer 3' }, true],
    ['music-metadata M4A', { container: 'M4A/isom/iso2', audioCodec: 'MPEG-4/AAC' }, true],
    ['music-metadata FLAC', { container: 'FLAC', audioCodec: 'FLAC' }, true],
    ['music-metadata Ogg Vorbis', { container: 'Ogg', audioCodec: 'Vorbis I' }, true],
    ['music-metadata WAVE', { container: 'WAVE', audioCodec: 'PCM' }, true],
    ['music-metadata WebM Opus', { container: 'EBML/webm', audioCodec: 'OPUS' }, true],
    ['music-metadata Matroska audio', { container: 'EBML/matroska', audioCodec: 'AAC' }, false],
    // nothing known
    ['no container', { container: null, audioCodec: 'aac' }, false],
    ['no streams', { container: 'mp4' }, false],
    ['unknown container', { container: 'rm', audioCodec: 'aac' }, false],
  ])('%s: %s', (_name, facts, expected) => {
    expect(browserPlayable(facts)).toBe(expected);
  });
});
