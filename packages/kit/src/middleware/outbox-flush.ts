import type { RequestContext } from '../context.ts';
import { flushOutbox } from '../outbox.ts';
import type { Middleware } from './pipeline.ts';

/**
 * After the handler, whether it succeeded or not: the events it recorded and committed go out
 * now (with any an earlier request left behind). A request that recorded nothing costs nothing.
 */
export function outboxFlush(): Middleware<Pick<RequestContext, 'service' | 'log' | 'db' | 'redis' | 'outboxPending'>> {
  return async (context, next) => {
    const response = await next();
    if (context.outboxPending()) await flushOutbox(context.db(), () => context.redis(), { source: context.service, log: context.log });
    return response;
  };
}
