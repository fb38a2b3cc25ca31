import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { errorText } from '../api.ts';
import {
  mediaApi,
  type ItemQuery,
  type ItemSort,
  type ItemType,
  type Library,
  type LibraryKind,
  type MediaItem,
} from '../api/media.ts';
import { Alert } from '../components/form.tsx';
import { Page, Spinner } from '../components/page.tsx';
import { NotFoundPage } from '../pages/not-found.tsx';
import { Link } from '../router.tsx';
import { kindLabels } from './format.ts';
import { MediaIcon } from './media-icons.tsx';
import { PosterGrid } from './poster.tsx';
import { isNotFound, useLoad } from './use-load.ts';
import './media.css';

const PAGE_SIZE = 60;

const sortChoices = [
  { value: 'title-asc', label: 'Title, A to Z' },
  { value: 'title-desc', label: 'Title, Z to A' },
  { value: 'added-desc', label: 'Recently added' },
  { value: 'added-asc', label: 'First added' },
  { value: 'year-desc', label: 'Year, newest first' },
  { value: 'year-asc', label: 'Year, oldest first' },
] as const;
type SortChoice = (typeof sortChoices)[number]['value'];

/** What a library can list besides its top level: a shows library its episodes, a music one albums and tracks. */
const views: Record<LibraryKind, { value: '' | ItemType; label: string }[]> = {
  movies: [{ value: '', label: 'Movies' }],
  shows: [
    { value: '', label: 'Shows' },
    { value: 'episode', label: 'Episodes' },
  ],
  music: [
    { value: '', label: 'Artists' },
    { value: 'album', label: 'Albums' },
    { value: 'track', label: 'Tracks' },
  ],
  videos: [{ value: '', label: 'Videos' }],
};

interface Filters {
  q: string;
  sort: SortChoice;
  watched: '' | 'true' | 'false';
  view: '' | ItemType;
}

function readFilters(search: URLSearchParams, kind: LibraryKind): Filters {
  const sort = search.get('sort');
  const watched = search.get('watched');
  const view = search.get('view') ?? '';
  return {
    q: search.get('q') ?? '',
    sort: sortChoices.some((choice) => choice.value === sort) ? (sort as SortChoice) : 'title-asc',
    watched: watched === 'true' || watched === 'false' ? watched : '',
    view: views[kind].some((choice) => choice.value === view) ? (view as Filters['view']) : '',
  };
}

function toQuery(filters: Filters, offset: number): ItemQuery {
  const [sort, order] = filters.sort.split('-') as [ItemSort, 'asc' | 'desc'];
  const q = filters.q.trim();
  return {
    q: q === '' ? undefined : q,
    sort,
    order,
    watched: filters.watched === '' ? undefined : filters.watched === 'true',
    type: filters.view === '' ? undefined : filters.view,
    limit: PAGE_SIZE,
    offset,
  };
}

/**
 * The filters live in the address, so Back returns to the same view; written with replaceState rather
 * than navigate(), which would move focus to the heading on every keystroke in the search box.
 */
