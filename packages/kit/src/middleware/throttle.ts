import type { RequestContext } from '../context.ts';
import { tooManyRequests } from '../errors.ts';
import { hitRateLimit, peekRateLimit, resetRateLimit, type RateLimit } from '../rate-limit.ts';
import type { Middleware } from './pipeline.ts';

/** One fixed-window counter a route is throttled by (see rate-limit.ts). */
export interface ThrottleRule<Context> {
  /** Names the counter in logs, e.g. `account`. */
  name: string;
  /** The Redis key of the counter for this request, e.g. `login-failures:address:<ip>`. */
  key(context: Context): string;
  limit(context: Context): RateLimit;
  /** Which answers count as an attempt; every answer when absent (e.g. only a 401 for failed logins). */
  counts?(response: Response): boolean;
  /** Which answers clear the counter (e.g. a successful login forgives the account's failures). */
  resets?(response: Response): boolean;
}

/**
 * Per-route throttling. Before the handler every counter is read, and a request over any limit is
 * refused with 429 and the longest Retry-After, before the handler does its work (hashing a
 * password, say). After the handler, the answer is counted against, or clears, each counter.
 */
export function throttle<Context extends Pick<RequestContext, 'redis' | 'log'>>(
  rules: readonly ThrottleRule<Context>[],
): Middleware<Context> {
  return async (context, next) => {
    if (rules.length === 0) return next();
    const redis = context.redis();
    const counters = rules.map((rule) => ({ rule, key: rule.key(context), limit: rule.limit(context) }));
    const states = await Promise.all(counters.map(({ key, limit }) => peekRateLimit(redis, key, limit)));
    const refused = counters.filter((_, index) => !states[index]!.allowed).map(({ rule }) => rule.name);
    if (refused.length > 0) {
      context.log.warn('request throttled', { limited: refused });
      throw tooManyRequests(Math.max(...states.map((state) => state.retryAfterSeconds)));
    }
    const response = await next();
    await Promise.all(
      counters.map(async ({ rule, key, limit }) => {
        if (rule.counts?.(response) ?? true) await hitRateLimit(redis, key, limit);
        if (rule.resets?.(response) ?? false) await resetRateLimit(redis, key);
      }),
    );
    return response;
  };
}
