// The media capability's wiring: the scan job type, and folder watching when it is turned on.
import type { Deps } from '../deps.ts';
import { scanJobType } from './scanner.ts';
import { thumbnailJobType } from './thumbnails.ts';
import { watchLibraries } from './watch.ts';

export function setupMedia(deps: Deps): void {
  deps.jobs.register(scanJobType);
  deps.jobs.register(thumbnailJobType);
}

export async function startMedia(deps: Deps): Promise<() => Promise<void>> {
  if (!deps.config.watchLibraries) return async () => {};
  return watchLibraries(deps);
}
