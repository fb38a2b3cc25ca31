// The audio player: a queue with next/previous, shuffle and repeat, the album's cover, and the next track
// fetched ahead into a second <audio> element so it starts the moment the current one ends (as gapless as a
// browser allows without Web Audio decoding).
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { artworkUrl, mediaApi } from '../api/media.ts';
import type { PlaylistTrack } from '../api/playlists.ts';
import { formatClock } from './format.ts';

export type QueueTrack = Pick<PlaylistTrack, 'id' | 'title' | 'artist' | 'album' | 'album_id' | 'duration_seconds'>;
type Repeat = 'off' | 'all' | 'one';

function shuffled(length: number, first: number): number[] {
  const rest = Array.from({ length }, (_, i) => i).filter((i) => i !== first);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  return [first, ...rest];
}

export function AudioPlayer({
  tracks,
  start = 0,
  onClose,
}: {
  tracks: QueueTrack[];
  start?: number;
  onClose?: () => void;
}) {
  const [shuffle, setShuffle] = useState(false);
  const [repeat, setRepeat] = useState<Repeat>('off');
  const [order, setOrder] = useState<number[]>(() => tracks.map((_, i) => i));
  const [position, setPosition] = useState(() => Math.max(0, Math.min(start, tracks.length - 1)));
  const [failure, setFailure] = useState<string | null>(null);
  const players = [useRef<HTMLAudioElement>(null), useRef<HTMLAudioElement>(null)];
  const [active, setActive] = useState(0);
  const preloaded = useRef<{ slot: number; trackId: string } | null>(null);

  const current = tracks[order[position] ?? 0];
  const nextPosition = useMemo(() => {
    if (repeat === 'one') return position;
    if (position + 1 < order.length) return position + 1;
    return repeat === 'all' ? 0 : null;
  }, [position, order.length, repeat]);

  useEffect(() => {
    setOrder(shuffle ? shuffled(tracks.length, order[position] ?? 0) : tracks.map((_, i) => i));
    setPosition(shuffle ? 0 : (order[position] ?? 0));
    // Only a change of the shuffle switch reorders.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shuffle]);

  const load = useCallback(async (el: HTMLAudioElement, trackId: string) => {
    const { url } = await mediaApi.streamUrl(trackId);
    el.src = url;
    el.load();
  }, []);

  // The current track: taken from the preloaded element when it holds it, else loaded now.
  useEffect(() => {
    if (!current) return;
    setFailure(null);
    const ahead = preloaded.current;
    if (ahead && ahead.trackId === current.id) {
      preloaded.current = null;
      setActive(ahead.slot);
      players[1 - ahead.slot]!.current?.pause();
      void players[ahead.slot]!.current?.play().catch(() => {});
      return;
    }
    const el = players[active]!.current;
    if (!el) return;
    load(el, current.id)
      .then(() => el.play())
      .catch(() => setFailure('This track cannot be played here.'));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current?.id, position]);

  // The next track waits, loaded, in the other element.
  useEffect(() => {
    if (nextPosition === null || nextPosition === position) return;
    const next = tracks[order[nextPosition]!];
    const slot = 1 - active;
    const el = players[slot]!.current;
    if (!next || !el) return;
    preloaded.current = { slot, trackId: next.id };
    void load(el, next.id).catch(() => {
      preloaded.current = null;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [nextPosition, active, order]);

  const go = (to: number | null) => {
    if (to === null) return;
    if (to === position) {
      const el = players[active]!.current;
      if (el) {
        el.currentTime = 0;
        void el.play();
      }
      return;
    }
    setPosition(to);
  };
  const previous = () => {
    const el = players[active]!.current;
    if (el && el.currentTime > 3) el.currentTime = 0;
    else go(position > 0 ? position - 1 : repeat === 'all' ? order.length - 1 : 0);
  };

  if (!current) return null;
  return (
    <section className="audio-player" aria-label="Audio player">
      <div className="audio-now">
        {current.album_id && (
          <img className="audio-cover" src={artworkUrl(current.album_id)} alt="" width={96} height={96} />
        )}
        <div>
          <p className="audio-title">{current.title}</p>
          <p className="muted">{[current.artist, current.album].filter(Boolean).join(' — ')}</p>
        </div>
      </div>
      {[0, 1].map((slot) => (
        // biome-ignore lint/a11y/useMediaCaption: music has no captions; lyrics are shown apart
        <audio
          key={slot}
          ref={players[slot]}
          controls={slot === active}
          hidden={slot !== active}
          preload="auto"
          onEnded={slot === active ? () => go(nextPosition) : undefined}
        />
      ))}
      {failure && <p role="alert">{failure}</p>}
      <div className="audio-controls" role="group" aria-label="Queue controls">
        <button type="button" onClick={previous}>
          Previous
        </button>
        <button
          type="button"
          onClick={() => go(nextPosition ?? (position + 1 < order.length ? position + 1 : null))}
          disabled={nextPosition === null}
        >
          Next
        </button>
        <button type="button" aria-pressed={shuffle} onClick={() => setShuffle((v) => !v)}>
          Shuffle
        </button>
        <button type="button" onClick={() => setRepeat((r) => (r === 'off' ? 'all' : r === 'all' ? 'one' : 'off'))}>
          Repeat: {repeat === 'off' ? 'off' : repeat === 'all' ? 'all' : 'this track'}
        </button>
        {onClose && (
          <button type="button" onClick={onClose}>
            Close player
          </button>
        )}
      </div>
      <ol className="audio-queue" aria-label="Queue">
        {order.map((index, at) => {
          const track = tracks[index]!;
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: a queue may hold one track twice
            <li key={`${track.id}-${at}`} aria-current={at === position ? 'true' : undefined}>
              <button type="button" className="link-button" onClick={() => go(at)}>
                {track.title}
              </button>
              <span className="muted">
                {' '}
                {track.artist ?? ''} {track.duration_seconds === null ? '' : formatClock(track.duration_seconds)}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