function writeFilters(filters: Filters): void {
  const params = new URLSearchParams();
  if (filters.q.trim() !== '') params.set('q', filters.q.trim());
  if (filters.sort !== 'title-asc') params.set('sort', filters.sort);
  if (filters.watched !== '') params.set('watched', filters.watched);
  if (filters.view !== '') params.set('view', filters.view);
  const search = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${search === '' ? '' : `?${search}`}`);
}

export function LibraryPage({ id }: { id: string }) {
  const library = useLoad(id, () => mediaApi.library(id));
  // An unknown library and one not shared with this person look the same, as on the server.
  if (isNotFound(library.error)) return <NotFoundPage />;
  if (library.data === null) {
    return (
      <Page title="Library">
        {library.error !== null ? (
          <Alert kind="error">{errorText(library.error)}</Alert>
        ) : (
          <Spinner label="Loading the library…" />
        )}
      </Page>
    );
  }
  return <LibraryView key={library.data.id} library={library.data} />;
}

interface Listing {
  items: MediaItem[];
  total: number;
  loading: boolean;
  error: string | null;
}

function LibraryView({ library }: { library: Library }) {
  const [filters, setFilters] = useState<Filters>(() =>
    readFilters(new URLSearchParams(location.search), library.kind),
  );
  // The search box answers at once; the query follows after a pause in typing.
  const [typed, setTyped] = useState(filters.q);
  const [listing, setListing] = useState<Listing>({ items: [], total: 0, loading: true, error: null });
  const generation = useRef(0);
  const sentinel = useRef<HTMLDivElement>(null);
  const ids = { search: useId(), sort: useId(), watched: useId(), view: useId(), count: useId() };

  useEffect(() => {
    const timer = window.setTimeout(
      () => setFilters((current) => (current.q === typed ? current : { ...current, q: typed })),
      300,
    );
    return () => window.clearTimeout(timer);
  }, [typed]);

  useEffect(() => writeFilters(filters), [filters]);

  const load = useCallback(
    async (offset: number) => {
      const mine = ++generation.current;
      setListing((current) => ({
        ...current,
        loading: true,
        error: null,
        ...(offset === 0 ? { items: [], total: 0 } : {}),
      }));
      try {
        const page = await mediaApi.items(library.id, toQuery(filters, offset));
        if (mine !== generation.current) return;
        setListing((current) => ({
          items: offset === 0 ? page.items : [...current.items, ...page.items],
          total: page.total,
          loading: false,
          error: null,
        }));
      } catch (caught) {
        if (mine !== generation.current) return;
        setListing((current) => ({ ...current, loading: false, error: errorText(caught) }));
      }
    },
    [library.id, filters],
  );

  useEffect(() => {
    void load(0);
  }, [load]);

  const more = listing.items.length < listing.total;
  const loadMore = useCallback(() => {
    if (!listing.loading && more && listing.error === null) void load(listing.items.length);
  }, [listing.loading, listing.error, listing.items.length, more, load]);

  // Infinite scroll: the next page is asked for before the end of the grid comes into view.
  useEffect(() => {
    const target = sentinel.current;
    if (target === null || !more || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) loadMore();
      },
      { rootMargin: '800px 0px' },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [more, loadMore]);

  const viewChoices = views[library.kind];
  const viewLabel = viewChoices.find((choice) => choice.value === filters.view)?.label ?? viewChoices[0].label;
  const countText =
    listing.loading && listing.items.length === 0
      ? 'Loading…'
      : listing.total === 0
        ? 'Nothing here.'
        : `Showing ${listing.items.length} of ${listing.total}.`;
  const filtered = filters.q.trim() !== '' || filters.watched !== '';

  return (
    <Page title={library.name} lead={kindLabels[library.kind]}>
      <form
        className="library-toolbar"
        role="search"
        aria-label={`Filter ${library.name}`}
        onSubmit={(event) => event.preventDefault()}
      >
        <div className="field library-search">
          <label htmlFor={ids.search}>Search</label>
          <span className="input-with-icon">
            <MediaIcon name="search" className="input-icon" />
            <input
              id={ids.search}
              type="search"
              autoComplete="off"
              placeholder={`Search ${library.name}`}
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
            />
          </span>
        </div>
        {viewChoices.length > 1 && (
          <div className="field">
            <label htmlFor={ids.view}>Show</label>
            <select
              id={ids.view}
              value={filters.view}
              onChange={(event) => setFilters({ ...filters, view: event.target.value as Filters['view'] })}
            >
              {viewChoices.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor={ids.sort}>Sort by</label>
          <select
            id={ids.sort}
            value={filters.sort}
            onChange={(event) => setFilters({ ...filters, sort: event.target.value as SortChoice })}
          >
            {sortChoices.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.watched}>Watched</label>
          <select
            id={ids.watched}
            value={filters.watched}
            onChange={(event) => setFilters({ ...filters, watched: event.target.value as Filters['watched'] })}
          >
            <option value="">All</option>
            <option value="false">Not watched</option>
            <option value="true">Watched</option>
          </select>
        </div>
      </form>

      <p className="library-count muted" id={ids.count} role="status">
        {countText}
      </p>
      {listing.error !== null && <Alert kind="error">{listing.error}</Alert>}

      {listing.items.length > 0 && <PosterGrid items={listing.items} label={`${library.name}: ${viewLabel}`} />}

      {!listing.loading && listing.items.length === 0 && listing.error === null && (
        <div className="empty-state">
          <p>{filtered ? 'Nothing matches these filters.' : 'This library is empty.'}</p>
          {filtered && (
            <button
              type="button"
              className="button-secondary"
              onClick={() => {
                setTyped('');
                setFilters({ ...filters, q: '', watched: '' });
              }}
            >
              Clear the filters
            </button>
          )}
          {!filtered && (
            <p className="muted">
              Files appear here after a scan. <Link to="/">Back to the home page</Link>
            </p>
          )}
        </div>
      )}

      <div ref={sentinel} className="library-sentinel" aria-hidden="true" />
      {listing.loading && listing.items.length > 0 && <Spinner label="Loading more…" />}
      {more && !listing.loading && (
        <div className="library-more">
          <button type="button" className="button-secondary" onClick={loadMore} aria-describedby={ids.count}>
            Load more
          </button>
        </div>
      )}
    </Page>
  );
}
