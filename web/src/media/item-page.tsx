import { useId, useState, type ReactNode } from 'react';
import { errorText } from '../api.ts';
import { mediaApi, type Library, type MediaItem, type MediaItemDetail } from '../api/media.ts';
import { Alert } from '../components/form.tsx';
import { formatDateTime } from '../components/format.ts';
import { Page, Spinner } from '../components/page.tsx';
import { NotFoundPage } from '../pages/not-found.tsx';
import { Link } from '../router.tsx';
import {
  childrenLabel,
  codecLabel,
  containerLabel,
  displayTitle,
  episodeCode,
  formatClock,
  formatDuration,
  formatSize,
  itemSubtitle,
  playbackVerdict,
  progressShare,
  resolutionLabel,
  resumePosition,
  typeLabels,
  type Verdict,
} from './format.ts';
import { MediaIcon } from './media-icons.tsx';
import { Poster, PosterGrid, posterShape, ProgressBar, WatchedMark } from './poster.tsx';
import { isNotFound, useLoad } from './use-load.ts';
import './media.css';

export const itemPath = (id: string) => `/items/${encodeURIComponent(id)}`;
export const playPath = (id: string, fromStart = false) =>
  `/play/${encodeURIComponent(id)}${fromStart ? '?start=0' : ''}`;

/** The library and the groups above an item (show and season, artist and album), for the breadcrumbs. */
export interface Trail {
  library: Library | null;
  /** From the top (show, artist) down to the parent, each with its children. */
  ancestors: MediaItemDetail[];
}

export function useTrail(item: MediaItem | null): Trail {
  const key = item === null ? '' : item.id;
  const loaded = useLoad(key, async (): Promise<Trail> => {
    if (item === null) return { library: null, ancestors: [] };
    const ancestors: MediaItemDetail[] = [];
    let parentId = item.parent_id;
    // Shows and artists sit two levels up at most; the bound keeps a broken tree from looping.
    while (parentId !== null && ancestors.length < 3) {
      const parent = await mediaApi.item(parentId);
      ancestors.unshift(parent);
      parentId = parent.parent_id;
    }
    const library = await mediaApi.library(item.library_id).catch(() => null);
    return { library, ancestors };
  });
  return loaded.data ?? { library: null, ancestors: [] };
}

/** The item after this one in its season or album, for "up next". */
export function nextInParent(trail: Trail, item: MediaItem): MediaItem | null {
  const parent = trail.ancestors[trail.ancestors.length - 1];
  if (parent === undefined || parent.id !== item.parent_id || (parent.type !== 'season' && parent.type !== 'album'))
    return null;
  const index = parent.children.findIndex((child) => child.id === item.id);
  return index < 0 ? null : (parent.children[index + 1] ?? null);
}

/** A track without a picture of its own shows its album's cover. */
export function coverFor<T extends MediaItem>(item: T, trail: Trail): T | MediaItemDetail {
  if (item.has_artwork || item.type !== 'track') return item;
  return [...trail.ancestors].reverse().find((ancestor) => ancestor.has_artwork) ?? item;
}

/** Music is played, everything else watched. */
export function isMusic(item: Pick<MediaItem, 'type'>): boolean {
  return item.type === 'artist' || item.type === 'album' || item.type === 'track';
}

export function Breadcrumbs({ trail, current }: { trail: Trail; current?: string }) {
  if (trail.library === null) return null;
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumbs">
      <ol>
        <li>
          <Link to={`/libraries/${encodeURIComponent(trail.library.id)}`}>{trail.library.name}</Link>
        </li>
        {trail.ancestors.map((ancestor) => (
          <li key={ancestor.id}>
            <Link to={itemPath(ancestor.id)}>{displayTitle(ancestor)}</Link>
          </li>
        ))}
        {current !== undefined && (
          <li>
            <span aria-current="page">{current}</span>
          </li>
        )}
      </ol>
    </nav>
  );
}

function canPlayHere(type: string): string {
  return document.createElement('video').canPlayType(type);
}

export function verdictFor(item: MediaItem): Verdict {
  const verdict = playbackVerdict(item, canPlayHere);
  // A film this browser cannot decode still plays: the server remuxes or transcodes it (playback.ts).
  if (verdict.kind === 'no' && item.playable && item.video_codec !== null) {
    const why = verdict.text.replace(/ Play it in an app that reads the file directly\.$/, '');
    return { kind: 'maybe', text: `${why} Hearth converts it for this browser as it plays.` };
  }
  return verdict;
}

export function ItemPage({ id }: { id: string }) {
  const loaded = useLoad(id, () => mediaApi.item(id));
  const trail = useTrail(loaded.data);
  if (isNotFound(loaded.error)) return <NotFoundPage />;
  if (loaded.data === null) {
    return (
      <Page title="Loading…">
        {loaded.error !== null ? <Alert kind="error">{errorText(loaded.error)}</Alert> : <Spinner />}
      </Page>
    );
  }
  return <ItemView item={loaded.data} trail={trail} reload={loaded.reload} />;
}

