import { useState, type ReactNode } from 'react';
import { artworkUrl, type ItemType, type MediaItem } from '../api/media.ts';
import { Link } from '../router.tsx';
import { displayTitle, itemSubtitle, progressShare, typeLabels } from './format.ts';
import { MediaIcon, type MediaIconName } from './media-icons.tsx';
import './media.css';

export type PosterShape = 'tall' | 'wide' | 'square';

/** Films and shows are tall posters, episodes and loose videos frames, music square covers. */
export function posterShape(type: ItemType): PosterShape {
  switch (type) {
    case 'episode':
    case 'video':
    case 'extra':
      return 'wide';
    case 'artist':
    case 'album':
    case 'track':
      return 'square';
    default:
      return 'tall';
  }
}

const typeIcons: Record<ItemType, MediaIconName> = {
  movie: 'film',
  show: 'tv',
  season: 'tv',
  episode: 'tv',
  artist: 'music',
  album: 'disc',
  track: 'music',
  video: 'film',
  extra: 'film',
};

// Placeholders get one of a few colours from the title, so a wall of them is not one flat grey. A class,
// not a style attribute: the CSP allows no inline styles.
const HUES = 8;
function hueOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (hash * 31 + text.charCodeAt(i)) | 0;
  return Math.abs(hash) % HUES;
}

function initialsOf(title: string): string {
  const words = title
    .replace(/^(the|a|an)\s+/i, '')
    .split(/\s+/)
    .filter(Boolean);
  return words
    .slice(0, 2)
    .map((word) => [...word][0]?.toUpperCase() ?? '')
    .join('');
}

/** The artwork of an item, or a placeholder with its initials when it has none or it fails to load. */
export function Poster({
  item,
  shape = posterShape(item.type),
  eager = false,
}: {
  item: MediaItem;
  shape?: PosterShape;
  eager?: boolean;
}) {
  const [failed, setFailed] = useState(false);
  const showArt = item.has_artwork && !failed;
  return (
    <span className={`poster poster-${shape}${showArt ? '' : ` poster-empty poster-hue-${hueOf(item.title)}`}`}>
      {showArt ? (
        <img
          src={artworkUrl(item.id)}
          alt=""
          loading={eager ? 'eager' : 'lazy'}
          decoding="async"
          onError={() => setFailed(true)}
        />
      ) : (
        <span className="poster-placeholder" aria-hidden="true">
          <MediaIcon name={typeIcons[item.type]} className="poster-placeholder-icon" />
          <span className="poster-initials">{initialsOf(item.title)}</span>
        </span>
      )}
    </span>
  );
}

export function ProgressBar({ share, label }: { share: number; label: string }) {
  return <progress className="watch-progress" max={100} value={Math.round(share * 100)} aria-label={label} />;
}

export function WatchedMark() {
  return (
    <span className="watched-mark" title="Watched">
      <MediaIcon name="check" />
      <span className="visually-hidden">Watched</span>
    </span>
  );
}

interface PosterCardProps {
  item: MediaItem;
  /** Where the card leads: the item page, or the player for "continue watching". */
  to?: string;
  subtitle?: string;
  eager?: boolean;
  extra?: ReactNode;
}

/** One poster in a grid or row: a single link holding the artwork, the title and a line about it. */
export function PosterCard({
  item,
  to = `/items/${encodeURIComponent(item.id)}`,
  subtitle,
  eager,
  extra,
}: PosterCardProps) {
  const share = progressShare(item);
  const line = subtitle ?? itemSubtitle(item);
  const title = displayTitle(item);
  return (
    <Link to={to} className={`poster-card poster-card-${posterShape(item.type)}`}>
      <span className="poster-frame">
        <Poster item={item} eager={eager} />
        {item.progress?.watched === true && <WatchedMark />}
        {share !== null && <ProgressBar share={share} label={`${Math.round(share * 100)}% watched`} />}
      </span>
      <span className="poster-title" title={title}>
        {title}
      </span>
      {line !== '' && <span className="poster-subtitle">{line}</span>}
      <span className="visually-hidden">, {typeLabels[item.type]}</span>
      {extra}
    </Link>
  );
}

export function PosterGrid({
  items,
  label,
  cardProps,
}: {
  items: MediaItem[];
  label: string;
  cardProps?: (item: MediaItem) => Partial<PosterCardProps>;
}) {
  return (
    <ul className="poster-grid" aria-label={label}>
      {items.map((item, index) => (
        <li key={item.id}>
          <PosterCard item={item} eager={index < 12} {...cardProps?.(item)} />
        </li>
      ))}
    </ul>
  );
}
