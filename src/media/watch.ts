// Optional watching of library folders (HEARTH_WATCH_LIBRARIES=true): a change anywhere under a
// library queues a scan of it once things have been quiet for a moment. The scan does the real work
// (it is incremental), so the watcher only needs to know that something changed, not what.
import { watch, type FSWatcher } from 'node:fs';
import type { Deps } from '../deps.ts';
import { listLibraryRows } from '../store/media.repository.ts';
import { libraryPaths } from './libraries.ts';
import { requestScan } from './scanner.ts';
import { isIgnoredName } from './walk.ts';

export interface WatchOptions {
  /** Quiet time after the last change before the scan is queued (a copy in progress sends many events). */
  debounceMs?: number;
  /** How often the set of watched folders is brought in line with the libraries. */
  resyncMs?: number;
}

export function watchLibraries(deps: Deps, options: WatchOptions = {}): () => Promise<void> {
  const debounceMs = options.debounceMs ?? 5000;
  const watchers = new Map<string, { libraryId: string; watcher: FSWatcher }>();
  const timers = new Map<string, NodeJS.Timeout>();
  let stopped = false;

  const schedule = (libraryId: string) => {
    clearTimeout(timers.get(libraryId));
    const timer = setTimeout(() => {
      timers.delete(libraryId);
      requestScan(deps, libraryId, { probe: true }, deps.clock()).catch((err) =>
        deps.log.warn({ err, library: libraryId }, 'could not queue a scan after a change'),
      );
    }, debounceMs);
    timer.unref();
    timers.set(libraryId, timer);
  };

  const resync = async () => {
    if (stopped) return;
    const wanted = new Map<string, string>();
    for (const library of await listLibraryRows(deps.db, null)) {
      for (const path of libraryPaths(library)) wanted.set(`${library.id}\0${path}`, library.id);
    }
    if (stopped) return;
    for (const [key, entry] of watchers) {
      if (!wanted.has(key)) {
        entry.watcher.close();
        watchers.delete(key);
      }
    }
    for (const [key, libraryId] of wanted) {
      if (watchers.has(key)) continue;
      const path = key.slice(key.indexOf('\0') + 1);
      try {
        const watcher = watch(path, { recursive: true, persistent: false }, (_event, filename) => {
          const name = filename ? (String(filename).split(/[\\/]/).pop() ?? '') : '';
          if (name !== '' && isIgnoredName(name)) return;
          schedule(libraryId);
        });
        // A folder that went away: forget it; the next resync tries again.
        watcher.on('error', () => {
          watcher.close();
          watchers.delete(key);
        });
        watchers.set(key, { libraryId, watcher });
      } catch (err) {
        deps.log.warn({ err, path }, 'cannot watch a library folder');
      }
    }
  };

  const run = () => resync().catch((err) => deps.log.warn({ err }, 'could not update the library watchers'));
  void run();
  const interval = setInterval(run, options.resyncMs ?? 30_000);
  interval.unref();

  return async () => {
    stopped = true;
    clearInterval(interval);
    for (const timer of timers.values()) clearTimeout(timer);
    for (const { watcher } of watchers.values()) watcher.close();
    watchers.clear();
  };
}