/** Year, length and picture, the line under the title. */
function summaryLine(item: MediaItem, trail: Trail): string {
  const season = trail.ancestors.find((ancestor) => ancestor.type === 'season');
  const parts: (string | null)[] = [typeLabels[item.type]];
  if (item.type === 'episode')
    parts.push(episodeCode(season?.index ?? null, item.index, item.index_end) || item.air_date);
  if (item.type === 'track' && item.artist !== null) parts.push(item.artist);
  parts.push(item.year === null ? null : String(item.year));
  if (item.edition !== null) parts.push(item.edition);
  if (item.part !== null) parts.push(`Part ${item.part}`);
  parts.push(formatDuration(item.duration_seconds) || null);
  parts.push(resolutionLabel(item.width, item.height));
  return parts.filter((part): part is string => part !== null && part !== '').join(' · ');
}

function ItemView({ item, trail, reload }: { item: MediaItemDetail; trail: Trail; reload: () => Promise<void> }) {
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const childrenId = useId();
  const title = displayTitle(item);
  const watched = item.progress?.watched === true;
  const word = isMusic(item) ? 'played' : 'watched';

  const toggleWatched = async () => {
    setBusy(true);
    setNotice(null);
    setFailure(null);
    try {
      await mediaApi.setProgress(item.id, { watched: !watched });
      await reload();
      const what = item.playable ? title : `Everything in ${title}`;
      setNotice(`${what}: marked as ${watched ? 'not ' : ''}${word}.`);
    } catch (caught) {
      setFailure(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const watchedButton = (
    <button
      type="button"
      className="button-secondary"
      onClick={() => void toggleWatched()}
      disabled={busy}
      aria-busy={busy}
    >
      {watched ? <MediaIcon name="check" /> : null}
      {watched ? `Mark as not ${word}` : `Mark as ${word}`}
    </button>
  );
  const first = firstToPlay(item);

  const grandparent = trail.ancestors.find((ancestor) => ancestor.type === 'show' || ancestor.type === 'artist');
  const lead = [grandparent === undefined ? null : displayTitle(grandparent), summaryLine(item, trail)]
    .filter(Boolean)
    .join(' · ');

  return (
    <Page title={title} lead={lead}>
      <Breadcrumbs trail={trail} />
      <div className={`item-hero item-hero-${item.type}`}>
        <div className="item-poster">
          <Poster item={coverFor(item, trail)} shape={posterShape(item.type)} eager />
        </div>
        <div className="item-info">
          {item.playable ? (
            <PlayActions item={item}>{watchedButton}</PlayActions>
          ) : (
            <div className="button-row">
              {first !== null && (
                <Link to={playPath(first.item.id)} className="button-primary">
                  <MediaIcon name="play" />
                  {first.label}
                </Link>
              )}
              {watchedButton}
            </div>
          )}
          <div className="item-notices" aria-live="polite">
            {notice !== null && <Alert kind="success">{notice}</Alert>}
          </div>
          {failure !== null && <Alert kind="error">{failure}</Alert>}
          {item.playable && <ItemFacts item={item} />}
          {!item.playable && item.child_count > 0 && (
            <p className="item-count muted">{childrenLabel(item.type, item.child_count)}</p>
          )}
        </div>
      </div>

      {item.children.length > 0 && (
        <section className="media-section" aria-labelledby={childrenId}>
          <h2 id={childrenId}>{childrenHeading(item)}</h2>
          <Children item={item} />
        </section>
      )}
      {!item.playable && item.children.length === 0 && <p className="muted">Nothing here yet.</p>}
    </Page>
  );
}

/** Where "play" on a season or an album starts: the first episode not watched yet, the first track. */
function firstToPlay(item: MediaItemDetail): { item: MediaItem; label: string } | null {
  if (item.type === 'album' && item.children.length > 0) return { item: item.children[0], label: 'Play album' };
  if (item.type !== 'season' || item.children.length === 0) return null;
  const unwatched = item.children.find((child) => child.progress?.watched !== true);
  if (unwatched === undefined || unwatched === item.children[0])
    return { item: item.children[0], label: 'Play first episode' };
  return {
    item: unwatched,
    label: `Play ${episodeCode(item.index, unwatched.index, unwatched.index_end) || unwatched.title}`,
  };
}

function childrenHeading(item: MediaItem): string {
  switch (item.type) {
    case 'show':
      return 'Seasons';
    case 'season':
      return 'Episodes';
    case 'artist':
      return 'Albums';
    case 'album':
      return 'Tracks';
    default:
      return 'Extras';
  }
}

function PlayActions({ item, children }: { item: MediaItem; children: ReactNode }) {
  const verdict = verdictFor(item);
  const resume = resumePosition(item.progress, item.duration_seconds);
  const share = progressShare(item);
  return (
    <div className="play-actions">
      <p className={`verdict verdict-${verdict.kind}`}>
        <MediaIcon name={verdict.kind === 'no' ? 'alert' : 'check'} />
        <span>{verdict.text}</span>
      </p>
      {share !== null && resume !== null && (
        <div className="item-progress">
          <ProgressBar share={share} label={`${Math.round(share * 100)}% watched`} />
          <span className="muted">
            Stopped at {formatClock(resume)} of {formatClock(item.duration_seconds)}
          </span>
        </div>
      )}
      <div className="button-row">
        {resume !== null ? (
          <>
            <Link to={playPath(item.id)} className="button-primary">
              <MediaIcon name="play" />
              Resume from {formatClock(resume)}
            </Link>
            <Link to={playPath(item.id, true)} className="button-secondary">
              Play from the start
            </Link>
          </>
        ) : (
          <Link to={playPath(item.id)} className="button-primary">
            <MediaIcon name="play" />
            {verdict.kind === 'no' ? 'Try to play' : 'Play'}
          </Link>
        )}
        {children}
      </div>
    </div>
  );
}

function ItemFacts({ item }: { item: MediaItem }) {
  const video = [
    codecLabel(item.video_codec),
    resolutionLabel(item.width, item.height),
    item.width !== null && item.height !== null ? `${item.width}×${item.height}` : null,
  ]
    .filter((part, index, all) => part !== null && all.indexOf(part) === index)
    .join(' · ');
  const facts: [string, string | null][] = [
    ['Length', formatDuration(item.duration_seconds) || null],
    ['Video', video || null],
    ['Audio', codecLabel(item.audio_codec)],
    ['Format', containerLabel(item.container)],
    ['Size', formatSize(item.size) || null],
    ['Artist', item.type === 'track' ? item.artist : null],
    ['First aired', item.air_date],
    ['Added', formatDateTime(item.added_at)],
  ];
  const shown = facts.filter((fact): fact is [string, string] => fact[1] !== null && fact[1] !== '');
  if (item.video_codec === null && item.audio_codec === null) {
    shown.push(['Details', 'Not analysed yet: the next full scan reads them.']);
  }
  return (
    <dl className="facts item-facts">
      {shown.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Children({ item }: { item: MediaItemDetail }) {
  if (item.type === 'season') return <EpisodeList items={item.children} season={item.index} />;
  if (item.type === 'album') return <TrackList items={item.children} />;
  return <PosterGrid items={item.children} label={childrenHeading(item)} />;
}

function EpisodeList({ items, season }: { items: MediaItem[]; season: number | null }) {
  return (
    <ol className="episode-list" aria-label="Episodes">
      {items.map((episode) => {
        const share = progressShare(episode);
        return (
          <li key={episode.id}>
            <Link to={itemPath(episode.id)} className="episode">
              <span className="episode-thumb">
                <Poster item={episode} shape="wide" />
                {episode.progress?.watched === true && <WatchedMark />}
                {share !== null && <ProgressBar share={share} label={`${Math.round(share * 100)}% watched`} />}
              </span>
              <span className="episode-text">
                <span className="episode-code">{itemSubtitle(episode, season)}</span>
                <span className="episode-title">{episode.title}</span>
                <span className="episode-meta muted">
                  {[formatDuration(episode.duration_seconds), episode.air_date].filter(Boolean).join(' · ')}
                </span>
              </span>
            </Link>
          </li>
        );
      })}
    </ol>
  );
}

function TrackList({ items }: { items: MediaItem[] }) {
  const discs = new Set(items.map((track) => track.disc ?? 1));
  return (
    <ol className="track-list" aria-label="Tracks">
      {items.map((track) => (
        <li key={track.id} className="track">
          <span className="track-number" aria-hidden="true">
            {discs.size > 1 && track.disc !== null ? `${track.disc}.` : ''}
            {track.index ?? ''}
          </span>
          <Link to={playPath(track.id)} className="track-title">
            <span className="visually-hidden">Play </span>
            {track.title}
          </Link>
          <span className="track-mark">{track.progress?.watched === true && <WatchedMark />}</span>
          <span className="track-artist muted">{track.artist ?? ''}</span>
          <span className="track-length muted">
            {track.duration_seconds === null ? '' : formatClock(track.duration_seconds)}
          </span>
          <Link to={itemPath(track.id)} className="track-details">
            Details<span className="visually-hidden"> of {track.title}</span>
          </Link>
        </li>
      ))}
    </ol>
  );
}
