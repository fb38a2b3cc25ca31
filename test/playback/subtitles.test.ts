// Subtitle names and bytes: sidecar markers, encoding detection, and the conversions to WebVTT.
import { describe, expect, it } from 'vitest';
import { assToVtt, decodeSubtitleBytes, parseSidecarName, srtToVtt } from '../../src/playback/subtitles.ts';
import { decide, languageKey } from '../../src/playback/decision.ts';
import { parseStreams } from '../../src/playback/streams.ts';
import { encoderArgs } from '../../src/playback/hls.ts';

const TEXT = 'Déjà l’été — «ça» €';

describe('sidecar subtitle names', () => {
  it('reads language, forced, SDH/CC and default markers', () => {
    expect(parseSidecarName('/m/Film (2020).mkv', 'Film (2020).en.srt')).toEqual({
      format: 'srt',
      language: 'en',
      forced: false,
      hearingImpaired: false,
      default: false,
    });
    expect(parseSidecarName('/m/Film.mkv', 'Film.fr.forced.srt')).toMatchObject({ language: 'fr', forced: true });
    expect(parseSidecarName('/m/Film.mkv', 'Film.eng.sdh.srt')).toMatchObject({
      language: 'eng',
      hearingImpaired: true,
    });
    expect(parseSidecarName('/m/Film.mkv', 'Film.de.cc.default.ass')).toMatchObject({
      format: 'ass',
      language: 'de',
      hearingImpaired: true,
      default: true,
    });
    expect(parseSidecarName('/m/Film.mkv', 'Film.vtt')).toMatchObject({ format: 'vtt', language: null });
    expect(parseSidecarName('/m/Film.mkv', 'Filmography.en.srt')).toBeNull();
    expect(parseSidecarName('/m/Film.mkv', 'Film.en.txt')).toBeNull();
  });
});

describe('subtitle encodings', () => {
  it('decodes UTF-8 with and without BOM, UTF-16 LE/BE with and without BOM, and Windows-1252', () => {
    const utf8 = Buffer.from(TEXT, 'utf8');
    expect(decodeSubtitleBytes(utf8)).toBe(TEXT);
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]))).toBe(TEXT);
    const le = Buffer.from(`1\n00:00:01,000 --> 00:00:02,000\n${TEXT}\n`, 'utf16le');
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), le]))).toContain(TEXT);
    expect(decodeSubtitleBytes(le)).toContain(TEXT);
    const be = Buffer.from(le).swap16();
    expect(decodeSubtitleBytes(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).toContain(TEXT);
    expect(decodeSubtitleBytes(be)).toContain(TEXT);
    // Windows-1252: é = E9, ’ = 92, — = 97, « = AB, € = 80.
    const cp1252 = Buffer.from([
      0x44, 0xe9, 0x6a, 0xe0, 0x20, 0x6c, 0x92, 0xe9, 0x74, 0xe9, 0x20, 0x97, 0x20, 0xab, 0xe7, 0x61, 0xbb, 0x20, 0x80,
    ]);
    expect(decodeSubtitleBytes(cp1252)).toBe(TEXT);
  });

  it('converts SubRip and ASS to WebVTT', () => {
    expect(srtToVtt('1\r\n00:00:01,5 --> 00:00:02,000\r\n{\\an8}<i>Hi</i>\r\n\r\n')).toBe(
      'WEBVTT\n\n1\n00:00:01.500 --> 00:00:02.000\n<i>Hi</i>\n',
    );
    const ass =
      '[Script Info]\nTitle: x\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,{\\i1}Hello,{\\b1} world\\Nnext <line>\n';
    expect(assToVtt(ass)).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello, world\nnext &lt;line&gt;\n');
  });
});

const probe = (streams: object[], format = 'matroska,webm') =>
  parseStreams(JSON.stringify({ format: { format_name: format, duration: '60' }, streams }));
const CHROMIUM = { video: ['h264', 'vp9'], audio: ['aac', 'opus'], containers: ['mp4', 'webm'] };

