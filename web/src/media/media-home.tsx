import { useEffect, useId, useState } from 'react';
import { errorText } from '../api.ts';
import { mediaApi, type Library, type LibraryKind, type MediaItem } from '../api/media.ts';
import { Alert } from '../components/form.tsx';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { Link } from '../router.tsx';
import { isAdmin, useUser } from '../session.tsx';
import { kindLabels } from './format.ts';
import { MediaIcon, type MediaIconName } from './media-icons.tsx';
import { HomeRows } from './home-rows.tsx';
import { PosterGrid } from './poster.tsx';
import './media.css';

const SEARCH_LIMIT = 48;

const kindIcons: Record<LibraryKind, MediaIconName> = { movies: 'film', shows: 'tv', music: 'music', videos: 'film' };

/** The top of the home page: where the person stopped, their libraries, and a search across them. */
export function MediaHome() {
  const user = useUser();
  const libraries = useResource(mediaApi.libraries);
  const librariesId = useId();

  return (
    <div className="media-home">
      <HomeRows />

      <section className="media-section" aria-labelledby={librariesId}>
        <h2 id={librariesId}>Libraries</h2>
        {libraries.error !== null && <Alert kind="error">{libraries.error}</Alert>}
        {libraries.loading && libraries.data === null ? (
          <Spinner label="Loading libraries…" />
        ) : (libraries.data ?? []).length === 0 ? (
          <p className="muted">
            {isAdmin(user) ? (
              <>
                No libraries yet. <Link to="/admin/libraries">Add a library</Link> with the folders that hold your
                films, shows or music.
              </>
            ) : (
              'No libraries are shared with you yet. Ask the person who runs this server to share one.'
            )}
          </p>
        ) : (
          <ul className="library-list" aria-label="Libraries">
            {(libraries.data ?? []).map((library: Library) => (
              <li key={library.id}>
                <Link to={`/libraries/${encodeURIComponent(library.id)}`} className="library-card">
                  <MediaIcon name={kindIcons[library.kind]} className="library-card-icon" />
                  <span className="library-card-name">{library.name}</span>
                  <span className="library-card-kind">{kindLabels[library.kind]}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>

      {(libraries.data ?? []).length > 0 && <SearchEverything />}
    </div>
  );
}

function SearchEverything() {
  const headingId = useId();
  const inputId = useId();
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<MediaItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const q = query.trim();
    if (q === '') {
      setResults(null);
      return;
    }
    let current = true;
    // Typing is not searching: wait for a pause before asking the server.
    const timer = window.setTimeout(() => {
      mediaApi
        .search(q, SEARCH_LIMIT)
        .then((answer) => {
          if (current) {
            setResults(answer.items);
            setError(null);
          }
        })
        .catch((caught: unknown) => {
          if (current) setError(errorText(caught));
        });
    }, 250);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [query]);

  return (
    <section className="media-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Search</h2>
      <form role="search" className="media-search" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor={inputId} className="visually-hidden">
          Search every library
        </label>
        <MediaIcon name="search" className="media-search-icon" />
        <input
          id={inputId}
          type="search"
          placeholder="Search every library"
          autoComplete="off"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
      </form>
      {error !== null && <Alert kind="error">{error}</Alert>}
      <p className="muted search-status" role="status">
        {results === null
          ? ''
          : results.length === 0
            ? 'Nothing matches.'
            : `${results.length}${results.length === SEARCH_LIMIT ? '+' : ''} found.`}
      </p>
      {results !== null && results.length > 0 && <PosterGrid items={results} label="Search results" />}
    </section>
  );
}
