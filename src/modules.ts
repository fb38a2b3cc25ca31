// The capabilities beyond the account core, each plugged in the same way: hooks into account flows,
// routes, and background work started with the server.
import type { Deps } from './deps.ts';
import type { RouteModule } from './http/app.ts';
import { setupFactors } from './factors/setup.ts';
import { factorsRoutes } from './http/routes/factors.routes.ts';
import { linkingRoutes } from './http/routes/linking.routes.ts';
import { mediaRoutes } from './http/routes/media.routes.ts';
import { subsonicRoutes } from './http/routes/subsonic.routes.ts';
import { playlistsRoutes } from './http/routes/playlists.routes.ts';
import { setupMedia, startMedia } from './media/module.ts';
import { mailModule } from './mail/module.ts';
import { breachModule } from './breach/module.ts';

export interface HearthModule {
  name: string;
  /** Registers hooks on deps (runs for the server, the CLI and tests alike). */
  setup?(deps: Deps): Promise<void> | void;
  routes?: RouteModule;
  /** Background work of a running server (job workers, mail sender); returns how to stop it. */
  start?(deps: Deps): Promise<() => Promise<void>>;
}

export const modules: HearthModule[] = [
  { name: 'factors', setup: setupFactors, routes: factorsRoutes },
  { name: 'linking', routes: linkingRoutes },
  { name: 'media', setup: setupMedia, routes: mediaRoutes, start: startMedia },
  { name: 'subsonic', routes: subsonicRoutes },
  { name: 'playlists', routes: playlistsRoutes },
  mailModule,
  breachModule,
];

export async function setupModules(deps: Deps): Promise<void> {
  for (const module of modules) await module.setup?.(deps);
}

export function moduleRoutes(): RouteModule[] {
  return modules.flatMap((m) => (m.routes ? [m.routes] : []));
}

export async function startModules(deps: Deps): Promise<void> {
  for (const module of modules) {
    if (!module.start) continue;
    const stop = await module.start(deps);
    deps.onClose.push(stop);
  }
}
