import type { RequestContext } from '../context.ts';
import { tooManyRequests } from '../errors.ts';
import { hitRateLimit, refundRateLimit, resetRateLimit, type RateLimit } from '../rate-limit.ts';
import type { Middleware } from './pipeline.ts';

/** One fixed-window counter a route is throttled by (see rate-limit.ts). */
export interface ThrottleRule<Context> {
  /** Names the counter in logs, e.g. `account`. */
  name: string;
  /**
   * The Redis key of the counter for this request, e.g. `login-failures:address:<ip>`; it may
   * look something up first (the login keys its account counter by the account, however named).
   */
  key(context: Context): string | Promise<string>;
  limit(context: Context): RateLimit;
  /** Which answers count as an attempt; every answer when absent (e.g. only a 401 for failed logins). */
  counts?(response: Response): boolean;
  /** Which answers clear the counter (e.g. a successful login forgives the account's failures). */
  resets?(response: Response): boolean;
}

/**
 * Per-route throttling. Before the handler, the request counts against every counter (Redis
 * INCR, atomic): over any limit it is refused with 429 and the longest Retry-After before the
 * handler does its work (hashing a password, say). Counting first is what makes the limit hold
 * under a burst — reading the counters first and counting after the answer let 16 parallel wrong
 * passwords get 6 answers past a limit of 5. After the handler, an answer that does not count
 * (a successful login) gives its reservation back, and one that resets clears the counter.
 */
export function throttle<Context extends Pick<RequestContext, 'redis' | 'log'>>(
  rules: readonly ThrottleRule<Context>[],
): Middleware<Context> {
  return async (context, next) => {
    if (rules.length === 0) return next();
    const redis = context.redis();
    const counters = await Promise.all(rules.map(async (rule) => ({ rule, key: await rule.key(context), limit: rule.limit(context) })));
    const states = await Promise.all(counters.map(({ key, limit }) => hitRateLimit(redis, key, limit)));
    const refused = counters.filter((_, index) => !states[index]!.allowed).map(({ rule }) => rule.name);
    if (refused.length > 0) {
      // The refused attempt stays counted: it cannot extend the fixed window, only fill it.
      context.log.warn('request throttled', { limited: refused });
      throw tooManyRequests(Math.max(...states.map((state) => state.retryAfterSeconds)));
    }
    const response = await next();
    await Promise.all(
      counters.map(async ({ rule, key }) => {
        if (rule.resets?.(response) ?? false) await resetRateLimit(redis, key);
        else if (!(rule.counts?.(response) ?? true)) await refundRateLimit(redis, key);
      }),
    );
    return response;
  };
}
