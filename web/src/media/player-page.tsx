import {
  useCallback,
  useEffect,
  useId,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
  type PointerEvent as ReactPointerEvent,
} from 'react';
import { errorText } from '../api.ts';
import { artworkUrl, mediaApi, type MediaItem, type MediaItemDetail } from '../api/media.ts';
import { Alert } from '../components/form.tsx';
import { Page, Spinner } from '../components/page.tsx';
import { NotFoundPage } from '../pages/not-found.tsx';
import { hasNavigated, Link, navigate, useLocation } from '../router.tsx';
import {
  codecLabel,
  displayTitle,
  episodeCode,
  formatClock,
  nearTheEnd,
  resumePosition,
  spokenClock,
} from './format.ts';
import {
  Breadcrumbs,
  coverFor,
  itemPath,
  nextInParent,
  playPath,
  useTrail,
  verdictFor,
  type Trail,
} from './item-page.tsx';
import { MediaIcon } from './media-icons.tsx';
import { PlayerIcon } from './player-icons.tsx';
import { PlayerMenus } from './player-menus.tsx';
import { usePlayback } from './playback.ts';
import { useUser } from '../session.tsx';
import { Poster } from './poster.tsx';
import { isNotFound, useLoad } from './use-load.ts';
import './media.css';
import './player.css';

/** How often a playing item tells the server where it is. */
const REPORT_EVERY_MS = 10_000;
const SKIP_BACK = 10;
const SKIP_FORWARD = 30;
const ARROW_SEEK = 10;
/** A double tap on a phone skips this far, back on the left, forward on the right. */
const TAP_SKIP = 10;
/** The controls fade this long after the last movement while playing. */
const HIDE_AFTER_MS = 3000;
/** At the end of an episode, the next one starts after this many seconds unless the viewer cancels. */
const UP_NEXT_SECONDS = 10;
const DOUBLE_TAP_MS = 300;
export const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2] as const;

/** Every key the player answers, as the `?` panel lists them (the README has the same list). */
export const SHORTCUTS: readonly { keys: string[]; action: string; video?: true }[] = [
  { keys: ['Space', 'K'], action: 'Play or pause' },
  { keys: ['←', 'J'], action: `Back ${ARROW_SEEK} seconds` },
  { keys: ['→', 'L'], action: `Forward ${ARROW_SEEK} seconds` },
  { keys: ['↑', '↓'], action: 'Volume up or down' },
  { keys: ['M'], action: 'Mute or unmute' },
  { keys: ['F'], action: 'Full screen', video: true },
  { keys: ['C'], action: 'Subtitles on or off', video: true },
  { keys: ['P'], action: 'Picture in picture', video: true },
  { keys: ['<', '>'], action: 'Slower or faster' },
  { keys: ['0 … 9'], action: 'Jump to 0% … 90%' },
  { keys: ['Home', 'End'], action: 'Jump to the start or the end' },
  { keys: ['N'], action: 'Play the next one' },
  { keys: ['?'], action: 'Show these keys' },
];

export function PlayerPage({ id }: { id: string }) {
  const { search } = useLocation();
  const loaded = useLoad(id, () => mediaApi.item(id));
  const trail = useTrail(loaded.data);
  if (isNotFound(loaded.error)) return <NotFoundPage />;
  const item = loaded.data;
  if (item === null) {
    return (
      <Page title="Player">
        {loaded.error !== null ? <Alert kind="error">{errorText(loaded.error)}</Alert> : <Spinner />}
      </Page>
    );
  }
  if (!item.playable) {
    return (
      <Page title={displayTitle(item)} lead="This is a group of items, not a file to play.">
        <p>
          <Link to={itemPath(item.id)}>Open {displayTitle(item)}</Link>
        </p>
      </Page>
    );
  }
  return (
    <Player
      key={item.id}
      item={item}
      trail={trail}
      next={nextInParent(trail, item)}
      fromStart={search.get('start') === '0'}
    />
  );
}

/** The stream URL's path on this origin: the CSP's media-src 'self' holds even when the public URL names another host. */
function sameOrigin(url: string): string {
  const parsed = new URL(url, location.origin);
  return `${parsed.pathname}${parsed.search}`;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement)
    return true;
  return (
    target instanceof HTMLInputElement &&
    target.type !== 'range' &&
    target.type !== 'checkbox' &&
    target.type !== 'button'
  );
}

function mediaErrorText(error: MediaError | null, everLoaded: boolean): string {
  switch (error?.code) {
    case MediaError.MEDIA_ERR_DECODE:
      return 'The file stopped playing: it is damaged, or uses a format this browser cannot decode.';
    case MediaError.MEDIA_ERR_NETWORK:
      return 'The connection to the server was lost while playing.';
    case MediaError.MEDIA_ERR_SRC_NOT_SUPPORTED:
      return everLoaded
        ? 'The server stopped sending the file.'
        : 'This file cannot play in this browser: its format is not supported here. Play it in an app that reads the file directly.';
    default:
      return 'The file could not be played.';
  }
}

