// The web player's playback logic: what this browser plays (asked of MediaSource.isTypeSupported and
// canPlayType, not a table of browsers), the server's decision, hls.js (or Safari's own HLS, or the file
// itself) on the <video>, and switching quality, audio track and subtitle at the current time. Forced
// subtitles in the audio's language come on by themselves; a chosen subtitle is remembered per user and
// per show or film.
import Hls from 'hls.js';
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react';
import { errorText, request } from '../api.ts';
import { mediaApi, type MediaItem } from '../api/media.ts';
import type { AudioTrackView, PlaybackView, SubtitleTrackView } from '../../../src/wire/playback.ts';

export interface Capabilities {
  video: string[];
  audio: string[];
  containers: string[];
}

export type AudioTrack = AudioTrackView;
export type SubtitleTrack = SubtitleTrackView;
/** The server's decision (src/wire/playback.ts). */
export type PlaybackAnswer = PlaybackView;

export type Quality = 'original' | '1080' | '720' | '480';
export const QUALITIES: { value: Quality; label: string; bitrate?: number }[] = [
  { value: 'original', label: 'Original' },
  { value: '1080', label: '1080p', bitrate: 8_000_000 },
  { value: '720', label: '720p', bitrate: 4_000_000 },
  { value: '480', label: '480p', bitrate: 1_500_000 },
];

export interface PlaybackRequest {
  video: string[];
  audio: string[];
  containers: string[];
  maxHeight?: number;
  maxBitrate?: number;
  audioTrack?: number;
  subtitle?: string | null;
  burnIn?: boolean;
  startSeconds?: number;
}

const VIDEO_PROBES: [string, string[]][] = [
  ['h264', ['avc1.640028', 'avc1.4d401f', 'avc1.42E01E']],
  ['hevc', ['hvc1.1.6.L120.90', 'hev1.1.6.L120.90', 'hvc1.2.4.L153.B0']],
  ['vp9', ['vp09.00.10.08']],
  ['av1', ['av01.0.05M.08']],
  ['vp8', ['vp8']],
];
const AUDIO_PROBES: [string, string[]][] = [
  ['aac', ['audio/mp4; codecs="mp4a.40.2"']],
  ['mp3', ['audio/mpeg', 'audio/mp4; codecs="mp4a.69"']],
  ['opus', ['audio/webm; codecs="opus"', 'audio/mp4; codecs="opus"']],
  ['vorbis', ['audio/webm; codecs="vorbis"']],
  ['flac', ['audio/flac', 'audio/mp4; codecs="flac"']],
  ['ac3', ['audio/mp4; codecs="ac-3"']],
  ['eac3', ['audio/mp4; codecs="ec-3"']],
];

function supports(type: string, element: HTMLMediaElement | null): boolean {
  const mse = typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(type);
  const native = element !== null && element.canPlayType(type) !== '';
  return mse || native;
}

/** What this browser decodes, asked of the browser itself. */
export function clientCapabilities(
  element: HTMLMediaElement | null = typeof document === 'undefined' ? null : document.createElement('video'),
): Capabilities {
  const video = VIDEO_PROBES.filter(([, codecs]) =>
    codecs.some(
      (codec) =>
        supports(`video/mp4; codecs="${codec}"`, element) || supports(`video/webm; codecs="${codec}"`, element),
    ),
  ).map(([name]) => name);
  const audio = AUDIO_PROBES.filter(([, types]) => types.some((type) => supports(type, element))).map(([name]) => name);
  const containers: string[] = [];
  if (element?.canPlayType('video/mp4')) containers.push('mp4');
  if (element?.canPlayType('video/webm')) containers.push('webm');
  if (element?.canPlayType('video/x-matroska') || element?.canPlayType('video/mkv')) containers.push('mkv');
  if (element?.canPlayType('video/mp2t')) containers.push('ts');
  return { video, audio, containers };
}

/** Asks the server how to play the item here. */
export function askPlayback(itemId: string, body: PlaybackRequest): Promise<PlaybackAnswer> {
  return request<PlaybackAnswer>('POST', `/items/${encodeURIComponent(itemId)}/playback`, body);
}

/** A URL on this origin (the CSP's media-src 'self' holds even when the public URL names another host). */
export function sameOrigin(url: string): string {
  const parsed = new URL(url, location.origin);
  return `${parsed.pathname}${parsed.search}`;
}

/** Plays `answer` in `element`: the file, hls.js, or the browser's own HLS. Returns how to let go. */
export function attach(
  element: HTMLVideoElement,
  answer: PlaybackAnswer,
  onFatal: (message: string) => void,
): () => void {
  const url = sameOrigin(answer.url);
  if (answer.method === 'direct') {
    element.src = url;
    return () => element.removeAttribute('src');
  }
  if (Hls.isSupported()) {
    const hls = new Hls({ enableWorker: false, startPosition: answer.start_seconds, maxBufferLength: 30 });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      const status = (data.response as { code?: number } | undefined)?.code;
      if (status === 503) onFatal('Every encoder of the server is busy. Try again in a moment.');
      else if (status === 401) onFatal('Your session has ended: sign in again to go on watching.');
      else if (status === 502) onFatal('The server could not convert this file for playback.');
      else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
      else onFatal(`Playback stopped: ${data.details}.`);
    });
    hls.loadSource(url);
    hls.attachMedia(element);
    return () => hls.destroy();
  }
  if (element.canPlayType('application/vnd.apple.mpegurl') !== '') {
    element.src = url;
    return () => element.removeAttribute('src');
  }
  onFatal('This browser plays neither the file nor HLS.');
  return () => {};
}

