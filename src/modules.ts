// The one wiring place: every capability's job types, hooks into the account flows, and background work of a
// running server. Routes are registered in src/http/routes/index.ts; nothing here imports http/.
import { breachNoticesJobType, breachResponseJobType } from './breach/breach-response.ts';
import { currentPasswordKeyVersion, versionFollowingHasher } from './breach/password-key.ts';
import { startStuffingWatch } from './breach/stuffing.ts';
import type { Deps } from './deps.ts';
import { enrolmentGuard } from './factors/policy.ts';
import { secondFactorGate, verifySecondFactorForReset } from './factors/second-factor.ts';
import { registerNotices } from './mail/notices.ts';
import { mailJobType } from './mail/queue.ts';
import { pruneOutbox } from './mail/transports.ts';
import { resetRequestJobType } from './accounts/password-reset.ts';
import { scanJobType } from './media/scanner.ts';
import { thumbnailJobType } from './media/thumbnails.ts';
import { watchLibraries } from './media/watch.ts';
import { startPlayback } from './playback/hls.ts';
import { deleteExpiredMailTokens } from './store/mail.repository.ts';

export interface HearthModule {
  name: string;
  /** Registers job types and hooks on deps (runs for the server, the CLI and tests alike). */
  register?(deps: Deps): Promise<void> | void;
  /** Background work of a running server (watchers, timers); returns how to stop it. */
  start?(deps: Deps): Promise<() => Promise<void>>;
}

const nothingToStop = async () => {};

export const modules: HearthModule[] = [
  {
    name: 'factors',
    register(deps) {
      deps.hooks.secondFactor = secondFactorGate;
      deps.hooks.requestGuards.push(enrolmentGuard);
      deps.hooks.verifySecondFactor = verifySecondFactorForReset;
    },
  },
  {
    name: 'media',
    register(deps) {
      deps.jobs.register(scanJobType);
      deps.jobs.register(thumbnailJobType);
    },
    async start(deps) {
      return deps.config.watchLibraries ? watchLibraries(deps) : nothingToStop;
    },
  },
  {
    name: 'mail',
    register(deps) {
      deps.jobs.register(mailJobType(deps));
      deps.jobs.register(resetRequestJobType());
      registerNotices(deps);
    },
    async start(deps) {
      // Spent and expired mail tokens are kept a day (for the log's sake), then dropped; outbox files, which
      // hold live links in clear, after HEARTH_OUTBOX_KEEP_HOURS.
      const prune = async () => {
        await deleteExpiredMailTokens(deps.db, deps.clock()).catch((err) =>
          deps.log.warn({ err }, 'could not prune mail tokens'),
        );
        try {
          const removed = pruneOutbox(deps.config.dataDir, deps.config.outboxKeepHours * 3600_000, deps.clock());
          if (removed > 0) deps.log.info({ removed }, 'old outbox files deleted');
        } catch (err) {
          deps.log.warn({ err }, 'could not prune the outbox folder');
        }
      };
      const timer = setInterval(prune, 3600_000);
      timer.unref();
      await prune();
      return async () => clearInterval(timer);
    },
  },
  {
    name: 'breach',
    async register(deps) {
      deps.jobs.register(breachResponseJobType());
      deps.jobs.register(breachNoticesJobType());
      // A rotation by another process (the CLI, another instance) must take effect here at once.
      deps.passwords = versionFollowingHasher(
        deps.db,
        deps.config.secretKey,
        deps.passwords,
        await currentPasswordKeyVersion(deps.db),
      );
    },
    async start(deps) {
      return startStuffingWatch(deps);
    },
  },
  {
    // The segment cache emptied at start, revocations followed, idle encoders stopped (issue 14).
    name: 'playback',
    start: startPlayback,
  },
];

export async function registerModules(deps: Deps): Promise<void> {
  for (const module of modules) await module.register?.(deps);
}

export async function startModules(deps: Deps): Promise<void> {
  for (const module of modules) {
    if (!module.start) continue;
    const stop = await module.start(deps);
    deps.onClose.push(stop);
  }
}