/** "Night Garden · S01E02" above an episode's title, "Nina Test · First Light" above a track's. */
function contextLine(item: MediaItem, trail: Trail): string {
  const names = trail.ancestors.filter(
    (ancestor) => ancestor.type === 'show' || ancestor.type === 'artist' || ancestor.type === 'album',
  );
  const season = trail.ancestors.find((ancestor) => ancestor.type === 'season');
  const code = item.type === 'episode' ? episodeCode(season?.index ?? null, item.index, item.index_end) : '';
  return [...names.map((ancestor) => ancestor.title), code].filter((part) => part !== '').join(' · ');
}

interface Clock {
  current: number;
  duration: number;
}

interface Burst {
  text: string;
  side: 'left' | 'right' | 'center';
  key: number;
}

function subtitleTracks(element: HTMLMediaElement | null): TextTrack[] {
  if (element === null || !('textTracks' in element)) return [];
  return Array.from(element.textTracks).filter((track) => track.kind === 'subtitles' || track.kind === 'captions');
}

function Player({
  item,
  trail,
  next,
  fromStart,
}: {
  item: MediaItemDetail;
  trail: Trail;
  next: MediaItem | null;
  fromStart: boolean;
}) {
  const verdict = verdictFor(item);
  const isAudio = item.video_codec === null && (item.type === 'track' || (item.mime ?? '').startsWith('audio/'));
  const [tryAnyway, setTryAnyway] = useState(false);
  // Video always plays: the server remuxes or transcodes what this browser cannot play (playback.ts); a sound
  // file the browser cannot decode is still refused here.
  const blocked = isAudio && verdict.kind === 'no' && !tryAnyway;
  const title = displayTitle(item);
  const context = contextLine(item, trail);

  const media = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const shortcuts = useRef<HTMLDialogElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [waiting, setWaiting] = useState(true);
  const [needsGesture, setNeedsGesture] = useState(false);
  const [clock, setClock] = useState<Clock>({ current: 0, duration: item.duration_seconds ?? 0 });
  const [volume, setVolume] = useState({ level: 1, muted: false });
  const [speed, setSpeed] = useState(1);
  const [resumedFrom, setResumedFrom] = useState<number | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [saveProblem, setSaveProblem] = useState<string | null>(null);
  const [noPicture, setNoPicture] = useState<string | null>(null);
  const [fullscreen, setFullscreen] = useState(false);
  const [pip, setPip] = useState(false);
  const [hasSubtitles, setHasSubtitles] = useState(false);
  const [subtitlesOn, setSubtitlesOn] = useState(false);
  const [controlsShown, setControlsShown] = useState(true);
  const [burst, setBurst] = useState<Burst | null>(null);
  const [upNext, setUpNext] = useState<number | null>(null);
  const helpId = useId();
  const shortcutsTitleId = useId();
  const canPip = !isAudio && typeof document !== 'undefined' && document.pictureInPictureEnabled === true;

  // Mutable facts the media events need without re-subscribing: whether the saved position was applied,
  // whether anything played (only then is a position worth saving), and what was last sent.
  const session = useRef({
    resumeApplied: false,
    started: false,
    lastSent: -1,
    everLoaded: false,
    retried: false,
    seekTo: null as number | null,
  });
  const user = useUser();
  const playback = usePlayback(item, media, {
    enabled: !isAudio,
    userId: user.id,
    startSeconds: fromStart ? 0 : (resumePosition(item.progress, item.duration_seconds) ?? 0),
  });
  const ready = isAudio ? src !== null : playback.answer !== null;
  const hideTimer = useRef<number | undefined>(undefined);
  const lastTap = useRef<{ at: number; x: number; timer: number | undefined }>({ at: 0, x: 0, timer: undefined });

  useEffect(() => {
    document.title = `${title} · Hearth`;
  }, [title]);

  useEffect(() => {
    // As every page does: after a navigation, the heading takes focus, so a screen reader announces the title.
    if (hasNavigated()) heading.current?.focus();
  }, []);

  const fetchSource = useCallback(async () => {
    const { url } = await mediaApi.streamUrl(item.id);
    return sameOrigin(url);
  }, [item.id]);

  useEffect(() => {
    // A video is attached by usePlayback (hls.js or the file itself); a sound file keeps its stream URL.
    if (blocked || !isAudio) return;
    let current = true;
    fetchSource()
      .then((url) => {
        if (current) setSrc(url);
      })
      .catch((caught: unknown) => {
        if (current) setFailure(errorText(caught));
      });
    return () => {
      current = false;
    };
  }, [blocked, fetchSource, isAudio]);

  const report = useCallback(
    (options: { keepalive?: boolean; force?: boolean } = {}) => {
      const element = media.current;
      const state = session.current;
      if (element === null || !state.started) return;
      const position = element.currentTime;
      if (!Number.isFinite(position)) return;
      if (!options.force && Math.abs(position - state.lastSent) < 0.5) return;
      state.lastSent = position;
      const duration = Number.isFinite(element.duration) ? element.duration : (item.duration_seconds ?? 0);
      const body: { position_seconds: number; watched?: boolean } = {
        position_seconds: Math.round(position * 10) / 10,
      };
      if (nearTheEnd(position, duration)) body.watched = true;
      mediaApi
        .setProgress(item.id, body, { keepalive: options.keepalive })
        .then(() => setSaveProblem(null))
        .catch((caught: unknown) => setSaveProblem(`Your place could not be saved: ${errorText(caught)}`));
    },
    [item.id, item.duration_seconds],
  );

  // While playing: a report every ten seconds. Leaving the page (in the app or closing the tab) sends the last one.
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (media.current !== null && !media.current.paused) report();
    }, REPORT_EVERY_MS);
    const leave = () => report({ keepalive: true });
    const hidden = () => {
      if (document.visibilityState === 'hidden') leave();
    };
    window.addEventListener('pagehide', leave);
    document.addEventListener('visibilitychange', hidden);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener('pagehide', leave);
      document.removeEventListener('visibilitychange', hidden);
      leave();
    };
  }, [report]);

  // ---------- The controls come and go ----------

  /** Shows the controls; while playing they fade again after a few quiet seconds (not while a control has focus). */
  const poke = useCallback(() => {
    setControlsShown(true);
    window.clearTimeout(hideTimer.current);
    hideTimer.current = window.setTimeout(() => {
      const element = media.current;
      const focused = document.activeElement;
      const inBar =
        focused instanceof HTMLElement &&
        focused.closest('.player-controls, .player-top') !== null &&
        focused.matches(':focus-visible');
      if (element !== null && !element.paused && !inBar && shortcuts.current?.open !== true) setControlsShown(false);
    }, HIDE_AFTER_MS);
  }, []);

  useEffect(() => () => window.clearTimeout(hideTimer.current), []);

  useEffect(() => {
    if (!playing) {
      window.clearTimeout(hideTimer.current);
      setControlsShown(true);
    } else poke();
  }, [playing, poke]);

  // ---------- Actions ----------

  const play = useCallback(async () => {
    const element = media.current;
    if (element === null) return;
    try {
      await element.play();
      setNeedsGesture(false);
    } catch (caught) {
      // Autoplay rules: without a recent click the browser may refuse to start; a press of Play is enough.
      if (caught instanceof DOMException && caught.name === 'NotAllowedError') setNeedsGesture(true);
    }
  }, []);

  const toggle = useCallback(() => {
    const element = media.current;
    if (element === null) return;
    if (element.paused || element.ended) void play();
    else element.pause();
  }, [play]);

  const seekTo = useCallback((target: number, spoken: string) => {
    const element = media.current;
    if (element === null || !Number.isFinite(element.duration)) return;
    const clamped = Math.max(0, Math.min(element.duration, target));
    element.currentTime = clamped;
    setClock((c) => ({ ...c, current: clamped }));
    setAnnouncement(`${spoken} ${spokenClock(clamped)}`);
  }, []);

  const seekBy = useCallback(
    (delta: number) => {
      const element = media.current;
      if (element === null) return;
      seekTo(element.currentTime + delta, delta < 0 ? 'Back to' : 'Forward to');
    },
    [seekTo],
  );

  const setLevel = useCallback((level: number) => {
    const element = media.current;
    if (element === null) return;
    element.volume = Math.max(0, Math.min(1, level));
    if (element.volume > 0) element.muted = false;
  }, []);

  const toggleMute = useCallback(() => {
    const element = media.current;
    if (element === null) return;
    element.muted = !element.muted;
    setAnnouncement(element.muted ? 'Muted' : 'Sound on');
  }, []);

  const changeSpeed = useCallback((rate: number) => {
    const element = media.current;
    if (element !== null) element.playbackRate = rate;
    setSpeed(rate);
    setAnnouncement(`Speed ${rate}×`);
  }, []);

  const stepSpeed = useCallback(
    (step: 1 | -1) => {
      const index = SPEEDS.findIndex((rate) => rate >= (media.current?.playbackRate ?? 1));
      const nextIndex = Math.max(0, Math.min(SPEEDS.length - 1, (index < 0 ? 2 : index) + step));
      changeSpeed(SPEEDS[nextIndex]);
    },
    [changeSpeed],
  );

  const toggleFullscreen = useCallback(() => {
    if (document.fullscreenElement !== null) void document.exitFullscreen().catch(() => undefined);
    else void root.current?.requestFullscreen?.().catch(() => setAnnouncement('This browser refused full screen.'));
  }, []);

  const togglePip = useCallback(() => {
    const element = media.current;
    if (element === null || isAudio) return;
    if (document.pictureInPictureElement !== null) void document.exitPictureInPicture().catch(() => undefined);
    else if (document.pictureInPictureEnabled)
      void element.requestPictureInPicture().catch(() => setAnnouncement('Picture in picture is not available here.'));
  }, [isAudio]);

  /** Subtitles on or off: the last track chosen (by the subtitles menu or before), else the first. */
  const lastSubtitle = useRef<TextTrack | null>(null);
  const lastChoice = useRef<string | null>(null);
  const toggleSubtitles = useCallback(() => {
    const offered = playback.answer?.subtitles ?? [];
    if (offered.length > 0) {
      // The playback module's menu and this key share one choice.
      if (playback.subtitle !== null) {
        lastChoice.current = playback.subtitle;
        playback.setSubtitle(null);
        setAnnouncement('Subtitles off');
      } else {
        const chosen = offered.find((track) => track.id === lastChoice.current) ?? offered[0];
        playback.setSubtitle(chosen.id);
        setAnnouncement(`Subtitles on: ${chosen.label}`);
      }
      return;
    }
    const tracks = subtitleTracks(media.current);
    if (tracks.length === 0) {
      setAnnouncement('This file has no subtitles.');
      return;
    }
    const showing = tracks.find((track) => track.mode === 'showing');
    if (showing !== undefined) {
      lastSubtitle.current = showing;
      for (const track of tracks) track.mode = 'disabled';
      setSubtitlesOn(false);
      setAnnouncement('Subtitles off');
    } else {
      const chosen =
        lastSubtitle.current !== null && tracks.includes(lastSubtitle.current) ? lastSubtitle.current : tracks[0];
      chosen.mode = 'showing';
      setSubtitlesOn(true);
      setAnnouncement(`Subtitles on${chosen.label ? `: ${chosen.label}` : ''}`);
    }
  }, [playback]);

  const playNext = useCallback(() => {
    if (next !== null) navigate(playPath(next.id));
  }, [next]);

  const openShortcuts = useCallback(() => {
    const dialog = shortcuts.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
  }, []);

  // Fullscreen and picture-in-picture can end outside the app (Escape, the browser's own button).
  useEffect(() => {
    const onFullscreen = () => setFullscreen(document.fullscreenElement !== null);
    document.addEventListener('fullscreenchange', onFullscreen);
    return () => document.removeEventListener('fullscreenchange', onFullscreen);
  }, []);

  // Subtitle tracks arrive with the media (or from the playback module later): the C key and button follow them.
  useEffect(() => {
    const element = media.current;
    if (element === null || isAudio) return;
    const update = () => {
      const tracks = subtitleTracks(element);
      setHasSubtitles(tracks.length > 0);
      setSubtitlesOn(tracks.some((track) => track.mode === 'showing'));
    };
    update();
    element.textTracks.addEventListener('addtrack', update);
    element.textTracks.addEventListener('removetrack', update);
    element.textTracks.addEventListener('change', update);
    return () => {
      element.textTracks.removeEventListener('addtrack', update);
      element.textTracks.removeEventListener('removetrack', update);
      element.textTracks.removeEventListener('change', update);
    };
  }, [ready, isAudio]);

  useEffect(() => {
    const element = media.current;
    if (element === null || isAudio) return;
    const enter = () => setPip(true);
    const leave = () => setPip(false);
    element.addEventListener('enterpictureinpicture', enter);
    element.addEventListener('leavepictureinpicture', leave);
    return () => {
      element.removeEventListener('enterpictureinpicture', enter);
      element.removeEventListener('leavepictureinpicture', leave);
    };
  }, [ready, isAudio]);

  // ---------- Keys ----------

  // Keys anywhere on the page, as in other players; typing in a field and the buttons' own keys come first.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (shortcuts.current?.open === true) return;
      const target = event.target as HTMLElement | null;
      const onControl = target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
      const onSlider = target instanceof HTMLInputElement && target.type === 'range';
      const element = media.current;
      poke();
      switch (event.key) {
        case ' ':
        case 'k':
        case 'K':
        case 'MediaPlayPause':
          if (event.key === ' ' && onControl) return;
          event.preventDefault();
          if (element !== null) setAnnouncement(element.paused ? 'Playing' : 'Paused');
          toggle();
          return;
        case 'ArrowLeft':
        case 'ArrowRight':
          if (onSlider) return;
          event.preventDefault();
          seekBy(event.key === 'ArrowLeft' ? -ARROW_SEEK : ARROW_SEEK);
          return;
        case 'j':
        case 'l':
          seekBy(event.key === 'j' ? -ARROW_SEEK : ARROW_SEEK);
          return;
        case 'ArrowUp':
        case 'ArrowDown': {
          if (onSlider || element === null) return;
          event.preventDefault();
          const level = Math.round((element.volume + (event.key === 'ArrowUp' ? 0.1 : -0.1)) * 10) / 10;
          setLevel(level);
          setAnnouncement(`Volume ${Math.round(Math.max(0, Math.min(1, level)) * 100)}%`);
          return;
        }
        case 'Home':
        case 'End':
          if (onSlider || element === null) return;
          event.preventDefault();
          seekTo(event.key === 'Home' ? 0 : element.duration - 0.5, event.key === 'Home' ? 'Start,' : 'End,');
          return;
        case 'm':
        case 'M':
          toggleMute();
          return;
        case 'f':
        case 'F':
          if (!isAudio) toggleFullscreen();
          return;
        case 'c':
        case 'C':
          if (!isAudio) toggleSubtitles();
          return;
        case 'p':
        case 'P':
          togglePip();
          return;
        case 'n':
        case 'N':
          playNext();
          return;
        case '<':
        case '>':
          stepSpeed(event.key === '<' ? -1 : 1);
          return;
        case '?':
          event.preventDefault();
          openShortcuts();
          return;
        default:
          if (/^[0-9]$/.test(event.key) && element !== null && Number.isFinite(element.duration) && !onSlider) {
            seekTo((Number(event.key) / 10) * element.duration, 'Jumped to');
          }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [
    toggle,
    seekBy,
    seekTo,
    setLevel,
    toggleMute,
    toggleFullscreen,
    toggleSubtitles,
    togglePip,
    playNext,
    stepSpeed,
    openShortcuts,
    poke,
    isAudio,
  ]);

  // ---------- The operating system's media controls (lock screen, headphones, keyboard media keys) ----------

  useEffect(() => {
    if (!('mediaSession' in navigator) || typeof MediaMetadata === 'undefined') return;
    const artworkOf = item.has_artwork
      ? item.id
      : ([...trail.ancestors].reverse().find((ancestor) => ancestor.has_artwork)?.id ?? null);
    const album = trail.ancestors.find((ancestor) => ancestor.type === 'album' || ancestor.type === 'season');
    const artist = trail.ancestors.find((ancestor) => ancestor.type === 'show' || ancestor.type === 'artist');
    navigator.mediaSession.metadata = new MediaMetadata({
      title,
      artist: item.artist ?? artist?.title ?? '',
      album: album !== undefined ? displayTitle(album) : '',
      artwork: artworkOf === null ? [] : [{ src: new URL(artworkUrl(artworkOf), location.origin).href }],
    });
    const handlers: [MediaSessionAction, MediaSessionActionHandler | null][] = [
      ['play', () => void play()],
      ['pause', () => media.current?.pause()],
      ['seekbackward', (details) => seekBy(-(details.seekOffset ?? SKIP_BACK))],
      ['seekforward', (details) => seekBy(details.seekOffset ?? SKIP_FORWARD)],
      ['seekto', (details) => (details.seekTime !== undefined ? seekTo(details.seekTime, 'At') : undefined)],
      ['nexttrack', next !== null ? playNext : null],
    ];
    for (const [action, handler] of handlers) {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch {
        // An action this browser does not know.
      }
    }
    return () => {
      for (const [action] of handlers) {
        try {
          navigator.mediaSession.setActionHandler(action, null);
        } catch {
          // As above.
        }
      }
      navigator.mediaSession.metadata = null;
    };
  }, [item, trail, title, next, play, seekBy, seekTo, playNext]);

  useEffect(() => {
    if (!('mediaSession' in navigator)) return;
    navigator.mediaSession.playbackState = playing ? 'playing' : 'paused';
  }, [playing]);

  const updatePositionState = () => {
    const element = media.current;
    if (
      element === null ||
      !('mediaSession' in navigator) ||
      !Number.isFinite(element.duration) ||
      element.duration <= 0
    )
      return;
    try {
      navigator.mediaSession.setPositionState({
        duration: element.duration,
        playbackRate: element.playbackRate,
        position: Math.min(element.currentTime, element.duration),
      });
    } catch {
      // A position the browser refuses (a live stream): nothing to show.
    }
  };

  // ---------- Up next ----------

  useEffect(() => {
    if (upNext === null || next === null) return;
    if (upNext <= 0) {
      navigate(playPath(next.id));
      return;
    }
    const timer = window.setTimeout(() => setUpNext((left) => (left === null ? null : left - 1)), 1000);
    return () => window.clearTimeout(timer);
  }, [upNext, next]);

  // ---------- Media events ----------

  const onLoadedMetadata = () => {
    const element = media.current;
    if (element === null) return;
    const state = session.current;
    state.everLoaded = true;
    element.playbackRate = speed;
    setClock({ current: element.currentTime, duration: element.duration });
    // Chromium plays the sound of a file whose picture it cannot decode, and shows black: say so.
    if (!isAudio && item.video_codec !== null && element.videoWidth === 0) {
      setNoPicture(
        `This browser cannot show the picture of this file (${codecLabel(item.video_codec) ?? item.video_codec}): only the sound plays.`,
      );
    }
    if (state.seekTo !== null) {
      // A fresh stream URL after an interruption: back to where playback was.
      element.currentTime = state.seekTo;
      state.seekTo = null;
    } else if (!state.resumeApplied) {
      state.resumeApplied = true;
      const from = fromStart
        ? null
        : resumePosition(item.progress, Number.isFinite(element.duration) ? element.duration : item.duration_seconds);
      if (from !== null) {
        element.currentTime = from;
        setResumedFrom(from);
      }
    }
    updatePositionState();
    void play();
  };

  const onError = () => {
    const element = media.current;
    if (element === null) return;
    const state = session.current;
    // A stream URL lives for hours, but a long pause can outlast it: one new URL, at the same place.
    if (isAudio && state.everLoaded && !state.retried) {
      state.retried = true;
      state.seekTo = element.currentTime;
      fetchSource()
        .then(setSrc)
        .catch((caught: unknown) => setFailure(errorText(caught)));
      return;
    }
    setFailure(mediaErrorText(element.error, state.everLoaded));
  };

  const onEnded = () => {
    const state = session.current;
    state.lastSent = media.current?.currentTime ?? state.lastSent;
    setPlaying(false);
    // Finished: watched, and the next visit starts from the beginning.
    mediaApi
      .setProgress(item.id, { watched: true })
      .catch((caught: unknown) => setSaveProblem(`Your place could not be saved: ${errorText(caught)}`));
    if (next === null) return;
    // An album plays on at once; a show counts down, so the viewer can stay.
    if (item.type === 'track') navigate(playPath(next.id));
    else {
      if (document.fullscreenElement === null) heading.current?.blur();
      setUpNext(UP_NEXT_SECONDS);
      setAnnouncement(`Up next: ${displayTitle(next)}, in ${UP_NEXT_SECONDS} seconds.`);
    }
  };

  const onSliderKey = (event: ReactKeyboardEvent<HTMLInputElement>) => {
    // Space on the slider still plays and pauses, as everywhere else on the page.
    if (event.key === ' ') {
      event.preventDefault();
      toggle();
    }
  };

  // ---------- Pointer and touch on the picture ----------

  const flash = (text: string, side: Burst['side']) => setBurst({ text, side, key: Date.now() });

  useEffect(() => {
    if (burst === null) return;
    const timer = window.setTimeout(() => setBurst(null), 700);
    return () => window.clearTimeout(timer);
  }, [burst]);

  const onSurfacePointerUp = (event: ReactPointerEvent<HTMLDivElement>) => {
    if (event.button !== 0) return;
    const box = event.currentTarget.getBoundingClientRect();
    const x = (event.clientX - box.left) / Math.max(1, box.width);
    const tap = lastTap.current;
    const now = event.timeStamp;
    if (event.pointerType === 'mouse') {
      // A click plays or pauses; a double click (below) is full screen.
      poke();
      toggle();
      return;
    }
    // Touch and pen: one tap shows or hides the controls, a second tap soon after skips (left back, right forward).
    if (now - tap.at < DOUBLE_TAP_MS) {
      window.clearTimeout(tap.timer);
      tap.at = 0;
      if (x < 0.4) {
        seekBy(-TAP_SKIP);
        flash(`−${TAP_SKIP} s`, 'left');
      } else if (x > 0.6) {
        seekBy(TAP_SKIP);
        flash(`+${TAP_SKIP} s`, 'right');
      } else {
        toggle();
      }
      return;
    }
    tap.at = now;
    tap.x = x;
    window.clearTimeout(tap.timer);
    tap.timer = window.setTimeout(() => {
      tap.at = 0;
      if (controlsShown && media.current !== null && !media.current.paused) {
        window.clearTimeout(hideTimer.current);
        setControlsShown(false);
      } else poke();
    }, DOUBLE_TAP_MS);
  };

  useEffect(() => () => window.clearTimeout(lastTap.current.timer), []);

  // ---------- What the viewer sees ----------

  const shownFailure = failure ?? (isAudio ? null : playback.error);
  const duration = Number.isFinite(clock.duration) ? clock.duration : 0;
  const remaining = Math.max(0, duration - clock.current);
  const MediaTag = isAudio ? 'audio' : 'video';
  const hidden = !controlsShown && playing && upNext === null;
  const back = itemPath(item.id);

  return (
    <div
      ref={root}
      className={`player${isAudio ? ' player-audio' : ''}${hidden ? ' controls-hidden' : ''}`}
      onPointerMove={(event) => {
        if (event.pointerType === 'mouse') poke();
      }}
      onFocusCapture={() => poke()}
    >
      <div className="player-stage">
        {isAudio && (
          <div className="player-cover">
            <Poster item={coverFor(item, trail)} shape="square" eager />
          </div>
        )}
        {ready && !blocked && (
          <MediaTag
            ref={media}
            className="player-media"
            src={isAudio ? (src ?? undefined) : undefined}
            preload="metadata"
            playsInline
            aria-label={title}
            aria-describedby={helpId}
            onLoadedMetadata={onLoadedMetadata}
            onDurationChange={(event) => {
              const duration = event.currentTarget.duration;
              setClock((c) => ({ ...c, duration }));
            }}
            onTimeUpdate={(event) => {
              const current = event.currentTarget.currentTime;
              setClock((c) => ({ ...c, current }));
            }}
            onSeeked={updatePositionState}
            onRateChange={(event) => {
              setSpeed(event.currentTarget.playbackRate);
              updatePositionState();
            }}
            onPlaying={() => {
              session.current.started = true;
              setPlaying(true);
              setWaiting(false);
              setUpNext(null);
            }}
            onPause={() => {
              setPlaying(false);
              report();
            }}
            onWaiting={() => setWaiting(true)}
            onCanPlay={() => setWaiting(false)}
            onEnded={onEnded}
            onError={onError}
            onVolumeChange={(event) =>
              setVolume({ level: event.currentTarget.volume, muted: event.currentTarget.muted })
            }
          />
        )}
        {/* The surface over the picture takes clicks and taps (the picture itself has no controls of its own). */}
        {!blocked && (
          <div
            className="player-surface"
            aria-hidden="true"
            onPointerUp={onSurfacePointerUp}
            onDoubleClick={(event) => {
              if (!isAudio && event.nativeEvent instanceof MouseEvent) toggleFullscreen();
            }}
          />
        )}
        {!blocked && (!ready || (waiting && playing)) && shownFailure === null && (
          <div className="player-overlay" aria-hidden="true">
            <span className="spinner spinner-large" />
          </div>
        )}
        {ready && !blocked && !playing && !waiting && shownFailure === null && upNext === null && (
          // A large target for mouse and touch; keyboard and screen-reader users have the Play button below.
          <button type="button" className="player-big-play" tabIndex={-1} aria-hidden="true" onClick={toggle}>
            <MediaIcon name="play" />
          </button>
        )}
        {burst !== null && (
          <div key={burst.key} className={`player-burst player-burst-${burst.side}`} aria-hidden="true">
            {burst.text}
          </div>
        )}
      </div>

      <div className="player-top">
        <Link to={back} className="player-button player-back" aria-label={`Back to ${title}`}>
          <PlayerIcon name="back" />
        </Link>
        <div className="player-heading">
          <Breadcrumbs trail={{ ...trail, ancestors: [...trail.ancestors, item] }} current="Player" />
          {context !== '' && <p className="player-context">{context}</p>}
          <h1 ref={heading} tabIndex={-1}>
            {title}
          </h1>
        </div>
      </div>

      <div className="player-messages">
        {blocked && (
          <div className="player-blocked" role="alert">
            <MediaIcon name="alert" className="player-blocked-icon" />
            <div>
              <h2>This file cannot play in a browser</h2>
              <p>{verdict.text}</p>
              <div className="button-row">
                <Link to={back} className="button-secondary">
                  Back to {title}
                </Link>
                <button type="button" className="button-ghost" onClick={() => setTryAnyway(true)}>
                  Try anyway
                </button>
              </div>
            </div>
          </div>
        )}
        {shownFailure !== null && (
          <div className="player-blocked" role="alert">
            <MediaIcon name="alert" className="player-blocked-icon" />
            <div>
              <h2>Playback stopped</h2>
              <p>{shownFailure}</p>
              <Link to={back} className="button-secondary">
                Back to {title}
              </Link>
            </div>
          </div>
        )}
        {noPicture !== null && (
          <div className="player-blocked" role="alert">
            <MediaIcon name="alert" className="player-blocked-icon" />
            <div>
              <h2>No picture</h2>
              <p>{noPicture}</p>
            </div>
          </div>
        )}
        {resumedFrom !== null && (
          <p className="player-note player-resumed">
            Resumed at {formatClock(resumedFrom)}.{' '}
            <button
              type="button"
              className="button-link"
              onClick={() => {
                if (media.current !== null) media.current.currentTime = 0;
                setResumedFrom(null);
              }}
            >
              Start over
            </button>
          </p>
        )}
        {needsGesture && <p className="player-note">Press Play to start.</p>}
        {isAudio && verdict.kind === 'no' && !blocked && <p className="player-note">{verdict.text}</p>}
        {saveProblem !== null && <Alert kind="error">{saveProblem}</Alert>}
      </div>

      {upNext !== null && next !== null && (
        <section className="player-up-next" aria-label="Up next">
          <div className="player-up-next-art">
            <Poster item={next} shape="wide" />
          </div>
          <div>
            <p className="player-up-next-label">Up next</p>
            <p className="player-up-next-title">{displayTitle(next)}</p>
            <p className="player-up-next-count">
              Starts in <span className="player-up-next-seconds">{upNext}</span> s
            </p>
            <div className="button-row">
              <button type="button" className="button-primary" autoFocus onClick={playNext}>
                <MediaIcon name="play" /> Play now
              </button>
              <button type="button" className="button-secondary" onClick={() => setUpNext(null)}>
                Cancel
              </button>
            </div>
          </div>
        </section>
      )}

      {!blocked && (
        <div className="player-controls" role="group" aria-label="Player controls">
          <div className="player-seek-row">
            <span className="player-time" role="timer" aria-label="Elapsed time">
              {formatClock(clock.current)}
            </span>
            <input
              type="range"
              className="player-seek"
              aria-label="Position"
              min={0}
              max={duration > 0 ? duration : 1}
              step={1}
              value={Math.min(clock.current, duration > 0 ? duration : 1)}
              aria-valuetext={`${spokenClock(clock.current)} of ${spokenClock(duration)}`}
              disabled={!ready || duration <= 0}
              onKeyDown={onSliderKey}
              onChange={(event) => {
                const element = media.current;
                if (element !== null) element.currentTime = Number(event.target.value);
              }}
            />
            <span className="player-time" aria-label={`${spokenClock(remaining)} left`}>
              −{formatClock(remaining)}
            </span>
          </div>
          <div className="player-bar">
            <div className="player-bar-group">
              <button
                type="button"
                className="player-button player-button-main"
                onClick={toggle}
                aria-label={playing ? 'Pause' : 'Play'}
                aria-keyshortcuts="Space k"
                disabled={!ready}
              >
                <MediaIcon name={playing ? 'pause' : 'play'} />
              </button>
              <button
                type="button"
                className="player-button"
                onClick={() => seekBy(-SKIP_BACK)}
                aria-label={`Back ${SKIP_BACK} seconds`}
                disabled={!ready}
              >
                <MediaIcon name="rewind" />
              </button>
              <button
                type="button"
                className="player-button"
                onClick={() => seekBy(SKIP_FORWARD)}
                aria-label={`Forward ${SKIP_FORWARD} seconds`}
                disabled={!ready}
              >
                <MediaIcon name="forward" />
              </button>
              {next !== null && (
                <button
                  type="button"
                  className="player-button"
                  onClick={playNext}
                  aria-label={`Next: ${displayTitle(next)}`}
                  aria-keyshortcuts="n"
                >
                  <PlayerIcon name="next" />
                </button>
              )}
              <button
                type="button"
                className="player-button"
                onClick={toggleMute}
                aria-label={volume.muted ? 'Unmute' : 'Mute'}
                aria-keyshortcuts="m"
                disabled={!ready}
              >
                <MediaIcon name={volume.muted || volume.level === 0 ? 'mute' : 'volume'} />
              </button>
              <input
                type="range"
                className="player-volume"
                aria-label="Volume"
                min={0}
                max={1}
                step={0.05}
                value={volume.muted ? 0 : volume.level}
                aria-valuetext={`${Math.round((volume.muted ? 0 : volume.level) * 100)}%`}
                disabled={!ready}
                onKeyDown={onSliderKey}
                onChange={(event) => setLevel(Number(event.target.value))}
              />
            </div>
            <div className="player-bar-group player-bar-end">
              {/* The playback module's quality, audio and subtitle menus, and its info panel. */}
              {!isAudio && <PlayerMenus playback={playback} />}
              <label className="player-speed">
                <span className="visually-hidden">Playback speed</span>
                <select value={speed} onChange={(event) => changeSpeed(Number(event.target.value))} disabled={!ready}>
                  {SPEEDS.map((rate) => (
                    <option key={rate} value={rate}>
                      {rate}×
                    </option>
                  ))}
                </select>
              </label>
              {!isAudio && hasSubtitles && (
                <button
                  type="button"
                  className="player-button"
                  onClick={toggleSubtitles}
                  aria-label="Subtitles"
                  aria-pressed={subtitlesOn}
                  aria-keyshortcuts="c"
                >
                  <PlayerIcon name="captions" />
                </button>
              )}
              {canPip && (
                <button
                  type="button"
                  className="player-button"
                  onClick={togglePip}
                  aria-label="Picture in picture"
                  aria-pressed={pip}
                  aria-keyshortcuts="p"
                  disabled={!ready}
                >
                  <PlayerIcon name="pip" />
                </button>
              )}
              <button
                type="button"
                className="player-button"
                onClick={openShortcuts}
                aria-label="Keyboard shortcuts"
                aria-keyshortcuts="?"
              >
                <PlayerIcon name="keyboard" />
              </button>
              {!isAudio && (
                <button
                  type="button"
                  className="player-button"
                  onClick={toggleFullscreen}
                  aria-label={fullscreen ? 'Exit full screen' : 'Full screen'}
                  aria-keyshortcuts="f"
                >
                  {fullscreen ? <PlayerIcon name="exitFullscreen" /> : <MediaIcon name="fullscreen" />}
                </button>
              )}
            </div>
          </div>
        </div>
      )}

      <p className="visually-hidden" id={helpId}>
        Press question mark for the keyboard shortcuts.
      </p>

      <dialog
        ref={shortcuts}
        className="dialog player-shortcuts"
        aria-labelledby={shortcutsTitleId}
        onClose={() => poke()}
      >
        <h2 id={shortcutsTitleId}>Keyboard shortcuts</h2>
        <dl>
          {SHORTCUTS.filter((entry) => !(isAudio && entry.video)).map((entry) => (
            <div key={entry.action}>
              <dt>
                {entry.keys.map((key) => (
                  <kbd key={key}>{key}</kbd>
                ))}
              </dt>
              <dd>{entry.action}</dd>
            </div>
          ))}
        </dl>
        <p className="muted">
          On a phone: tap to show the controls, double-tap the left or right side to skip {TAP_SKIP} seconds.
        </p>
        <form method="dialog">
          <button type="submit" className="button-primary">
            Close
          </button>
        </form>
      </dialog>

      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
    </div>
  );
}
