// "Now playing": who plays what through the server's encoders, how (remux or transcode) and why, the
// encoder's speed, and a button to stop a stream. Refreshed every five seconds.
import { useEffect, useState } from 'react';
import { errorText, request } from '../api.ts';
import { Alert } from '../components/form.tsx';
import { formatAgo } from '../components/format.ts';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { Table } from '../components/table.tsx';
import type { NowPlayingListView, NowPlayingView } from '../../../src/wire/playback.ts';

type NowPlaying = NowPlayingView;

const loadNowPlaying = () => request<NowPlayingListView>('GET', '/admin/playback');

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export function NowPlayingPage() {
  const now = useResource(loadNowPlaying);
  const [problem, setProblem] = useState<string | null>(null);
  const [stopped, setStopped] = useState<string | null>(null);
  const { reload } = now;
  useEffect(() => {
    const timer = window.setInterval(() => void reload(), 5000);
    return () => window.clearInterval(timer);
  }, [reload]);

  const stop = async (stream: NowPlaying) => {
    setProblem(null);
    try {
      await request<{ ok: true }>('DELETE', `/admin/playback/${encodeURIComponent(stream.id)}`);
      setStopped(`Stopped ${stream.title} for ${stream.username}.`);
      await reload();
    } catch (caught) {
      setProblem(errorText(caught));
    }
  };

  const data = now.data;
  return (
    <Section
      id="now-playing"
      title="Now playing"
      description="Films and episodes the server repackages or converts right now. Files played as they are need no encoder and are not listed."
    >
      {now.error !== null && <Alert kind="error">{now.error}</Alert>}
      {problem !== null && <Alert kind="error">{problem}</Alert>}
      <p role="status" className="muted">
        {stopped ?? ''}
      </p>
      {data === null ? (
        <Spinner label="Loading what plays…" />
      ) : (
        <>
          <p>
            Encoders busy: {data.encoders.active} of {data.encoders.max}. Segment cache:{' '}
            {Math.round(data.cache_bytes / (1024 * 1024))} MB.
          </p>
          {data.streams.length === 0 ? (
            <p className="muted">Nothing is being converted right now.</p>
          ) : (
            <Table columns={['Who', 'What', 'How', 'Why', 'Encoder', 'Last asked']} actions>
              {data.streams.map((stream) => (
                <tr key={stream.id}>
                  <td>{stream.username}</td>
                  <td>
                    {stream.title} <span className="muted">at {clock(stream.position_seconds)}</span>
                  </td>
                  <td>
                    {stream.method === 'transcode' ? 'Transcode' : stream.method === 'remux' ? 'Remux' : stream.method}
                  </td>
                  <td>{stream.reason}</td>
                  <td>
                    {stream.encoding
                      ? stream.speed !== null
                        ? `${stream.speed.toFixed(1)}× real time`
                        : 'starting'
                      : 'idle'}
                  </td>
                  <td>{formatAgo(stream.last_request_at)}</td>
                  <td>
                    <button
                      type="button"
                      className="button-secondary"
                      onClick={() => void stop(stream)}
                      aria-label={`Stop ${stream.title} for ${stream.username}`}
                    >
                      Stop
                    </button>
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </>
      )}
    </Section>
  );
}
