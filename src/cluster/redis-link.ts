// The two Redis connections of one instance and whether they can be trusted right now. Pub/sub needs a
// connection of its own; commands (publish, throttle counters) share the other. "Healthy" is proved,
// not assumed: this instance's own heartbeat must come back through the subscription it listens on.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisLinkOptions {
  url: string;
  instanceId: string;
  /** Prefix of every key and channel: instances with the same one form one cluster. */
  namespace: string;
  log: Logger;
  /** How often this instance publishes its heartbeat. */
  heartbeatMs?: number;
  /** This many heartbeats in a row without one coming back = the subscription cannot be trusted. */
  maxUnanswered?: number;
  /** How long start waits for a first connection before going on without Redis. */
  connectTimeoutMs?: number;
  /** How long a command (publish, throttle counter) may wait for Redis's answer before it fails. */
  commandTimeoutMs?: number;
}

export interface Envelope {
  from: string;
  kind: 'event' | 'heartbeat';
  channel?: string;
  payload?: unknown;
}

export class RedisLink {
  readonly commands: Redis;
  readonly subscriber: Redis;
  readonly instanceId: string;
  readonly namespace: string;
  /** The one channel events and heartbeats travel on. */
  readonly channel: string;
  private readonly log: Logger;
  private readonly maxUnanswered: number;
  private readonly heartbeatMs: number;
  private readonly connectTimeoutMs: number;
  private healthy = false;
  /** Whether a loss was already reported, so the log says it once per outage. */
  private reportedDown = false;
  private everHealthy = false;
  /**
   * Heartbeats sent since one last came back. Counted in beats, not time, so a stall of this process's
   * own event loop (which sends nothing meanwhile) is not taken for a lost Redis.
   */
  private unanswered = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly messageListeners = new Set<(envelope: Envelope) => void>();

  constructor(options: RedisLinkOptions) {
    this.instanceId = options.instanceId;
    this.namespace = options.namespace;
    this.channel = `${options.namespace}:events`;
    this.log = options.log;
    this.heartbeatMs = options.heartbeatMs ?? 1000;
    this.maxUnanswered = options.maxUnanswered ?? 3;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: 2000,
      // Keep trying forever, at most every two seconds: Redis coming back heals the cluster on its own.
      retryStrategy: (times) => Math.min(200 * times, 2000),
    };
    // Commands fail at once while disconnected instead of queueing behind a request that waits for them,
    // and within a second when Redis is hung (socket open, no answers), which no connection event reveals.
    this.commands = new Redis(options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1000,
    });
    this.subscriber = new Redis(options.url, { ...common, maxRetriesPerRequest: null });
    for (const [name, client] of [
      ['commands', this.commands],
      ['subscriber', this.subscriber],
    ] as const) {
      client.on('error', (err: Error) => this.lost(`${name} connection error: ${err.message}`));
      client.on('close', () => this.lost(`${name} connection closed`));
      client.on('end', () => this.lost(`${name} connection ended`));
    }
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let envelope: Envelope;
      try {
        envelope = JSON.parse(raw) as Envelope;
      } catch {
        return;
      }
      if (envelope.kind === 'heartbeat') {
        if (envelope.from === this.instanceId) this.heartbeatReturned();
        return;
      }
      if (envelope.from === this.instanceId) return;
      for (const listener of this.messageListeners) {
        try {
          listener(envelope);
        } catch (err) {
          // A failing subscriber must not take the connection's event handler (and the process) down.
          this.log.warn({ err, channel: envelope.channel }, 'an event subscriber failed');
        }
      }
    });
  }

  /** Connects and subscribes; when Redis does not answer in time, goes on degraded and keeps retrying. */
  async start(): Promise<void> {
    this.subscriber.connect().catch(() => {});
    this.commands.connect().catch(() => {});
    // Subscribing is queued until the connection is ready and repeated after every reconnect.
    this.subscriber.subscribe(this.channel).catch(() => {});
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
    this.timer.unref();
    const deadline = Date.now() + this.connectTimeoutMs;
    while (!this.healthy && Date.now() < deadline) {
      this.sendHeartbeat();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!this.healthy) this.lost('no answer from Redis at start');
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  onMessage(listener: (envelope: Envelope) => void): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  async publish(envelope: Omit<Envelope, 'from'>): Promise<void> {
    await this.commands.publish(this.channel, JSON.stringify({ from: this.instanceId, ...envelope }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.healthy = false;
    if (this.timer) clearInterval(this.timer);
    this.messageListeners.clear();
    await Promise.allSettled([quit(this.subscriber), quit(this.commands)]);
  }

  private tick(): void {
    if (this.healthy && this.unanswered >= this.maxUnanswered)
      this.lost(`${this.unanswered} heartbeats did not come back`);
    this.sendHeartbeat();
  }

  private sendHeartbeat(): void {
    if (this.closed || this.commands.status !== 'ready') return;
    this.unanswered += 1;
    this.publish({ kind: 'heartbeat' }).catch(() => {});
  }

  private heartbeatReturned(): void {
    this.unanswered = 0;
    if (this.healthy || this.closed) return;
    if (this.subscriber.status !== 'ready' || this.commands.status !== 'ready') return;
    this.healthy = true;
    if (this.reportedDown) {
      this.log.info({ redis: 'up' }, 'Redis is reachable again: events and throttle counters go through Redis');
    } else if (!this.everHealthy) {
      this.log.info({ redis: 'up' }, 'Redis connected: events and throttle counters are shared with other instances');
    }
    this.everHealthy = true;
    this.reportedDown = false;
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.healthy = false;
    if (!this.reportedDown) {
      this.reportedDown = true;
      this.log.warn(
        { redis: 'down', reason },
        'Redis is unreachable: falling back to the store until it is back (throttle counters are kept in the store; revocation events reach only this instance, and every request still checks its session in the store, so revocations hold everywhere)',
      );
    }
  }
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 500))]);
  } catch {
    // Already gone: nothing left to close gracefully.
  }
  client.disconnect();
}
