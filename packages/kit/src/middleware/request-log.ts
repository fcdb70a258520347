import { backendTimeFields, type BackendTimings } from '../backend-timings.ts';
import type { Logger } from '../logging.ts';
import { profileClock, type RequestProfile } from '../request-profile.ts';
import type { Middleware } from './pipeline.ts';

interface LoggedContext {
  readonly request: Request;
  readonly url: URL;
  readonly log: Logger;
  readonly backendTime?: BackendTimings;
  readonly profile?: RequestProfile;
}

/**
 * One JSON line per request — method, path, status, ms (on `clock`, to a tenth), and how much of it went to the database
 * and Redis (`dbMs`/`dbCalls`, `redisMs`/`redisCalls`, when used) — at `error` for a 5xx, else `info`.
 * At `log_level` debug a `request stages` line follows: the request's time per stage
 * (request-profile.ts), to a hundredth of a millisecond, with `totalMs` from the moment the
 * component got the request, `otherMs` for what no stage covers (the pipeline's own steps, the
 * response's headers) and `logMs` for writing the request line.
 */
export function requestLog(clock: () => number = profileClock): Middleware<LoggedContext> {
  return async (context, next) => {
    const started = clock();
    const response = await next();
    const line = {
      method: context.request.method,
      path: context.url.pathname,
      status: response.status,
      // To a tenth: an authenticated read takes a few milliseconds inside the component.
      ms: Math.round((clock() - started) * 10) / 10,
      ...(context.backendTime ? backendTimeFields(context.backendTime) : {}),
    };
    const profile = context.profile;
    const written = profileClock();
    if (response.status >= 500) context.log.error('request failed', line);
    else context.log.info('request', line);
    if (profile?.enabled) {
      const stages = profile.fields();
      // `rows` is part of `handler`; every other stage stands alone.
      const staged = Object.entries(stages).reduce((sum, [stage, ms]) => (stage === 'rows' ? sum : sum + ms), 0);
      const totalMs = profile.elapsed() - (profileClock() - written);
      context.log.debug('request stages', {
        path: line.path,
        totalMs: hundredths(totalMs),
        ...stages,
        otherMs: hundredths(totalMs - staged),
        logMs: hundredths(profileClock() - written),
      });
    }
    return response;
  };
}

const hundredths = (ms: number) => Math.round(ms * 100) / 100;
