import type { RequestContext } from '../context.ts';
import { flushOutbox } from '../outbox.ts';
import type { Middleware } from './pipeline.ts';

/**
 * After the handler, whether it succeeded or not, and after the answer (`afterResponse`): the
 * events the request recorded and committed go out (with any an earlier request left behind). It
 * is the last of the work after the answer, so events the sweeps recorded go with them. A request
 * that recorded nothing costs nothing.
 */
export function outboxFlush(): Middleware<Pick<RequestContext, 'service' | 'log' | 'db' | 'redis' | 'outboxPending' | 'afterResponse'>> {
  return async (context, next) => {
    try {
      return await next();
    } finally {
      context.afterResponse(async () => {
        if (context.outboxPending()) await flushOutbox(context.db(), () => context.redis(), { source: context.service, log: context.log });
      });
    }
  };
}