describe('the decision', () => {
  it('is direct, remux or transcode for the right reasons, in words', async () => {
    const mp4 = probe(
      [
        { index: 0, codec_type: 'video', codec_name: 'h264', pix_fmt: 'yuv420p', height: 720 },
        { index: 1, codec_type: 'audio', codec_name: 'aac', channels: 2 },
      ],
      'mov,mp4,m4a,3gp,3g2,mj2',
    );
    expect((await decide(mp4, [], CHROMIUM)).method).toBe('direct');
    const mkvAc3 = probe([
      { index: 0, codec_type: 'video', codec_name: 'h264', pix_fmt: 'yuv420p', height: 720 },
      { index: 1, codec_type: 'audio', codec_name: 'ac3', channels: 6 },
    ]);
    const remux = await decide(mkvAc3, [], CHROMIUM);
    expect(remux.method).toBe('remux');
    expect(remux.reason).toMatch(/AC-3.*AAC stereo/);
    const hi10 = probe(
      [{ index: 0, codec_type: 'video', codec_name: 'h264', pix_fmt: 'yuv420p10le', height: 1080 }],
      'mov,mp4',
    );
    const t = await decide(hi10, [], { ...CHROMIUM, maxHeight: 720 });
    expect(t.method).toBe('transcode');
    expect(t.reason).toMatch(/10-bit/);
    expect(t.spec?.height).toBe(720);
    const hdr = probe([
      {
        index: 0,
        codec_type: 'video',
        codec_name: 'hevc',
        pix_fmt: 'yuv420p10le',
        color_transfer: 'smpte2084',
        height: 2160,
      },
    ]);
    const h = await decide(hdr, [], CHROMIUM);
    expect(h.method).toBe('transcode');
    expect(h.reason).toMatch(/HDR/);
    // The second audio track cannot be chosen in a direct play: remux.
    const two = probe(
      [
        { index: 0, codec_type: 'video', codec_name: 'h264', pix_fmt: 'yuv420p' },
        { index: 1, codec_type: 'audio', codec_name: 'aac' },
        { index: 2, codec_type: 'audio', codec_name: 'aac' },
      ],
      'mov,mp4',
    );
    expect((await decide(two, [], { ...CHROMIUM, audioTrack: 1 })).spec).toMatchObject({
      mode: 'remux',
      audioIndex: 2,
      audioCopy: true,
    });
  });

  it('S74: the encoder arguments hold the store path after file:, numbers and fixed words; a bad number throws', () => {
    const args = encoderArgs(
      '/lib/a.mkv',
      {
        mode: 'transcode',
        videoIndex: 0,
        audioIndex: 1,
        audioCopy: false,
        height: 720,
        videoKbps: 3000,
        toneMap: true,
        burnSubtitleIndex: 3,
      },
      5,
      '/data/transcode/x',
    );
    expect(args).toContain('file:/lib/a.mkv');
    expect(args.slice(args.indexOf('-protocol_whitelist'), args.indexOf('-protocol_whitelist') + 2)).toEqual([
      '-protocol_whitelist',
      'file',
    ]);
    expect(args).toContain('-start_number');
    expect(() =>
      encoderArgs(
        '/lib/a.mkv',
        {
          mode: 'transcode',
          videoIndex: 0,
          audioIndex: 1,
          audioCopy: false,
          height: 720.5,
          videoKbps: null,
          toneMap: false,
          burnSubtitleIndex: null,
        },
        0,
        '/d',
      ),
    ).toThrow(RangeError);
    expect(() =>
      encoderArgs(
        '/lib/a.mkv',
        {
          mode: 'remux',
          videoIndex: Number.NaN,
          audioIndex: 1,
          audioCopy: false,
          height: null,
          videoKbps: null,
          toneMap: false,
          burnSubtitleIndex: null,
        },
        0,
        '/d',
      ),
    ).toThrow(RangeError);
  });

  it('knows fr, fre and fra as one language', () => {
    expect(languageKey('fre')).toBe('fr');
    expect(languageKey('fra')).toBe('fr');
    expect(languageKey('eng')).toBe('en');
  });
});
