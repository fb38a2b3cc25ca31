// The media capability's wiring: the scan job type, and folder watching when it is turned on.
import type { Deps } from '../deps.ts';
import { scanJobType } from './scanner.ts';
import { watchLibraries } from './watch.ts';

export function setupMedia(deps: Deps): void {
  deps.jobs.register(scanJobType);
}

export async function startMedia(deps: Deps): Promise<() => Promise<void>> {
  if (!deps.config.watchLibraries) return async () => {};
  return watchLibraries(deps);
}