/** Tells the server the player left, so its encoder stops at once instead of after a minute. */
function release(answer: PlaybackAnswer): void {
  if (answer.play_id === null) return;
  const url = new URL(answer.url, location.origin);
  const path = url.pathname.replace(/\/index\.m3u8$/, '');
  void fetch(`${path}${url.search}`, { method: 'DELETE', keepalive: true }).catch(() => undefined);
}

/** The language part of `fr`, `fre`, `fra`, `fr-CA`, as one key. */
export function languageKey(language: string | null): string | null {
  if (language === null) return null;
  const code = language.toLowerCase().split('-')[0]!;
  const three: Record<string, string> = {
    eng: 'en',
    fre: 'fr',
    fra: 'fr',
    ger: 'de',
    deu: 'de',
    spa: 'es',
    ita: 'it',
    jpn: 'ja',
    dut: 'nl',
    nld: 'nl',
    por: 'pt',
    rus: 'ru',
    chi: 'zh',
    zho: 'zh',
    swe: 'sv',
    dan: 'da',
    nor: 'no',
    fin: 'fi',
    pol: 'pl',
    kor: 'ko',
  };
  return three[code] ?? code;
}

type SubtitleMemory = { off: true } | { language: string | null; forced: boolean; hearing_impaired: boolean };

const memoryKey = (userId: string, scopeId: string) => `hearth.subtitle.${userId}.${scopeId}`;

export function rememberSubtitle(userId: string, scopeId: string, choice: SubtitleTrack | null): void {
  const value: SubtitleMemory =
    choice === null
      ? { off: true }
      : { language: choice.language, forced: choice.forced, hearing_impaired: choice.hearing_impaired };
  try {
    localStorage.setItem(memoryKey(userId, scopeId), JSON.stringify(value));
  } catch {
    // private mode: not remembered
  }
}

function recall(userId: string, scopeId: string): SubtitleMemory | null {
  try {
    const raw = localStorage.getItem(memoryKey(userId, scopeId));
    return raw === null ? null : (JSON.parse(raw) as SubtitleMemory);
  } catch {
    return null;
  }
}

/**
 * The subtitle to show at start: the remembered choice for this show or film when one matches, else a forced
 * track in the audio's language, else none.
 */
export function initialSubtitle(answer: PlaybackAnswer, memory: SubtitleMemory | null): string | null {
  const text = answer.subtitles.filter((s) => s.kind === 'text');
  if (memory !== null) {
    if ('off' in memory) return null;
    const match =
      text.find(
        (s) =>
          languageKey(s.language) === languageKey(memory.language) &&
          s.forced === memory.forced &&
          s.hearing_impaired === memory.hearing_impaired,
      ) ?? text.find((s) => languageKey(s.language) === languageKey(memory.language));
    if (match) return match.id;
  }
  const audio = answer.audio.find((a) => a.selected) ?? answer.audio[0];
  const forced = text.find(
    (s) => s.forced && audio !== undefined && languageKey(s.language) === languageKey(audio.language),
  );
  return forced?.id ?? null;
}

/** The show a file belongs to, or the film itself: where a subtitle choice is remembered. */
async function scopeOf(item: MediaItem): Promise<string> {
  if (item.type !== 'episode' || item.parent_id === null) return item.id;
  try {
    const season = await mediaApi.item(item.parent_id);
    return season.type === 'season' && season.parent_id !== null ? season.parent_id : season.id;
  } catch {
    return item.parent_id;
  }
}

/** Puts the answer's text subtitles on the element as <track>s and shows `chosen`. */
export function showSubtitles(element: HTMLVideoElement, answer: PlaybackAnswer, chosen: string | null): void {
  for (const old of Array.from(element.querySelectorAll('track[data-hearth]'))) old.remove();
  for (const subtitle of answer.subtitles) {
    if (subtitle.url === null) continue;
    const track = document.createElement('track');
    track.dataset.hearth = subtitle.id;
    track.kind = subtitle.hearing_impaired ? 'captions' : 'subtitles';
    track.label = subtitle.label;
    if (subtitle.language !== null) track.srclang = languageKey(subtitle.language) ?? subtitle.language;
    track.src = sameOrigin(subtitle.url);
    element.appendChild(track);
    // 'hidden' loads the cues without showing them; 'showing' for the chosen one.
    track.track.mode = subtitle.id === chosen ? 'showing' : 'disabled';
  }
}

