// The in-process event bus. With HEARTH_REDIS_URL set, a Redis-backed bus with the same shape
// carries events between instances (see src/cluster).
import { EventEmitter } from 'node:events';

/**
 * Sessions that just ended, on every instance: whatever serves them (a cache, an encoder of a stream bound to one
 * of them) stops. Stream URL tokens name their session, so `sessionIds` covers them too.
 */
export interface RevocationEvent {
  userId: string;
  sessionIds: string[];
  reason: string;
  /** Present when every session of the user went (sign out everywhere, disable, password change, breach response). */
  allOfUser?: true;
}

export interface EventMap {
  revoked: RevocationEvent;
}

export interface EventBus {
  publish<K extends keyof EventMap>(channel: K, payload: EventMap[K]): Promise<void>;
  subscribe<K extends keyof EventMap>(channel: K, handler: (payload: EventMap[K]) => void): () => void;
  close(): Promise<void>;
}

export function createLocalBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    async publish(channel, payload) {
      emitter.emit(channel, payload);
    },
    subscribe(channel, handler) {
      emitter.on(channel, handler as (p: unknown) => void);
      return () => emitter.off(channel, handler as (p: unknown) => void);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
