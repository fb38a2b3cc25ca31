// Mail as a Hearth module: the send and reset-request jobs, the notices hooked into account flows, and
// the routes of the flows that arrive by mail.
import type { Deps } from '../deps.ts';
import { mailRoutes } from '../http/routes/mail.routes.ts';
import { recoveryRoutes } from '../http/routes/recovery.routes.ts';
import type { HearthModule } from '../modules.ts';
import { deleteExpiredMailTokens } from '../store/mail.repository.ts';
import { registerNotices } from './notices.ts';
import { mailJobType } from './queue.ts';
import { resetRequestJobType } from './recovery.ts';

export const mailModule: HearthModule = {
  name: 'mail',
  setup(deps: Deps) {
    deps.jobs.register(mailJobType(deps));
    deps.jobs.register(resetRequestJobType());
    registerNotices(deps);
  },
  routes(app, deps) {
    recoveryRoutes(app, deps);
    mailRoutes(app, deps);
  },
  async start(deps: Deps) {
    // Spent and expired mail tokens are kept a day (for the log's sake), then dropped.
    const prune = () => deleteExpiredMailTokens(deps.db, deps.clock()).catch((err) => deps.log.warn({ err }, 'could not prune mail tokens'));
    const timer = setInterval(prune, 3600_000);
    timer.unref();
    await prune();
    return async () => clearInterval(timer);
  },
};
