import type { RequestContext } from '../context.ts';
import { outboxSweepKey, sweepOutbox, type OutboxSweepOptions } from '../outbox.ts';
import type { Middleware } from './pipeline.ts';

/**
 * After the answer (`afterResponse`), at most once per interval across all instances: publishes outbox rows a
 * crashed request left behind (`sweepOutbox`), so they go out with the next request of any kind
 * rather than the next write. Its key is read along with the revocation check (redis-read-along.ts):
 * a signed-in request that finds it set — a sweep ran within the interval, so `SET NX` would fail —
 * makes no Redis call for the sweep; any other request makes the one `SET NX`. Never fails the request.
 */
export function outboxSweep(options: OutboxSweepOptions): Middleware<Pick<RequestContext, 'service' | 'log' | 'db' | 'redis' | 'redisReadAlong' | 'afterResponse'>> {
  return async (context, next) => {
    const key = outboxSweepKey(context.service);
    context.redisReadAlong.want(key);
    const response = await next();
    const seen = context.redisReadAlong.valueOf(key);
    if (seen !== null && seen !== undefined) return response;
    context.afterResponse(async () => {
      await sweepOutbox(() => context.db(), () => context.redis(), { ...options, source: context.service, log: context.log });
    });
    return response;
  };
}
