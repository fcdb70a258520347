import type { RequestContext } from '../context.ts';
import { jobsSweepKey, sweepJobs } from '../jobs.ts';
import type { Middleware } from './pipeline.ts';

/** The jobs an API sweeps for (`ApiOptions.jobs`). */
export interface JobSweepOptions {
  queue: string;
  eventsChannel: string;
  /** At most one sweep per interval across all instances and replicas (Redis `SET NX EX`); default 30 s. */
  sweepEverySeconds?: number;
}

/**
 * After the answer (`afterResponse`), at most once per interval: the jobs sweep (fail expired last attempts, nudge
 * the queue when jobs are due), so a service's own traffic re-drives its jobs — Spin has no timer
 * trigger. Its key is read along with the revocation check (redis-read-along.ts), as the outbox
 * sweep's is: a signed-in request that finds it set — a sweep ran within the interval — makes no
 * Redis call and opens no database for the sweep; any other request makes the one `SET NX`, and
 * only the request that wins it opens the database. A failure is logged, never the request's.
 */
export function jobSweep(options: JobSweepOptions): Middleware<Pick<RequestContext, 'service' | 'requestId' | 'log' | 'db' | 'redis' | 'redisReadAlong' | 'afterResponse'>> {
  return async (context, next) => {
    const key = jobsSweepKey(options.queue);
    context.redisReadAlong.want(key);
    const response = await next();
    const seen = context.redisReadAlong.valueOf(key);
    if (seen !== null && seen !== undefined) return response;
    context.afterResponse(async () => {
      try {
        await sweepJobs(() => context.db(), () => context.redis(), {
          queue: options.queue,
          eventsChannel: options.eventsChannel,
          source: context.service,
          correlationId: context.requestId,
          log: context.log,
          atMostEverySeconds: options.sweepEverySeconds ?? 30,
        });
      } catch (error) {
        context.log.error('jobs sweep failed', { queue: options.queue, error });
      }
    });
    return response;
  };
}
