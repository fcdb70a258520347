import type { RequestContext } from '../context.ts';
import { flushOutbox } from '../outbox.ts';
import type { Middleware } from './pipeline.ts';

/**
 * After the handler, whether it succeeded or not (`next()` always resolves), and after the answer
 * (`afterResponse`): the events the request recorded and committed go out, with any an earlier
 * request left behind. A request that recorded nothing hands over no work at all. (The sweeps
 * flush what they record themselves.)
 */
export function outboxFlush(): Middleware<Pick<RequestContext, 'service' | 'log' | 'db' | 'redis' | 'outboxPending' | 'afterResponse'>> {
  return async (context, next) => {
    const response = await next();
    if (context.outboxPending()) {
      context.afterResponse(async () => {
        await flushOutbox(context.db(), () => context.redis(), { source: context.service, log: context.log });
      });
    }
    return response;
  };
}
