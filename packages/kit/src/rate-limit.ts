import { expire, redisNumber, timeToLive, type RedisClient } from './redis.ts';

export interface RateLimit {
  /** Attempts allowed per window. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitState {
  allowed: boolean;
  attempts: number;
  /** Seconds until the window resets (0 when allowed and no window is open). */
  retryAfterSeconds: number;
}

/**
 * Fixed-window counter in Redis: INCR, and EXPIRE when the key is new. Reading the count first
 * lets a caller refuse before doing expensive work (hashing a password).
 */
export async function peekRateLimit(redis: RedisClient, key: string, rule: RateLimit): Promise<RateLimitState> {
  const [reply] = await redis.execute('GET', [key]);
  const attempts = redisNumber(reply) ?? 0;
  if (attempts < rule.limit) return { allowed: true, attempts, retryAfterSeconds: 0 };
  const ttl = await timeToLive(redis, key);
  if (ttl === null) {
    // A key without expiry would block forever; give it one.
    await expire(redis, key, rule.windowSeconds);
    return { allowed: false, attempts, retryAfterSeconds: rule.windowSeconds };
  }
  return { allowed: false, attempts, retryAfterSeconds: Math.max(1, ttl) };
}

/** Counts one attempt against `key` and says whether it is still within the limit. */
export async function hitRateLimit(redis: RedisClient, key: string, rule: RateLimit): Promise<RateLimitState> {
  const attempts = await redis.incr(key);
  if (attempts === 1) await expire(redis, key, rule.windowSeconds);
  if (attempts <= rule.limit) return { allowed: true, attempts, retryAfterSeconds: 0 };
  const ttl = (await timeToLive(redis, key)) ?? rule.windowSeconds;
  return { allowed: false, attempts, retryAfterSeconds: Math.max(1, ttl) };
}

/** Gives back one attempt counted by `hitRateLimit` (an answer that turned out not to count). */
export async function refundRateLimit(redis: RedisClient, key: string): Promise<void> {
  const [reply] = await redis.execute('DECR', [key]);
  // The window may have expired in between: DECR then made a fresh key at -1 with no expiry.
  if ((redisNumber(reply) ?? 0) <= 0) await redis.del([key]);
}

export async function resetRateLimit(redis: RedisClient, key: string): Promise<void> {
  await redis.del([key]);
}
