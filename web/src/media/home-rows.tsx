// The home page's rows from GET /api/v1/me/home: continue watching (the show's name and the episode's
// title on each card, its picture or thumbnail), next up (the next episode of each show in progress), and
// the newest items of each library.
import { useId } from 'react';
import { request } from '../api.ts';
import { Alert } from '../components/form.tsx';
import { useResource } from '../components/resource.ts';
import type { HomeItemView, HomeRows as HomeRowsData } from '../../../src/media/browse.ts';
import { formatClock } from './format.ts';
import { PosterCard } from './poster.tsx';

const ROW_LIMIT = 20;

function episodeCode(item: HomeItemView): string {
  if (item.type !== 'episode' || item.index === null) return '';
  return `S${item.season ?? 0}E${item.index}`;
}

/** "Breaking Bad · S1E2 · 12:30 left": whose episode this is, which one, and how much is left. */
export function homeSubtitle(item: HomeItemView, withTimeLeft: boolean): string {
  const parts: string[] = [];
  if (item.show_title !== null) parts.push(item.show_title);
  const code = episodeCode(item);
  if (code !== '') parts.push(code);
  if (item.type !== 'episode' && item.year !== null) parts.push(String(item.year));
  if (withTimeLeft && item.duration_seconds !== null && item.progress !== null) {
    parts.push(`${formatClock(Math.max(0, item.duration_seconds - item.progress.position_seconds))} left`);
  }
  return parts.join(' · ');
}

function Row({
  title,
  items,
  play,
  withTimeLeft,
}: {
  title: string;
  items: HomeItemView[];
  play: boolean;
  withTimeLeft: boolean;
}) {
  const headingId = useId();
  if (items.length === 0) return null;
  return (
    <section className="media-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      <ul className="poster-row" aria-label={title}>
        {items.map((item) => (
          <li key={item.id}>
            <PosterCard
              item={item}
              to={play ? `/play/${encodeURIComponent(item.id)}` : undefined}
              subtitle={homeSubtitle(item, withTimeLeft)}
              eager
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function HomeRows() {
  const home = useResource(() => request<HomeRowsData>('GET', `/me/home?limit=${ROW_LIMIT}`));
  const data = home.data;
  return (
    <>
      {home.error !== null && <Alert kind="error">{home.error}</Alert>}
      {data !== null && (
        <>
          <Row title="Continue watching" items={data.continue_watching} play withTimeLeft />
          <Row title="Next up" items={data.next_up} play={false} withTimeLeft={false} />
          {data.recently_added.map((row) => (
            <Row
              key={row.library_id}
              title={`Recently added in ${row.library_name}`}
              items={row.items}
              play={false}
              withTimeLeft={false}
            />
          ))}
        </>
      )}
    </>
  );
}
