// The breach response as a Hearth module: its two jobs, the password hasher that follows key rotations,
// the routes, and the credential stuffing watch of a running server.
import type { Deps } from '../deps.ts';
import { breachRoutes } from '../http/routes/breach.routes.ts';
import type { HearthModule } from '../modules.ts';
import { breachNoticesJobType, breachResponseJobType } from './breach-response.ts';
import { currentPasswordKeyVersion, versionFollowingHasher } from './password-key.ts';
import { startStuffingWatch } from './stuffing.ts';

export const breachModule: HearthModule = {
  name: 'breach',
  async setup(deps: Deps) {
    deps.jobs.register(breachResponseJobType());
    deps.jobs.register(breachNoticesJobType());
    // A rotation by another process (the CLI, another instance) must take effect here at once.
    deps.passwords = versionFollowingHasher(deps.db, deps.config.secretKey, deps.passwords, await currentPasswordKeyVersion(deps.db));
  },
  routes: breachRoutes,
  async start(deps: Deps) {
    return startStuffingWatch(deps);
  },
};
