// The player's quality, audio and subtitle menus, and the info panel that says how the file plays and why.
import { useId, useState } from 'react';
import { QUALITIES, type PlaybackState, type Quality } from './playback.ts';

const METHOD_WORDS = {
  direct: 'Direct play: the file as it is.',
  remux: 'Repackaged: the picture is copied, not converted.',
  transcode: 'Converted by the server (transcode).',
} as const;

export function PlayerMenus({ playback }: { playback: PlaybackState }) {
  const id = useId();
  const [info, setInfo] = useState(false);
  const answer = playback.answer;
  if (answer === null) return null;
  const selectedAudio = answer.audio.find((a) => a.selected)?.track ?? answer.audio[0]?.track ?? 0;
  return (
    <div className="player-menus" role="group" aria-label="Playback settings">
      <label htmlFor={`${id}-quality`}>Quality</label>
      <select
        id={`${id}-quality`}
        value={playback.quality}
        disabled={playback.loading}
        onChange={(event) => playback.setQuality(event.target.value as Quality)}
      >
        {QUALITIES.map((q) => (
          <option key={q.value} value={q.value}>
            {q.label}
          </option>
        ))}
      </select>
      {answer.audio.length > 0 && (
        <>
          <label htmlFor={`${id}-audio`}>Audio</label>
          <select
            id={`${id}-audio`}
            value={selectedAudio}
            disabled={playback.loading || answer.audio.length < 2}
            onChange={(event) => playback.setAudio(Number(event.target.value))}
          >
            {answer.audio.map((a) => (
              <option key={a.track} value={a.track}>
                {a.label}
              </option>
            ))}
          </select>
        </>
      )}
      <label htmlFor={`${id}-subtitles`}>Subtitles</label>
      <select
        id={`${id}-subtitles`}
        value={playback.subtitle ?? ''}
        disabled={playback.loading}
        onChange={(event) => playback.setSubtitle(event.target.value === '' ? null : event.target.value)}
      >
        <option value="">Off</option>
        {answer.subtitles.map((s) => (
          <option key={s.id} value={s.id}>
            {s.label}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="button-link"
        aria-expanded={info}
        aria-controls={`${id}-info`}
        onClick={() => setInfo((v) => !v)}
      >
        {info ? 'Hide playback info' : 'Playback info'}
      </button>
      {info && (
        <div className="player-info" id={`${id}-info`} data-testid="playback-info">
          <p>
            <strong>{METHOD_WORDS[answer.method]}</strong>
          </p>
          <p>{answer.reason}</p>
        </div>
      )}
      {playback.error !== null && (
        <p className="player-hint" role="alert">
          {playback.error}
        </p>
      )}
    </div>
  );
}
