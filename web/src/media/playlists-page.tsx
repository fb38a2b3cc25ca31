// Playlists in the web app: list and make them, open one, add songs found by search, remove, reorder by
// removing and adding, and play it in the audio player (in order or shuffled).
import { useState } from 'react';
import { errorText } from '../api.ts';
import { mediaApi, type MediaItem } from '../api/media.ts';
import { playlistsApi, type PlaylistDetail } from '../api/playlists.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { Page, Spinner } from '../components/page.tsx';
import { Link, navigate } from '../router.tsx';
import { AudioPlayer } from './audio-player.tsx';
import { formatClock, formatDuration } from './format.ts';
import { useLoad } from './use-load.ts';

export function PlaylistsPage() {
  const list = useLoad('playlists', playlistsApi.list);
  const [name, setName] = useState('');
  const create = useAction(async () => {
    const made = await playlistsApi.create(name.trim());
    setName('');
    navigate(`/playlists/${encodeURIComponent(made.id)}`);
  });
  return (
    <Page title="Playlists" lead="Your playlists, the same ones your music apps show.">
      {list.loading && <Spinner />}
      {list.error !== null && <Alert kind="error">{errorText(list.error)}</Alert>}
      {list.data && list.data.length === 0 && <p className="muted">No playlists yet.</p>}
      {list.data && list.data.length > 0 && (
        <ul className="playlist-list">
          {list.data.map((p) => (
            <li key={p.id}>
              <Link to={`/playlists/${encodeURIComponent(p.id)}`}>{p.name}</Link>
              <span className="muted">
                {' '}
                {p.song_count} {p.song_count === 1 ? 'song' : 'songs'}, {formatDuration(p.duration_seconds)}
                {p.own ? '' : ` · by ${p.owner}`}
              </span>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={onSubmit(create)} className="inline-form">
        <Field label="New playlist" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        <SubmitButton busy={create.busy}>Make playlist</SubmitButton>
      </form>
      {create.message && <Alert kind="error">{create.message}</Alert>}
    </Page>
  );
}

export function PlaylistPage({ id }: { id: string }) {
  const loaded = useLoad(id, () => playlistsApi.get(id));
  const [playlist, setPlaylist] = useState<PlaylistDetail | null>(null);
  const [playing, setPlaying] = useState<{ start: number; shuffle: boolean } | null>(null);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<MediaItem[]>([]);
  const shown = playlist ?? loaded.data;

  const change = useAction(async (edit: Parameters<typeof playlistsApi.update>[1]) => {
    setPlaylist(await playlistsApi.update(id, edit));
  });
  const search = useAction(async () => {
    const res = await mediaApi.search(query.trim(), 20);
    setFound(res.items.filter((item) => item.type === 'track'));
  });
  const remove = useAction(async () => {
    await playlistsApi.remove(id);
    navigate('/playlists');
  });

  if (loaded.loading && !shown) return <Spinner />;
  if (!shown)
    return (
      <Page title="Playlist">{loaded.error !== null && <Alert kind="error">{errorText(loaded.error)}</Alert>}</Page>
    );
  return (
    <Page
      title={shown.name}
      lead={`${shown.song_count} songs, ${formatDuration(shown.duration_seconds)}${shown.own ? '' : ` · by ${shown.owner}`}`}
    >
      <p>
        <Link to="/playlists">All playlists</Link>
      </p>
      {shown.tracks.length > 0 && (
        <div className="button-row">
          <button type="button" onClick={() => setPlaying({ start: 0, shuffle: false })}>
            Play
          </button>
          <button
            type="button"
            onClick={() => setPlaying({ start: Math.floor(Math.random() * shown.tracks.length), shuffle: true })}
          >
            Shuffle
          </button>
        </div>
      )}
      {playing && (
        <AudioPlayer
          key={`${playing.start}-${playing.shuffle}`}
          tracks={shown.tracks}
          start={playing.start}
          onClose={() => setPlaying(null)}
        />
      )}
      {change.message && <Alert kind="error">{change.message}</Alert>}
      <ol className="track-list" aria-label="Songs">
        {shown.tracks.map((track, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a playlist may hold one track twice
          <li key={`${track.id}-${index}`} className="track">
            <button
              type="button"
              className="link-button track-title"
              onClick={() => setPlaying({ start: index, shuffle: false })}
            >
              {track.title}
            </button>
            <span className="track-artist muted">{track.artist ?? ''}</span>
            <span className="track-length muted">
              {track.duration_seconds === null ? '' : formatClock(track.duration_seconds)}
            </span>
            {shown.own && (
              <button type="button" onClick={() => void change.run({ remove_indexes: [index] })} disabled={change.busy}>
                Remove<span className="visually-hidden"> {track.title}</span>
              </button>
            )}
          </li>
        ))}
      </ol>
      {shown.own && (
        <>
          <form onSubmit={onSubmit(search)} className="inline-form" role="search">
            <Field label="Find songs to add" value={query} onChange={(e) => setQuery(e.target.value)} required />
            <SubmitButton busy={search.busy}>Search</SubmitButton>
          </form>
          {found.length > 0 && (
            <ul aria-label="Songs found">
              {found.map((item) => (
                <li key={item.id}>
                  {item.title} <span className="muted">{item.artist ?? ''}</span>{' '}
                  <button type="button" onClick={() => void change.run({ add: [item.id] })} disabled={change.busy}>
                    Add<span className="visually-hidden"> {item.title}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          <p>
            <button type="button" className="danger" onClick={() => void remove.run()} disabled={remove.busy}>
              Delete playlist
            </button>
          </p>
        </>
      )}
    </Page>
  );
}
