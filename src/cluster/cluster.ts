// What several instances share beyond the database: one Redis for events and throttle counters.
import type { Logger } from 'pino';
import type { Throttle } from '../accounts/throttle.ts';
import type { EventBus } from '../events.ts';
import { createRedisBus } from './redis-bus.ts';
import { RedisLink } from './redis-link.ts';
import { createRedisThrottle } from './redis-throttle.ts';

export interface ClusterParts {
  events: EventBus;
  throttle: Throttle;
}

/**
 * The Redis namespace of the instances that share one store: `hearth`, or `hearth:<schema>` when the
 * store is a PostgreSQL schema of its own, so two deployments in two schemas never mix counters or events.
 */
export function clusterNamespace(databaseSchema: string | null): string {
  return databaseSchema ? `hearth:${databaseSchema}` : 'hearth';
}

/** Connects to Redis (or goes on degraded, retrying, when it does not answer) and builds the shared parts. */
export async function startCluster(
  redisUrl: string,
  options: { instanceId: string; namespace: string; log: Logger; storeThrottle: Throttle },
): Promise<ClusterParts> {
  const link = new RedisLink({
    url: redisUrl,
    instanceId: options.instanceId,
    namespace: options.namespace,
    log: options.log,
  });
  await link.start();
  return {
    events: createRedisBus(link),
    throttle: createRedisThrottle(link, options.storeThrottle, options.log),
  };
}
