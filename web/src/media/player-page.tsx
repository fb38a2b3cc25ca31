import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent as ReactKeyboardEvent } from 'react';
import { errorText } from '../api.ts';
import { mediaApi, type MediaItem } from '../api/media.ts';
import { Alert } from '../components/form.tsx';
import { Page, Spinner } from '../components/page.tsx';
import { NotFoundPage } from '../pages/not-found.tsx';
import { Link, navigate, useLocation } from '../router.tsx';
import { codecLabel, displayTitle, formatClock, nearTheEnd, resumePosition, spokenClock } from './format.ts';
import { Breadcrumbs, itemPath, nextInParent, playPath, useTrail, verdictFor } from './item-page.tsx';
import { MediaIcon } from './media-icons.tsx';
import { Poster } from './poster.tsx';
import { PlayerMenus } from './player-menus.tsx';
import { usePlayback } from './playback.ts';
import { useUser } from '../session.tsx';
import { isNotFound, useLoad } from './use-load.ts';
import './media.css';

/** How often a playing item tells the server where it is. */
const REPORT_EVERY_MS = 10_000;
const SKIP_BACK = 10;
const SKIP_FORWARD = 30;
const ARROW_SEEK = 10;

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
    <Page title={displayTitle(item)}>
      <Breadcrumbs trail={{ ...trail, ancestors: [...trail.ancestors, item] }} current="Player" />
      <Player key={item.id} item={item} next={nextInParent(trail, item)} fromStart={search.get('start') === '0'} />
    </Page>
  );
}

