import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { api, errorText, type User } from '../api.ts';
import { libraryKinds, mediaApi, type Library, type LibraryKind, type ScanJob } from '../api/media.ts';
import { Alert, Field, onSubmit, SubmitButton, useAction } from '../components/form.tsx';
import { formatAgo } from '../components/format.ts';
import { Spinner } from '../components/page.tsx';
import { useResource } from '../components/resource.ts';
import { Section } from '../components/section.tsx';
import { kindLabels } from '../media/format.ts';
import { MediaIcon } from '../media/media-icons.tsx';
import { Link } from '../router.tsx';
import '../media/media.css';

/** How often a running scan is asked how far it got. */
const POLL_MS = 500;

const kindHints: Record<LibraryKind, string> = {
  movies: 'One film per file or per folder, named like "Title (Year)".',
  shows: 'A folder per show, with "Season 01" folders or S01E02 in the file names.',
  music: 'Artist and album folders; the files’ own tags come first.',
  videos: 'Home videos and anything else, listed by file name.',
};

export function LibrariesPage() {
  const libraries = useResource(mediaApi.libraries);
  const [notice, setNotice] = useState<string | null>(null);
  // The library whose first scan the notice speaks of: the notice goes when that scan ends.
  const [scanning, setScanning] = useState<string | null>(null);

  const changed = async (message: string, scanningId: string | null = null) => {
    setNotice(message);
    setScanning(scanningId);
    await libraries.reload();
  };

  return (
    <>
      <Section
        id="libraries"
        title="Libraries"
        description="Folders on this server that Hearth lists, and what people can watch."
      >
        <div aria-live="polite">{notice !== null && <Alert kind="success">{notice}</Alert>}</div>
        {libraries.error !== null && <Alert kind="error">{libraries.error}</Alert>}
        {libraries.loading && libraries.data === null ? (
          <Spinner label="Loading libraries…" />
        ) : (libraries.data ?? []).length === 0 ? (
          <p className="muted">No libraries yet. Add the first one below.</p>
        ) : (
          <ul className="admin-library-list" aria-label="Libraries">
            {(libraries.data ?? []).map((library) => (
              <li key={library.id}>
                <LibraryCard
                  library={library}
                  onChanged={changed}
                  onScanEnded={() => {
                    if (scanning === library.id) {
                      setNotice(null);
                      setScanning(null);
                    }
                  }}
                />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section
        id="add-library"
        title="Add a library"
        description="Hearth only reads these folders: it never changes, moves or deletes a file."
      >
        <AddLibraryForm
          onCreated={async (library, scanStarted) => {
            if (scanStarted) await changed(`${library.name} is added. Its first scan is running.`, library.id);
            else await changed(`${library.name} is added. Scan it to list its files.`);
          }}
        />
      </Section>
      <Section
        id="library-access"
        title="Who sees what"
        description="Members see only the libraries shared with them. Admins and the owner see every library."
      >
        <GrantsTable libraries={libraries.data ?? []} />
      </Section>
    </>
  );
}

function AddLibraryForm({ onCreated }: { onCreated: (library: Library, scanStarted: boolean) => Promise<void> }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<LibraryKind>('movies');
  const [folders, setFolders] = useState('');
  const kindId = useId();
  const foldersId = useId();

  const create = useAction(
    useCallback(async () => {
      const paths = folders
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      const library = await mediaApi.admin.createLibrary({ name: name.trim(), kind, paths });
      setName('');
      setFolders('');
      // A new library is scanned at once: nobody adds folders to look at an empty library.
      const scanStarted = await mediaApi.admin.scan(library.id).then(
        () => true,
        () => false,
      );
      await onCreated(library, scanStarted);
    }, [name, kind, folders, onCreated]),
  );

  return (
    <form className="form-grid admin-library-form" onSubmit={onSubmit(create)}>
      {create.message !== null && <Alert kind="error">{create.message}</Alert>}
      <Field
        label="Name"
        value={name}
        onChange={(event) => setName(event.target.value)}
        required
        maxLength={100}
        autoComplete="off"
      />
      <div className="field">
        <label htmlFor={kindId}>Kind</label>
        <select
          id={kindId}
          value={kind}
          onChange={(event) => setKind(event.target.value as LibraryKind)}
          aria-describedby={`${kindId}-hint`}
        >
          {libraryKinds.map((value) => (
            <option key={value} value={value}>
              {kindLabels[value]}
            </option>
          ))}
        </select>
        <p className="hint" id={`${kindId}-hint`}>
          {kindHints[kind]}
        </p>
      </div>
      <div className="field">
        <label htmlFor={foldersId}>Folders</label>
        <textarea
          id={foldersId}
          value={folders}
          onChange={(event) => setFolders(event.target.value)}
          rows={3}
          required
          spellCheck={false}
          autoCapitalize="none"
          placeholder="/srv/media/films"
          aria-describedby={`${foldersId}-hint`}
        />
        <p className="hint" id={`${foldersId}-hint`}>
          Full paths on the server, one per line.
        </p>
      </div>
      <div className="form-actions">
        <SubmitButton busy={create.busy}>Add library</SubmitButton>
      </div>
    </form>
  );
}

function LibraryCard({
  library,
  onChanged,
  onScanEnded,
}: {
  library: Library;
  onChanged: (message: string) => Promise<void>;
  onScanEnded?: () => void;
}) {
  const [mode, setMode] = useState<'view' | 'rename' | 'remove'>('view');
  const [name, setName] = useState(library.name);
  const headingId = useId();

  const rename = useAction(
    useCallback(async () => {
      const renamed = await mediaApi.admin.renameLibrary(library.id, name.trim());
      setMode('view');
      await onChanged(`${library.name} is now called ${renamed.name}.`);
    }, [library, name, onChanged]),
  );

  const remove = useAction(
    useCallback(async () => {
      await mediaApi.admin.removeLibrary(library.id);
      await onChanged(`${library.name} is removed. Its files are still on disk.`);
    }, [library, onChanged]),
  );

  return (
    <article className="admin-library" aria-labelledby={headingId}>
      <header className="admin-library-header">
        <h3 id={headingId}>
          <Link to={`/libraries/${encodeURIComponent(library.id)}`}>{library.name}</Link>
        </h3>
        <span className="badge">{kindLabels[library.kind]}</span>
      </header>
      <ul className="admin-library-folders" aria-label={`Folders of ${library.name}`}>
        {(library.paths ?? []).map((path) => (
          <li key={path}>
            <MediaIcon name="folder" />
            <code>{path}</code>
          </li>
        ))}
      </ul>

      <ScanPanel library={library} onEnded={onScanEnded} />

      {mode === 'rename' && (
        <form className="form-inline" onSubmit={onSubmit(rename)}>
          {rename.message !== null && <Alert kind="error">{rename.message}</Alert>}
          <Field
            label={`New name for ${library.name}`}
            value={name}
            onChange={(event) => setName(event.target.value)}
            required
            maxLength={100}
            autoFocus
          />
          <div className="form-actions">
            <SubmitButton busy={rename.busy}>Save name</SubmitButton>
            <button type="button" className="button-ghost" onClick={() => setMode('view')}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {mode === 'remove' && (
        <div className="confirm-panel" role="group" aria-label={`Remove ${library.name}`}>
          <p>
            Remove <strong>{library.name}</strong>? Hearth forgets what it listed and everyone’s watch progress in it.
            The files on disk are not touched.
          </p>
          {remove.message !== null && <Alert kind="error">{remove.message}</Alert>}
          <div className="button-row">
            <button
              type="button"
              className="button-danger"
              onClick={() => void remove.run()}
              disabled={remove.busy}
              aria-busy={remove.busy}
            >
              Remove {library.name}
            </button>
            <button type="button" className="button-ghost" onClick={() => setMode('view')}>
              Keep it
            </button>
          </div>
        </div>
      )}
      {mode === 'view' && (
        <div className="button-row">
          <button type="button" className="button-secondary button-small" onClick={() => setMode('rename')}>
            Rename<span className="visually-hidden"> {library.name}</span>
          </button>
          <button type="button" className="button-ghost button-small" onClick={() => setMode('remove')}>
            Remove<span className="visually-hidden"> {library.name}</span>
          </button>
        </div>
      )}
    </article>
  );
}

const phaseLabels: Record<string, string> = {
  walk: 'Looking for files',
  write: 'Saving what was found',
  probe: 'Reading the files',
  artwork: 'Matching artwork',
  done: 'Finishing',
};

const running = (job: ScanJob | null) => job !== null && (job.state === 'queued' || job.state === 'running');

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The latest scan of a library: start one, follow it while it runs, and what it found and skipped. */
function ScanPanel({ library, onEnded }: { library: Library; onEnded?: () => void }) {
  const [job, setJob] = useState<ScanJob | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const mounted = useRef(true);
  const endedRef = useRef(onEnded);
  endedRef.current = onEnded;

  useEffect(() => {
    mounted.current = true;
    mediaApi.admin
      .latestScan(library.id)
      .then(({ job: latest }) => {
        if (!mounted.current) return;
        setJob(latest);
        setLoaded(true);
        // Already over by the time the card appeared (a small folder): as good as seeing it end.
        if (latest !== null && !running(latest)) endedRef.current?.();
      })
      .catch((caught: unknown) => {
        if (mounted.current) setFailure(errorText(caught));
      });
    return () => {
      mounted.current = false;
    };
  }, [library.id]);

  const jobId = job?.id ?? null;
  const active = running(job);
  const wasActive = useRef(false);
  useEffect(() => {
    if (active) wasActive.current = true;
    else if (wasActive.current) {
      wasActive.current = false;
      endedRef.current?.();
    }
  }, [active]);
  useEffect(() => {
    if (!active || jobId === null) return;
    let stopped = false;
    let timer = 0;
    const poll = async () => {
      try {
        const { job: next } = await mediaApi.admin.scanJob(library.id, jobId);
        if (stopped) return;
        setJob(next);
        if (running(next)) timer = window.setTimeout(() => void poll(), POLL_MS);
      } catch (caught) {
        if (!stopped) setFailure(errorText(caught));
      }
    };
    timer = window.setTimeout(() => void poll(), POLL_MS);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [active, jobId, library.id]);

  const scan = async () => {
    setStarting(true);
    setFailure(null);
    try {
      const { job_id } = await mediaApi.admin.scan(library.id);
      const { job: started } = await mediaApi.admin.scanJob(library.id, job_id);
      if (mounted.current) setJob(started);
    } catch (caught) {
      if (mounted.current) setFailure(errorText(caught));
    } finally {
      if (mounted.current) setStarting(false);
    }
  };

  const progress = job?.state === 'done' ? job.result : job?.progress;
  const phase = job?.progress?.phase;
  let headline: string;
  if (!loaded) headline = 'Checking the last scan…';
  else if (job === null) headline = 'Never scanned.';
  else if (job.state === 'queued') headline = 'Scan waiting to start…';
  else if (job.state === 'running') headline = `Scanning: ${phaseLabels[phase ?? ''] ?? 'starting'}…`;
  else if (job.state === 'done') headline = `Scan finished ${formatAgo(job.finished_at)}.`;
  else if (job.state === 'cancelled') headline = 'The last scan was stopped.';
  else headline = `The last scan failed: ${job.error ?? 'no reason given'}.`;

  const skipped = job?.state === 'done' ? (job.result?.skipped ?? []) : [];
  const failed = progress?.failed ?? 0;

  return (
    <div className={`scan-panel${active ? ' scan-panel-active' : ''}`}>
      <div className="scan-panel-head">
        <p className="scan-headline" role="status">
          {active && <span className="spinner" aria-hidden="true" />}
          {headline}
        </p>
        <button
          type="button"
          className="button-primary button-small"
          onClick={() => void scan()}
          disabled={active || starting}
          aria-busy={starting}
        >
          <MediaIcon name="scan" />
          {active ? 'Scanning…' : 'Scan now'}
          <span className="visually-hidden"> {library.name}</span>
        </button>
      </div>
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {progress != null && job !== null && (
        <>
          {active && phase === 'probe' && (progress.to_probe ?? 0) > 0 && (
            <progress
              className="scan-progress"
              max={progress.to_probe}
              value={progress.probed ?? 0}
              aria-label={`Files read: ${progress.probed ?? 0} of ${progress.to_probe}`}
            />
          )}
          <p className="scan-counts muted">
            {[
              plural(progress.walked ?? 0, 'file') + ' found',
              `${progress.added ?? 0} added`,
              `${progress.updated ?? 0} changed`,
              `${progress.moved ?? 0} moved`,
              `${progress.removed ?? 0} removed`,
              (progress.to_probe ?? 0) > 0 ? `${progress.probed ?? 0} of ${progress.to_probe} read` : null,
              failed > 0 ? `${failed} skipped` : null,
            ]
              .filter(Boolean)
              .join(' · ')}
          </p>
        </>
      )}
      {skipped.length > 0 && (
        <details className="scan-skipped">
          <summary>
            {plural(failed > skipped.length ? failed : skipped.length, 'file')} skipped
            {failed > skipped.length ? ` (the first ${skipped.length} listed)` : ''}
          </summary>
          <ul aria-label={`Files skipped in ${library.name}`}>
            {skipped.map((file) => (
              <li key={file.path}>
                <code>{file.path}</code>
                <span className="scan-skipped-reason">{file.reason}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** For each member, the libraries shared with them; admins see everything and are only listed. */
function GrantsTable({ libraries }: { libraries: Library[] }) {
  const users = useResource(api.admin.users);
  const [notice, setNotice] = useState<string | null>(null);
  const members = (users.data ?? []).filter((user) => user.role === 'member');

  if (users.loading && users.data === null) return <Spinner label="Loading people…" />;
  if (users.error !== null) return <Alert kind="error">{users.error}</Alert>;
  if (libraries.length === 0) return <p className="muted">Add a library first.</p>;
  if (members.length === 0) return <p className="muted">No members yet: invite people from the Users tab.</p>;
  return (
    <>
      <div aria-live="polite">{notice !== null && <Alert kind="success">{notice}</Alert>}</div>
      <div className="grant-list">
        {members.map((user) => (
          <UserGrants key={user.id} user={user} libraries={libraries} onSaved={setNotice} />
        ))}
      </div>
    </>
  );
}

function UserGrants({
  user,
  libraries,
  onSaved,
}: {
  user: User;
  libraries: Library[];
  onSaved: (message: string) => void;
}) {
  const [granted, setGranted] = useState<Set<string> | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const name = user.display_name ?? user.username;

  useEffect(() => {
    let current = true;
    mediaApi.admin
      .userLibraries(user.id)
      .then(({ library_ids }) => {
        if (current) setGranted(new Set(library_ids));
      })
      .catch((caught: unknown) => {
        if (current) setFailure(errorText(caught));
      });
    return () => {
      current = false;
    };
  }, [user.id]);

  const toggle = async (library: Library, allow: boolean) => {
    if (granted === null) return;
    const next = new Set(granted);
    if (allow) next.add(library.id);
    else next.delete(library.id);
    const before = granted;
    // The box shows the choice at once; it goes back if the server refuses.
    setGranted(next);
    setPending(library.id);
    setFailure(null);
    try {
      const { library_ids } = await mediaApi.admin.setUserLibraries(user.id, [...next]);
      setGranted(new Set(library_ids));
      onSaved(allow ? `${name} can now see ${library.name}.` : `${name} no longer sees ${library.name}.`);
    } catch (caught) {
      setGranted(before);
      setFailure(errorText(caught));
    } finally {
      setPending(null);
    }
  };

  return (
    <fieldset className="grant-user">
      <legend>
        {name}
        {user.display_name !== null && <span className="muted"> ({user.username})</span>}
      </legend>
      {failure !== null && <Alert kind="error">{failure}</Alert>}
      {granted === null && failure === null ? (
        <Spinner label="Loading…" />
      ) : (
        <div className="grant-choices">
          {libraries.map((library) => (
            <label key={library.id} className="grant-choice">
              <input
                type="checkbox"
                checked={granted?.has(library.id) ?? false}
                disabled={pending !== null || granted === null}
                onChange={(event) => void toggle(library, event.target.checked)}
              />
              {library.name}
            </label>
          ))}
        </div>
      )}
    </fieldset>
  );
}
