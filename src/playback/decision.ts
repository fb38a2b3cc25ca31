// The playback decision: direct play when the file plays as it is, remux when only the container or
// the audio is the problem (video copied), transcode otherwise (H.264 8-bit 4:2:0, x264 veryfast, capped
// by the client's height and bit rate). `reason` says in words why. Shared by every door: the web
// player's route, the Jellyfin door's PlaybackInfo, anything else that plays video.
import { AppError } from '../errors.ts';
import { ffmpegFilters } from '../media/ffmpeg.ts';
import type { EncodeSpec } from './hls.ts';
import type { AudioStream, MediaStreams } from './streams.ts';
import type { SidecarSubtitle } from './subtitles.ts';

export interface ClientCapabilities {
  /** Video codecs the client plays: h264, hevc, vp9, av1, vp8 … */
  video: string[];
  /** Audio codecs: aac, mp3, opus, flac, vorbis, ac3, eac3 … */
  audio: string[];
  /** Containers it plays directly: mp4, webm, mkv, ts … */
  containers: string[];
  maxHeight?: number;
  /** bit/s */
  maxBitrate?: number;
  /** Position among the file's audio streams. */
  audioTrack?: number;
  /** A subtitle id (`e<n>` embedded, `x<n>` sidecar) or null for none. */
  subtitle?: string | null;
  /** Burn the chosen subtitle into the picture (forced for image subtitles). */
  burnIn?: boolean;
  startSeconds?: number;
}

export interface SubtitleChoice {
  id: string;
  language: string | null;
  label: string;
  forced: boolean;
  default: boolean;
  hearing_impaired: boolean;
  codec: string;
  /** Text tracks are served as WebVTT; image tracks only burn in. */
  kind: 'text' | 'image';
  external: boolean;
}

export interface AudioChoice {
  track: number;
  language: string | null;
  codec: string;
  channels: number;
  label: string;
  default: boolean;
}

export interface Decision {
  method: 'direct' | 'remux' | 'transcode';
  reason: string;
  audioTrack: number | null;
  audio: AudioChoice[];
  subtitles: SubtitleChoice[];
  /** For remux and transcode: how the encoder runs. */
  spec: EncodeSpec | null;
}

const CODEC_NAMES: Record<string, string> = {
  h264: 'H.264',
  hevc: 'HEVC (H.265)',
  mpeg2video: 'MPEG-2',
  mpeg4: 'MPEG-4 Part 2',
  vc1: 'VC-1',
  vp9: 'VP9',
  vp8: 'VP8',
  av1: 'AV1',
  wmv3: 'WMV 9',
  aac: 'AAC',
  ac3: 'Dolby Digital (AC-3)',
  eac3: 'Dolby Digital Plus (E-AC-3)',
  dts: 'DTS',
  truehd: 'Dolby TrueHD',
  mp2: 'MP2',
  mp3: 'MP3',
  opus: 'Opus',
  vorbis: 'Vorbis',
  flac: 'FLAC',
};
const nameOf = (codec: string) => CODEC_NAMES[codec] ?? codec.toUpperCase();

const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English',
  eng: 'English',
  fr: 'French',
  fre: 'French',
  fra: 'French',
  de: 'German',
  ger: 'German',
  deu: 'German',
  es: 'Spanish',
  spa: 'Spanish',
  it: 'Italian',
  ita: 'Italian',
  ja: 'Japanese',
  jpn: 'Japanese',
  nl: 'Dutch',
  nld: 'Dutch',
  dut: 'Dutch',
  pt: 'Portuguese',
  por: 'Portuguese',
  ru: 'Russian',
  rus: 'Russian',
  zh: 'Chinese',
  chi: 'Chinese',
  zho: 'Chinese',
  sv: 'Swedish',
  swe: 'Swedish',
  da: 'Danish',
  dan: 'Danish',
  no: 'Norwegian',
  nor: 'Norwegian',
  fi: 'Finnish',
  fin: 'Finnish',
  pl: 'Polish',
  pol: 'Polish',
  ko: 'Korean',
  kor: 'Korean',
};

/** `fr`, `fre` and `fra` are one language: the two-letter form when known. */
export function languageKey(language: string | null): string | null {
  if (language === null) return null;
  const lower = language.toLowerCase().split('-')[0]!;
  const name = LANGUAGE_NAMES[lower];
  if (!name) return lower;
  return Object.entries(LANGUAGE_NAMES).find(([code, n]) => n === name && code.length === 2)?.[0] ?? lower;
}

