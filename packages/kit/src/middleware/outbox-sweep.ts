import type { RequestContext } from '../context.ts';
import { sweepOutbox, type OutboxSweepOptions } from '../outbox.ts';
import type { Middleware } from './pipeline.ts';

/**
 * After the handler, at most once per interval across all instances: publishes outbox rows a
 * crashed request left behind (`sweepOutbox`), so they go out with the next request of any kind
 * rather than the next write. One Redis `SET NX` per request otherwise; never fails the request.
 */
export function outboxSweep(options: OutboxSweepOptions): Middleware<Pick<RequestContext, 'service' | 'log' | 'db' | 'redis'>> {
  return async (context, next) => {
    const response = await next();
    await sweepOutbox(
      () => context.db(),
      () => context.redis(),
      { ...options, source: context.service, log: context.log },
    );
    return response;
  };
}
