// The throttle of src/accounts/throttle.ts with its counters in Redis (rate-limiter-flexible), shared
// by every instance. Same policy: `free` attempts in a window, then a block that doubles with each
// further failure up to `maxSeconds`; an attempt is counted before it is let through, and an attempt
// that meets a block is refused without being counted.
//
// Two keys per throttle key: a counter living `windowSeconds` from its first attempt, and a block
// living `delay` seconds. Taking the block is an atomic increment: of two attempts racing past the
// same count, exactly one creates it and goes through; the other sees it, is refused and uncounted.
// Redis's clock runs the windows, so `now` is not used here. When Redis is unreachable, or hung (a
// command unanswered for a second fails, see redis-link.ts), the store's throttle takes over (its
// counters are shared through the database too), so nothing goes unthrottled and nothing waits on Redis.
// A success gives back its attempt where Redis's health says it was counted: one that straddles the start
// or end of an outage may give back in the other place (one attempt, once).
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import { delayFor, guardByAttempt, type Throttle, type ThrottleKey } from '../accounts/throttle.ts';
import type { RedisLink } from './redis-link.ts';

export function createRedisThrottle(link: RedisLink, fallback: Throttle, log: Logger): Throttle {
  const counters = new RateLimiterRedis({
    storeClient: link.commands,
    keyPrefix: `${link.namespace}:throttle:count`,
    // Never refuses by itself: the policy decides from the count.
    points: Number.MAX_SAFE_INTEGER,
    duration: 3600,
    rejectIfRedisNotReady: true,
  });
  const blocks = new RateLimiterRedis({
    storeClient: link.commands,
    keyPrefix: `${link.namespace}:throttle:block`,
    points: 1,
    duration: 1,
    rejectIfRedisNotReady: true,
  });

  const waitOf = (res: RateLimiterRes | null): number =>
    res && res.consumedPoints > 0 && res.msBeforeNext > 0 ? Math.ceil(res.msBeforeNext / 1000) : 0;

  async function attemptInRedis(keys: ThrottleKey[]): Promise<number> {
    const current = await Promise.all(keys.map((k) => blocks.get(k.key)));
    const blocked = Math.max(0, ...current.map(waitOf));
    if (blocked > 0) return blocked;

    const counts = await Promise.all(
      keys.map((k) => counters.consume(k.key, 1, { customDuration: k.policy.windowSeconds })),
    );
    const outcomes = await Promise.all(
      keys.map(async (k, i): Promise<{ wait: number; tookBlock: boolean }> => {
        const delay = delayFor(k.policy, counts[i]!.consumedPoints);
        if (delay <= 0) return { wait: waitOf(await blocks.get(k.key)), tookBlock: false };
        try {
          await blocks.consume(k.key, 1, { customDuration: delay });
          return { wait: 0, tookBlock: true };
        } catch (err) {
          if (err instanceof RateLimiterRes) return { wait: Math.max(1, waitOf(err)), tookBlock: false };
          throw err;
        }
      }),
    );
    const wait = Math.max(0, ...outcomes.map((o) => o.wait));
    if (wait === 0) return 0;
    // Lost a race to a block another attempt just took: this attempt is refused, so it is not counted
    // and leaves no block of its own behind.
    await Promise.all(
      keys.map(async (k, i) => {
        await counters.reward(k.key, 1, { customDuration: k.policy.windowSeconds });
        if (outcomes[i]!.tookBlock) await blocks.delete(k.key);
      }),
    );
    return wait;
  }

  /** Takes one attempt back off a key's counter; a block goes with it once the count is within the free attempts. */
  async function giveBackInRedis(k: ThrottleKey): Promise<void> {
    const options = { customDuration: k.policy.windowSeconds };
    const res = await counters.reward(k.key, 1, options);
    // A counter whose window ran out meanwhile comes back as -1: raise it to nothing, keeping attempts made since.
    if (res.consumedPoints < 0) await counters.penalty(k.key, -res.consumedPoints, options);
    if (res.consumedPoints <= k.policy.free) await blocks.delete(k.key);
  }

  const throttle: Throttle = {
    async attempt(keys, now) {
      if (keys.length === 0) return 0;
      if (!link.isHealthy()) return fallback.attempt(keys, now);
      try {
        return await attemptInRedis(keys);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw new Error('unexpected refusal from the throttle counter');
        log.warn({ err }, 'throttle counters in Redis failed: counting this attempt in the store');
        return fallback.attempt(keys, now);
      }
    },
    async clear(keys) {
      if (keys.length === 0) return;
      // Attempts counted in the store during a Redis outage are cleared too.
      await fallback.clear(keys);
      if (!link.isHealthy()) return;
      try {
        await Promise.all(keys.flatMap((key) => [counters.delete(key), blocks.delete(key)]));
      } catch (err) {
        log.warn({ err }, 'could not clear throttle counters in Redis');
      }
    },
    async succeeded(keys, now) {
      const cleared = keys.filter((k) => k.policy.onSuccess === 'clear');
      const givingBack = keys.filter((k) => k.policy.onSuccess === 'give back');
      if (cleared.length > 0) await throttle.clear(cleared.map((k) => k.key));
      if (givingBack.length === 0) return;
      if (!link.isHealthy()) return fallback.succeeded(givingBack, now);
      try {
        await Promise.all(givingBack.map(giveBackInRedis));
      } catch (err) {
        // Left counted: errs on the side of the throttle.
        log.warn({ err }, 'could not give back an attempt on the throttle counters in Redis');
      }
    },
    guard: (keys, now, check) => guardByAttempt(throttle, keys, now, check),
  };
  return throttle;
}