function languageName(language: string | null): string {
  if (language === null) return 'Unknown language';
  return LANGUAGE_NAMES[language.toLowerCase().split('-')[0]!] ?? language;
}

function channelWords(channels: number): string {
  return channels === 1
    ? 'mono'
    : channels === 2
      ? 'stereo'
      : channels === 6
        ? '5.1'
        : channels === 8
          ? '7.1'
          : `${channels} channels`;
}

/** The container as clients name it. */
export function containerOf(formatName: string, videoCodec: string | null): string {
  const f = formatName.split(',');
  if (f.includes('matroska') || f.includes('webm')) {
    return videoCodec === null || ['vp8', 'vp9', 'av1'].includes(videoCodec) ? 'webm' : 'mkv';
  }
  if (f.includes('mov') || f.includes('mp4')) return 'mp4';
  if (f.includes('mpegts')) return 'ts';
  return f[0] ?? '';
}

export function audioChoices(streams: MediaStreams): AudioChoice[] {
  return streams.audio.map((a) => ({
    track: a.track,
    language: a.language,
    codec: a.codec,
    channels: a.channels,
    label: [a.title ?? languageName(a.language), `${nameOf(a.codec)} ${channelWords(a.channels)}`].join(' · '),
    default: a.default,
  }));
}

export function subtitleChoices(streams: MediaStreams, sidecars: SidecarSubtitle[]): SubtitleChoice[] {
  const embedded = streams.subtitles.map(
    (s): SubtitleChoice => ({
      id: `e${s.track}`,
      language: s.language,
      label: [
        s.title ?? languageName(s.language),
        s.forced ? 'forced' : null,
        s.hearingImpaired ? 'SDH' : null,
        s.image ? 'burn-in' : null,
      ]
        .filter(Boolean)
        .join(' · '),
      forced: s.forced,
      default: s.default,
      hearing_impaired: s.hearingImpaired,
      codec: s.codec,
      kind: s.image ? 'image' : 'text',
      external: false,
    }),
  );
  const external = sidecars.map(
    (s): SubtitleChoice => ({
      id: `x${s.n}`,
      language: s.language,
      label: [
        languageName(s.language),
        s.forced ? 'forced' : null,
        s.hearingImpaired ? 'SDH' : null,
        s.format.toUpperCase(),
      ]
        .filter(Boolean)
        .join(' · '),
      forced: s.forced,
      default: s.default,
      hearing_impaired: s.hearingImpaired,
      codec: s.format,
      kind: 'text',
      external: true,
    }),
  );
  return [...embedded, ...external];
}

function pickAudio(streams: MediaStreams, wanted: number | undefined): AudioStream | null {
  if (streams.audio.length === 0) return null;
  if (wanted !== undefined) {
    const chosen = streams.audio[wanted];
    if (!chosen) throw new AppError('invalid_body', 'There is no audio track with that number.');
    return chosen;
  }
  return streams.audio.find((a) => a.default) ?? streams.audio[0]!;
}

const lower = (list: string[]) => new Set(list.map((v) => v.toLowerCase()));

/**
 * What to do with a file for a client. `streams` and `sidecars` describe the file (probeStreams,
 * findSidecars); nothing of the request reaches the encoder but the enums and numbers in `spec`.
 */
