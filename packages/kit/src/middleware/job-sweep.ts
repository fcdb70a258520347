import type { RequestContext } from '../context.ts';
import { sweepJobs } from '../jobs.ts';
import type { Middleware } from './pipeline.ts';

/** The jobs an API sweeps for (`ApiOptions.jobs`). */
export interface JobSweepOptions {
  queue: string;
  eventsChannel: string;
  /** At most one sweep per interval across all instances and replicas (Redis `SET NX EX`); default 30 s. */
  sweepEverySeconds?: number;
}

/**
 * After the handler, at most once per interval: the jobs sweep (fail expired last attempts, nudge
 * the queue when jobs are due), so a service's own traffic re-drives its jobs — Spin has no timer
 * trigger. One Redis `SET NX` per request otherwise; a failure is logged, never the request's.
 */
export function jobSweep(options: JobSweepOptions): Middleware<Pick<RequestContext, 'service' | 'requestId' | 'log' | 'db' | 'redis'>> {
  return async (context, next) => {
    const response = await next();
    try {
      await sweepJobs(context.db(), () => context.redis(), {
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
    return response;
  };
}
