// The event bus across instances: every publish reaches this instance's subscribers at once (in
// process) and every other instance through one Redis channel. A message that comes back from Redis
// to the instance that sent it is dropped there, so each subscriber sees each event once. While the link
// is down, events reach this instance only: a request that revokes a session never waits on a Redis that
// may be hung rather than gone (its commands time out after a second anyway).
import { EventEmitter } from 'node:events';
import type { EventBus } from '../events.ts';
import type { RedisLink } from './redis-link.ts';

export function createRedisBus(link: RedisLink): EventBus {
  const local = new EventEmitter();
  local.setMaxListeners(0);
  link.onMessage((envelope) => {
    if (envelope.kind === 'event' && typeof envelope.channel === 'string')
      local.emit(envelope.channel, envelope.payload);
  });
  return {
    async publish(channel, payload) {
      // Sent before local subscribers run, so one of them failing does not keep the others uninformed.
      const remote = link.isHealthy() ? link.publish({ kind: 'event', channel, payload }) : null;
      try {
        local.emit(channel, payload);
      } finally {
        if (remote) await remote;
      }
    },
    subscribe(channel, handler) {
      local.on(channel, handler as (p: unknown) => void);
      return () => local.off(channel, handler as (p: unknown) => void);
    },
    async close() {
      local.removeAllListeners();
      await link.close();
    },
  };
}