export async function decide(
  streams: MediaStreams,
  sidecars: SidecarSubtitle[],
  caps: ClientCapabilities,
): Promise<Decision> {
  const video = streams.video;
  const audio = pickAudio(streams, caps.audioTrack);
  const audioList = audioChoices(streams);
  const subtitles = subtitleChoices(streams, sidecars);
  const videoCodecs = lower(caps.video);
  const audioCodecs = lower(caps.audio);
  const containers = lower(caps.containers);
  const base = { audioTrack: audio?.track ?? null, audio: audioList, subtitles };

  let burn: number | null = null;
  if (caps.subtitle !== undefined && caps.subtitle !== null) {
    const choice = subtitles.find((s) => s.id === caps.subtitle);
    if (!choice) throw new AppError('invalid_body', 'There is no subtitle with that id.');
    if (choice.kind === 'image' || caps.burnIn === true) {
      if (choice.external || choice.kind !== 'image') {
        if (caps.burnIn === true)
          throw new AppError(
            'invalid_body',
            'Only picture subtitles (PGS, VobSub, DVB) are burned in; text subtitles are shown by the player.',
          );
      } else {
        burn = streams.subtitles[Number(choice.id.slice(1))]!.index;
      }
    }
  }

  if (video === null) {
    if (audio === null) throw new AppError('not_found');
    throw new AppError('invalid_body', 'This item has no picture: play it through its stream URL.');
  }

  const container = containerOf(streams.formatName, video.codec);
  const problems: string[] = [];
  const videoProblems: string[] = [];
  if (!videoCodecs.has(video.codec)) videoProblems.push(`this browser cannot play ${nameOf(video.codec)} video`);
  else if (video.codec === 'h264' && video.bitDepth > 8)
    videoProblems.push(`browsers cannot play ${video.bitDepth}-bit H.264`);
  if (caps.maxHeight !== undefined && video.height > caps.maxHeight)
    videoProblems.push(`the picture (${video.height} lines) is above the chosen ${caps.maxHeight}p`);
  const sourceRate = video.bitRate ?? streams.bitRate;
  if (caps.maxBitrate !== undefined && sourceRate !== null && sourceRate > caps.maxBitrate) {
    videoProblems.push(
      `its bit rate (${(sourceRate / 1e6).toFixed(1)} Mbit/s) is above the chosen ${(caps.maxBitrate / 1e6).toFixed(1)} Mbit/s`,
    );
  }
  if (burn !== null) videoProblems.push('picture subtitles are burned into the video');

  const audioPlays = audio === null || audioCodecs.has(audio.codec);
  const firstAudio = audio === null || audio.track === (streams.audio[0]?.track ?? 0);
  if (!audioPlays && audio) problems.push(`this browser cannot play ${nameOf(audio.codec)} audio`);
  if (!containers.has(container))
    problems.push(`this browser does not open ${container.toUpperCase() || 'this'} files`);
  if (!firstAudio) problems.push('a browser plays only the first audio track of a file');

  if (videoProblems.length === 0 && problems.length === 0) {
    return { ...base, method: 'direct', reason: 'The file plays as it is.', spec: null };
  }
  const audioCopy =
    audio !== null && audioPlays && (audio.codec === 'aac' || audio.codec === 'mp3') && audio.channels <= 2;
  const audioWords =
    audio === null
      ? ''
      : audioCopy
        ? ' The audio is copied.'
        : ` The audio (${nameOf(audio.codec)} ${channelWords(audio.channels)}) is converted to AAC stereo.`;
  // Video copied into MPEG-TS segments: H.264 and HEVC travel in TS; others need a transcode.
  if (videoProblems.length === 0 && (video.codec === 'h264' || video.codec === 'hevc')) {
    return {
      ...base,
      method: 'remux',
      reason: `Repackaged without converting the picture: ${problems.join('; ')}.${audioWords}`,
      spec: {
        mode: 'remux',
        videoIndex: video.index,
        audioIndex: audio?.index ?? null,
        audioCopy,
        height: null,
        videoKbps: null,
        toneMap: false,
        burnSubtitleIndex: null,
      },
    };
  }
  const height = Math.min(video.height, caps.maxHeight ?? video.height);
  const evenHeight = Math.max(16, height - (height % 2));
  const videoKbps =
    caps.maxBitrate !== undefined ? Math.max(200, Math.floor(caps.maxBitrate / 1000) - (audio ? 192 : 0)) : null;
  const filters = await ffmpegFilters();
  const toneMap = video.hdr && filters.has('zscale') && filters.has('tonemap');
  const notes: string[] = [];
  if (video.hdr)
    notes.push(
      toneMap
        ? 'HDR is tone-mapped to SDR.'
        : 'HDR is converted to 8-bit SDR colours (no tone mapping in this ffmpeg).',
    );
  else if (video.bitDepth > 8) notes.push(`${video.bitDepth}-bit colour is converted to 8-bit.`);
  const reasons =
    videoProblems.length > 0
      ? videoProblems
      : [`this browser cannot play ${nameOf(video.codec)} video from a stream of segments`];
  return {
    ...base,
    method: 'transcode',
    reason: [`Converted to H.264: ${[...reasons, ...problems].join('; ')}.`, ...notes].join(' ') + audioWords,
    spec: {
      mode: 'transcode',
      videoIndex: video.index,
      audioIndex: audio?.index ?? null,
      audioCopy,
      height: evenHeight === video.height ? null : evenHeight,
      videoKbps,
      toneMap,
      burnSubtitleIndex: burn,
    },
  };
}