export interface PlaybackState {
  answer: PlaybackAnswer | null;
  error: string | null;
  quality: Quality;
  subtitle: string | null;
  loading: boolean;
  setQuality(quality: Quality): void;
  setAudio(track: number): void;
  setSubtitle(id: string | null): void;
}

interface Choice {
  quality: Quality;
  audioTrack?: number;
  subtitle: string | null;
  burnIn: boolean;
}

/**
 * Plays `item` in the video element `media` once `enabled`: asks the decision, attaches, and restarts at
 * the current time when the quality, the audio track or a burned-in subtitle changes.
 */
export function usePlayback(
  item: MediaItem,
  media: RefObject<HTMLVideoElement | null>,
  options: { enabled: boolean; userId: string; startSeconds: number },
): PlaybackState {
  const [answer, setAnswer] = useState<PlaybackAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [choice, setChoice] = useState<Choice>({ quality: 'original', subtitle: null, burnIn: false });
  const [loading, setLoading] = useState(false);
  const scope = useRef<string | null>(null);
  const position = useRef(options.startSeconds);
  const firstAnswer = useRef(true);
  const { enabled, userId } = options;

  useEffect(() => {
    if (!enabled) return;
    let current = true;
    let asked: PlaybackAnswer | null = null;
    setLoading(true);
    (async () => {
      scope.current ??= await scopeOf(item);
      const element = media.current ?? document.createElement('video');
      const caps = clientCapabilities(element);
      const quality = QUALITIES.find((q) => q.value === choice.quality)!;
      const body: PlaybackRequest = {
        ...caps,
        startSeconds: Math.max(0, Math.floor(position.current)),
        ...(quality.value !== 'original' ? { maxHeight: Number(quality.value), maxBitrate: quality.bitrate } : {}),
        ...(choice.audioTrack !== undefined ? { audioTrack: choice.audioTrack } : {}),
        ...(choice.burnIn && choice.subtitle !== null ? { subtitle: choice.subtitle, burnIn: true } : {}),
      };
      const got = await askPlayback(item.id, body);
      if (!current) {
        release(got);
        return;
      }
      asked = got;
      setAnswer(got);
      setError(null);
    })()
      .catch((caught: unknown) => {
        if (current) setError(errorText(caught));
      })
      .finally(() => {
        if (current) setLoading(false);
      });
    return () => {
      current = false;
      if (asked !== null) release(asked);
    };
    // The choice's parts that need a new decision; a text subtitle does not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, item.id, choice.quality, choice.audioTrack, choice.burnIn, choice.burnIn ? choice.subtitle : null]);

  // Attach once the element and the answer are both there.
  useEffect(() => {
    const element = media.current;
    if (element === null || answer === null) return;
    const detach = attach(element, answer, setError);
    const start = position.current;
    let subtitle = choice.subtitle;
    if (firstAnswer.current) {
      firstAnswer.current = false;
      subtitle = initialSubtitle(answer, scope.current === null ? null : recall(userId, scope.current));
      setChoice((c) => ({ ...c, subtitle }));
    }
    showSubtitles(element, answer, answer.subtitles.find((s) => s.id === subtitle)?.kind === 'text' ? subtitle : null);
    const seek = () => {
      // hls.js starts at start_seconds itself; a direct file is moved there.
      if (start > 0 && Math.abs(element.currentTime - start) > 1) element.currentTime = start;
    };
    element.addEventListener('loadedmetadata', seek, { once: true });
    const track = () => {
      position.current = element.currentTime;
    };
    element.addEventListener('timeupdate', track);
    return () => {
      element.removeEventListener('loadedmetadata', seek);
      element.removeEventListener('timeupdate', track);
      detach();
    };
    // Subtitles are shown by the subtitle effect below once attached.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [answer, media.current]);

  // A text subtitle switches on the element, without a new decision.
  useEffect(() => {
    const element = media.current;
    if (element === null || answer === null) return;
    for (const node of Array.from(element.querySelectorAll<HTMLTrackElement>('track[data-hearth]'))) {
      node.track.mode = node.dataset.hearth === choice.subtitle && !choice.burnIn ? 'showing' : 'disabled';
    }
  }, [answer, choice.subtitle, choice.burnIn, media]);

  const keepTime = () => {
    if (media.current !== null && Number.isFinite(media.current.currentTime))
      position.current = media.current.currentTime;
  };

  const setQuality = useCallback((quality: Quality) => {
    keepTime();
    setChoice((c) => ({ ...c, quality }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const setAudio = useCallback((audioTrack: number) => {
    keepTime();
    setChoice((c) => ({ ...c, audioTrack }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const setSubtitle = useCallback(
    (id: string | null) => {
      keepTime();
      const chosen = answer?.subtitles.find((s) => s.id === id) ?? null;
      if (scope.current !== null) rememberSubtitle(userId, scope.current, chosen);
      setChoice((c) => ({ ...c, subtitle: id, burnIn: chosen?.kind === 'image' }));
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [answer, userId],
  );

  return {
    answer,
    error,
    quality: choice.quality,
    subtitle: choice.subtitle,
    loading,
    setQuality,
    setAudio,
    setSubtitle,
  };
}
