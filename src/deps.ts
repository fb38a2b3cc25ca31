// Everything a domain function may reach, built once at start and passed down: one clock, one
// random source, one config, one store, one bus.
import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';
import { hostname } from 'node:os';
import { JobRunner, type JobType as RunnerJobType, type RunnerOptions } from './jobs/runner.ts';
import { newId, systemClock, systemRandom, type Clock, type Random } from './crypto.ts';
import { createLocalBus, type EventBus } from './events.ts';
import { clusterNamespace, startCluster } from './cluster/cluster.ts';
import { createPasswordHasher, type PasswordHasher } from './accounts/passwords.ts';
import { passwordKeys } from './accounts/password-keys.ts';
import type { Caller } from './accounts/caller.ts';
import type { RequestContext } from './accounts/caller.ts';
import type { UserWithHash } from './store/users.repository.ts';
import { createLocalThrottle, createStoreThrottle, type Throttle } from './accounts/throttle.ts';
import { migrateToLatest, openStore, type Db, type Store } from './store/db.ts';

export interface Deps {
  config: Config;
  store: Store;
  db: Db;
  clock: Clock;
  random: Random;
  log: Logger;
  passwords: PasswordHasher;
  throttle: Throttle;
  events: EventBus;
  /** The job registry and this process's worker. */
  jobs: JobRunner<Deps>;
  /** Where other modules plug into account flows (the second factor, the new-device alert). */
  hooks: Hooks;
  /** Called in reverse order on close: whatever a module started that must stop. */
  onClose: (() => Promise<void>)[];
}

export interface Hooks {
  secondFactor: SecondFactorGate | null;
  signIn: SignInListener[];
  /** Extra checks on every authenticated request, stream URL tokens included (the 2FA enrolment policy). */
  requestGuards: ((deps: Deps, caller: Caller, route: { method: string; url: string }) => Promise<void>)[];
  /** After an admin made an invite: the invitation mail when it names an address. */
  inviteCreated: ((
    deps: Deps,
    event: {
      invite: { id: string; email: string | null; role: string; expires_at: string };
      url: string;
      inviterId: string;
    },
    now: Date,
  ) => Promise<void>)[];
  /** After a password change or reset: the notice mail. */
  passwordChanged: ((
    deps: Deps,
    event: { userId: string; ctx: RequestContext; via: 'change' | 'reset' },
    now: Date,
  ) => Promise<void>)[];
  /** After a registration with an invite; userId is null when the address already had an account (S10). */
  registered: ((
    deps: Deps,
    event: { userId: string | null; email: string; ctx: RequestContext },
    now: Date,
  ) => Promise<void>)[];
  /** After the account's address changed (it is unverified now): the verification and the notice to the old address. */
  emailChanged: ((
    deps: Deps,
    event: { userId: string; from: string; to: string; ctx: RequestContext },
    now: Date,
  ) => Promise<void>)[];
  /** After an admin (or the CLI) signed a user out everywhere: the notice mail. */
  sessionsRevokedByAdmin: ((
    deps: Deps,
    event: { userId: string; by: string; count: number; ctx: RequestContext },
    now: Date,
  ) => Promise<void>)[];
  /** Checks (spends, and throttles guesses of) a TOTP or recovery code of the user's: 'none' when the account has no second factor. */
  verifySecondFactor:
    | ((deps: Deps, userId: string, code: string, ctx: RequestContext, now: Date) => Promise<'ok' | 'invalid' | 'none'>)
    | null;
  /**
   * After a second factor changed: totp_enabled, totp_disabled, recovery_codes_regenerated, recovery_code_used
   * (with `remaining`), passkey_added, passkey_removed (with the passkey's `name`). The notice mail.
   */
  factorChanged: ((
    deps: Deps,
    event: { userId: string; change: string; ctx: RequestContext; remaining?: number; name?: string },
    now: Date,
  ) => Promise<void>)[];
}

// The contracts of the sign-in hooks: declared here, beside Hooks, so that deps.ts imports no flow.
export interface SignInContext extends RequestContext {
  userAgent?: string;
  /** The marker a browser or device got at an earlier sign-in (cookie or X-Hearth-Device). */
  deviceMarker?: string;
}

export interface DeclaredDevice {
  name?: string;
  platform?: string;
  client?: string;
}

/** Decides what happens after a correct password: the two-factor module plugs in here. */
export type SecondFactorGate = (
  deps: Deps,
  user: UserWithHash,
  pending: PendingSignIn,
  now: Date,
) => Promise<{ mfaToken: string; methods: string[] } | null>;

export interface PendingSignIn {
  userId: string;
  sessionKind: 'web' | 'device';
  device: DeclaredDevice | undefined;
  ctx: SignInContext;
  /** The password this sign-in was let through with (passwordStamp of its hash), or null for a passkey. */
  passwordStamp: string | null;
}

export type SignInListener = (
  deps: Deps,
  event: { userId: string; sessionId: string; newDevice: boolean; device: string | null; ctx: SignInContext },
  now: Date,
) => Promise<void>;

/** A job type of Hearth's: its run() gets the whole deps. */
export type JobType<P = any, C = any> = RunnerJobType<P, C, Deps>;

export interface DepsOverrides {
  clock?: Clock;
  random?: Random;
  log?: Logger;
  events?: EventBus;
  throttle?: Throttle;
  jobs?: RunnerOptions;
}

export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  const store = openStore({
    databaseUrl: config.databaseUrl,
    databaseSchema: config.databaseSchema,
    dataDir: config.dataDir,
  });
  try {
    await migrateToLatest(store, config.databaseSchema);
  } catch (err) {
    await store.close();
    throw err;
  }
  const keys = await passwordKeys(store.db, config.secretKey);
  const log = overrides.log ?? pino({ level: config.logLevel });
  // With Redis, events and throttle counters are shared by every instance on the same store.
  const cluster =
    config.redisUrl && !overrides.events
      ? await startCluster(config.redisUrl, {
          instanceId: newId(overrides.random ?? systemRandom),
          namespace: clusterNamespace(config.databaseSchema),
          log,
          storeThrottle: createStoreThrottle(store.db),
        })
      : null;
  const deps: Deps = {
    config,
    store,
    db: store.db,
    clock: overrides.clock ?? systemClock,
    random: overrides.random ?? systemRandom,
    log,
    passwords: createPasswordHasher({ keys: keys.keys, currentKeyVersion: keys.current }),
    // One process alone on SQLite counts guarded attempts in memory until they fail (see createLocalThrottle).
    throttle:
      overrides.throttle ??
      cluster?.throttle ??
      (store.dialect === 'sqlite' ? createLocalThrottle : createStoreThrottle)(store.db),
    events: overrides.events ?? cluster?.events ?? createLocalBus(),
    jobs: new JobRunner<Deps>(
      `${hostname()}:${process.pid}:${newId(overrides.random ?? systemRandom)}`,
      overrides.jobs,
    ),
    hooks: {
      secondFactor: null,
      signIn: [],
      passwordChanged: [],
      requestGuards: [],
      inviteCreated: [],
      factorChanged: [],
      registered: [],
      emailChanged: [],
      sessionsRevokedByAdmin: [],
      verifySecondFactor: null,
    },
    onClose: [],
  };
  return deps;
}

export async function closeDeps(deps: Deps): Promise<void> {
  for (const close of deps.onClose.reverse()) await close();
  await deps.jobs.stop();
  await deps.events.close();
  await deps.store.close();
}
