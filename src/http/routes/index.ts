// Every route file of the API, registered in one place: the answer to "where are the routes?".
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.ts';
import { adminRoutes } from './admin.routes.ts';
import { authRoutes } from './auth.routes.ts';
import { breachRoutes } from './breach.routes.ts';
import { factorsRoutes } from './factors.routes.ts';
import { linkingRoutes } from './linking.routes.ts';
import { mailRoutes } from './mail.routes.ts';
import { meRoutes } from './me.routes.ts';
import { mediaRoutes } from './media.routes.ts';
import { playbackRoutes } from './playback.routes.ts';
import { mailLinkRoutes } from './mail-links.routes.ts';
import { systemRoutes } from './system.routes.ts';

export type RouteFile = (app: FastifyInstance, deps: Deps) => void;

export const routeFiles: RouteFile[] = [
  systemRoutes,
  authRoutes,
  meRoutes,
  adminRoutes,
  factorsRoutes,
  linkingRoutes,
  mediaRoutes,
  playbackRoutes,
  mailLinkRoutes,
  mailRoutes,
  breachRoutes,
];

export function registerRoutes(app: FastifyInstance, deps: Deps): void {
  for (const routes of routeFiles) routes(app, deps);
}