/** The stream URL's path on this origin: the CSP's media-src 'self' holds even when the public URL names another host. */
function sameOrigin(url: string): string {
  const parsed = new URL(url, location.origin);
  return `${parsed.pathname}${parsed.search}`;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && target.type !== 'range' && target.type !== 'checkbox' && target.type !== 'button';
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

interface Clock {
  current: number;
  duration: number;
}

function Player({ item, next, fromStart }: { item: MediaItem; next: MediaItem | null; fromStart: boolean }) {
  const verdict = verdictFor(item);
  const isAudio = item.video_codec === null && (item.type === 'track' || (item.mime ?? '').startsWith('audio/'));
  const [tryAnyway, setTryAnyway] = useState(false);
  // Video always plays: the server remuxes or transcodes what this browser cannot play (see playback.ts).
  const blocked = isAudio && verdict.kind === 'no' && !tryAnyway;

  const media = useRef<HTMLVideoElement & HTMLAudioElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [waiting, setWaiting] = useState(true);
  const [needsGesture, setNeedsGesture] = useState(false);
  const [clock, setClock] = useState<Clock>({ current: 0, duration: item.duration_seconds ?? 0 });
  const [volume, setVolume] = useState({ level: 1, muted: false });
  const [resumedFrom, setResumedFrom] = useState<number | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const [saveProblem, setSaveProblem] = useState<string | null>(null);
  const [noPicture, setNoPicture] = useState<string | null>(null);
  const helpId = useId();

  // Mutable facts the media events need without re-subscribing: whether the saved position was applied,
  // whether anything played (only then is a position worth saving), and what was last sent.
  const session = useRef({ resumeApplied: false, started: false, lastSent: -1, everLoaded: false, retried: false, seekTo: null as number | null });
  const user = useUser();
  const playback = usePlayback(item, media, {
    enabled: !isAudio,
    userId: user.id,
    startSeconds: fromStart ? 0 : (resumePosition(item.progress, item.duration_seconds) ?? 0),
  });

  const fetchSource = useCallback(async () => {
    const { url } = await mediaApi.streamUrl(item.id);
    return sameOrigin(url);
  }, [item.id]);

  useEffect(() => {
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
      const body: { position_seconds: number; watched?: boolean } = { position_seconds: Math.round(position * 10) / 10 };
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

  const seekBy = useCallback((delta: number) => {
    const element = media.current;
    if (element === null || !Number.isFinite(element.duration)) return;
    const target = Math.max(0, Math.min(element.duration, element.currentTime + delta));
    element.currentTime = target;
    setAnnouncement(`${delta < 0 ? 'Back' : 'Forward'} to ${spokenClock(target)}`);
  }, []);

  const setLevel = useCallback((level: number) => {
    const element = media.current;
    if (element === null) return;
    element.volume = Math.max(0, Math.min(1, level));
    if (element.volume > 0) element.muted = false;
  }, []);

  const toggleMute = useCallback(() => {
    const element = media.current;
    if (element !== null) element.muted = !element.muted;
  }, []);

  const toggleFullscreen = useCallback(() => {
    if (document.fullscreenElement !== null) void document.exitFullscreen();
    else void stage.current?.requestFullscreen?.().catch(() => undefined);
  }, []);

  // Keys anywhere on the page, as in other players; typing in a field and the buttons' own keys come first.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const target = event.target as HTMLElement | null;
      const onControl = target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
      const onSlider = target instanceof HTMLInputElement && target.type === 'range';
      switch (event.key) {
        case ' ':
        case 'k':
        case 'MediaPlayPause':
          if (event.key === ' ' && onControl) return;
          event.preventDefault();
          if (media.current !== null) setAnnouncement(media.current.paused ? 'Playing' : 'Paused');
          toggle();
          return;
        case 'ArrowLeft':
        case 'ArrowRight':
          if (onSlider) return;
          event.preventDefault();
          seekBy(event.key === 'ArrowLeft' ? -ARROW_SEEK : ARROW_SEEK);
          return;
        case 'ArrowUp':
        case 'ArrowDown': {
          if (onSlider) return;
          const element = media.current;
          if (element === null) return;
          event.preventDefault();
          const level = Math.round((element.volume + (event.key === 'ArrowUp' ? 0.1 : -0.1)) * 10) / 10;
          setLevel(level);
          setAnnouncement(`Volume ${Math.round(Math.max(0, Math.min(1, level)) * 100)}%`);
          return;
        }
        case 'm':
          toggleMute();
          return;
        case 'f':
          if (!isAudio) toggleFullscreen();
          return;
        default:
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [toggle, seekBy, setLevel, toggleMute, toggleFullscreen, isAudio]);

  const onLoadedMetadata = () => {
    const element = media.current;
    if (element === null) return;
    const state = session.current;
    state.everLoaded = true;
    setClock({ current: element.currentTime, duration: element.duration });
    // Chromium plays the sound of a file whose picture it cannot decode, and shows black: say so.
    if (!isAudio && item.video_codec !== null && element.videoWidth === 0) {
      setNoPicture(`This browser cannot show the picture of this file (${codecLabel(item.video_codec) ?? item.video_codec}): only the sound plays.`);
    }
    if (state.seekTo !== null) {
      // A fresh stream URL after an interruption: back to where playback was.
      element.currentTime = state.seekTo;
      state.seekTo = null;
    } else if (!state.resumeApplied) {
      state.resumeApplied = true;
      const from = fromStart ? null : resumePosition(item.progress, Number.isFinite(element.duration) ? element.duration : item.duration_seconds);
      if (from !== null) {
        element.currentTime = from;
        setResumedFrom(from);
      }
    }
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
    mediaApi.setProgress(item.id, { watched: true }).catch((caught: unknown) => setSaveProblem(`Your place could not be saved: ${errorText(caught)}`));
    // An album plays on; a show waits for the viewer to choose the next episode.
    if (next !== null && item.type === 'track') navigate(playPath(next.id));
  };

  const onSliderKey = (event: ReactKeyboardEvent<HTMLInputElement>) => {
    // Space on the slider still plays and pauses, as everywhere else on the page.
    if (event.key === ' ') {
      event.preventDefault();
      toggle();
    }
  };

  if (blocked) {
    return (
      <div className="player-blocked" role="alert">
        <MediaIcon name="alert" className="player-blocked-icon" />
        <div>
          <h2>This file cannot play in a browser</h2>
          <p>{verdict.text}</p>
          <div className="button-row">
            <Link to={itemPath(item.id)} className="button-secondary">
              Back to {displayTitle(item)}
            </Link>
            <button type="button" className="button-ghost" onClick={() => setTryAnyway(true)}>
              Try anyway
            </button>
          </div>
        </div>
      </div>
    );
  }

  const duration = Number.isFinite(clock.duration) ? clock.duration : 0;
  const MediaTag = isAudio ? 'audio' : 'video';
  // A video is attached by usePlayback (hls.js or the file); audio keeps its stream URL.
  const ready = isAudio ? src !== null : playback.answer !== null;
  const shownFailure = failure ?? (isAudio ? null : playback.error);

  return (
    <div className={`player${isAudio ? ' player-audio' : ''}`}>
      <div className={`player-stage${playing ? ' is-playing' : ''}`} ref={stage}>
        {isAudio && (
          <div className="player-cover">
            <Poster item={item} shape="square" eager />
          </div>
        )}
        {ready && (
          <MediaTag
            ref={media}
            className="player-media"
            src={isAudio ? (src ?? undefined) : undefined}
            preload="metadata"
            playsInline
            aria-label={displayTitle(item)}
            aria-describedby={helpId}
            onClick={toggle}
            onLoadedMetadata={onLoadedMetadata}
            onDurationChange={(event) => {
              const duration = event.currentTarget.duration;
              setClock((c) => ({ ...c, duration }));
            }}
            onTimeUpdate={(event) => {
              const current = event.currentTarget.currentTime;
              setClock((c) => ({ ...c, current }));
            }}
            onPlaying={() => {
              session.current.started = true;
              setPlaying(true);
              setWaiting(false);
            }}
            onPause={() => {
              setPlaying(false);
              report();
            }}
            onWaiting={() => setWaiting(true)}
            onCanPlay={() => setWaiting(false)}
            onEnded={onEnded}
            onError={onError}
            onVolumeChange={(event) => setVolume({ level: event.currentTarget.volume, muted: event.currentTarget.muted })}
          />
        )}
        {(!ready || (waiting && playing)) && shownFailure === null && (
          <div className="player-overlay" aria-hidden="true">
            <span className="spinner spinner-large" />
          </div>
        )}
        {ready && !playing && !waiting && shownFailure === null && (
          // A large target for mouse and touch; keyboard and screen-reader users have the Play button below.
          <button type="button" className="player-big-play" tabIndex={-1} aria-hidden="true" onClick={toggle}>
            <MediaIcon name="play" />
          </button>
        )}
      </div>

      {shownFailure !== null && (
        <div className="player-blocked" role="alert">
          <MediaIcon name="alert" className="player-blocked-icon" />
          <div>
            <h2>Playback stopped</h2>
            <p>{shownFailure}</p>
            <Link to={itemPath(item.id)} className="button-secondary">
              Back to {displayTitle(item)}
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

      <div className="player-controls" role="group" aria-label="Player controls">
        <button type="button" className="player-button player-button-main" onClick={toggle} aria-label={playing ? 'Pause' : 'Play'} disabled={!ready}>
          <MediaIcon name={playing ? 'pause' : 'play'} />
        </button>
        <button type="button" className="player-button" onClick={() => seekBy(-SKIP_BACK)} aria-label={`Back ${SKIP_BACK} seconds`} disabled={!ready}>
          <MediaIcon name="rewind" />
        </button>
        <button type="button" className="player-button" onClick={() => seekBy(SKIP_FORWARD)} aria-label={`Forward ${SKIP_FORWARD} seconds`} disabled={!ready}>
          <MediaIcon name="forward" />
        </button>
        <span className="player-time" aria-hidden="true">
          {formatClock(clock.current)} / {formatClock(duration)}
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
        <button type="button" className="player-button" onClick={toggleMute} aria-label={volume.muted ? 'Unmute' : 'Mute'} disabled={!ready}>
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
        {!isAudio && (
          <button type="button" className="player-button" onClick={toggleFullscreen} aria-label="Full screen" disabled={!ready}>
            <MediaIcon name="fullscreen" />
          </button>
        )}
      </div>

      {!isAudio && <PlayerMenus playback={playback} />}

      <div className="player-notes">
        {resumedFrom !== null && (
          <p className="player-resumed">
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
        {needsGesture && <p className="player-hint">Press Play to start.</p>}
        {next !== null && (
          <p className="player-next">
            Up next: <Link to={playPath(next.id)}>{displayTitle(next)}</Link>
          </p>
        )}
        {isAudio && verdict.kind === 'no' && <p className="player-hint">{verdict.text}</p>}
        {saveProblem !== null && <Alert kind="error">{saveProblem}</Alert>}
        <p className="player-help muted" id={helpId}>
          Keys: Space plays or pauses, Left and Right skip {ARROW_SEEK} seconds, Up and Down change the volume, M mutes
          {isAudio ? '.' : ', F is full screen.'}
        </p>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {announcement}
      </p>
    </div>
  );
}
