import { backendTimeFields, type BackendTimings } from '../backend-timings.ts';
import type { Logger } from '../logging.ts';
import type { Middleware } from './pipeline.ts';

interface LoggedContext {
  readonly request: Request;
  readonly url: URL;
  readonly log: Logger;
  readonly backendTime?: BackendTimings;
  now(): number;
}

/**
 * One JSON line per request — method, path, status, ms, and how much of it went to the database
 * and Redis (`dbMs`/`dbCalls`, `redisMs`/`redisCalls`, when used) — at `error` for a 5xx, else `info`.
 */
export function requestLog(): Middleware<LoggedContext> {
  return async (context, next) => {
    const started = context.now();
    const response = await next();
    const line = {
      method: context.request.method,
      path: context.url.pathname,
      status: response.status,
      ms: context.now() - started,
      ...(context.backendTime ? backendTimeFields(context.backendTime) : {}),
    };
    if (response.status >= 500) context.log.error('request failed', line);
    else context.log.info('request', line);
    return response;
  };
}
