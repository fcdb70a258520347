import { z } from 'zod';
import { defineRoute } from './api.ts';
import { notFound } from './errors.ts';
import { cancelJob, getJob, sweepJobs } from './jobs.ts';
import { json } from './responses.ts';

const JobParams = z.object({ id: z.uuid() });

/**
 * Admin routes over one queue, for a service's route table:
 * `api.post('/admin/jobs/sweep', jobs.sweep).get('/admin/jobs/:id', jobs.get).post('/admin/jobs/:id/cancel', jobs.cancel)`.
 * `sweep` re-drives at once (no rate limit): expired last attempts fail, and due jobs — expired
 * leases included — get a `job.sweep` nudge.
 */
export function jobAdminRoutes(options: { queue: string; eventsChannel: string }) {
  return {
    sweep: defineRoute({ auth: 'admin' }, async (ctx) => {
      const result = await sweepJobs(ctx.db(), () => ctx.redis(), {
        ...options,
        source: ctx.service,
        correlationId: ctx.requestId,
        log: ctx.log,
      });
      return json(result);
    }),
    get: defineRoute({ auth: 'admin', params: JobParams }, async (ctx) => {
      const found = await getJob(ctx.db(), ctx.params.id);
      if (!found || found.queue !== options.queue) throw notFound('No such job');
      return json(found);
    }),
    cancel: defineRoute({ auth: 'admin', params: JobParams }, async (ctx) => {
      const found = await getJob(ctx.db(), ctx.params.id);
      if (!found || found.queue !== options.queue) throw notFound('No such job');
      const cancelled = await cancelJob(ctx.db(), ctx.params.id);
      return json({ cancelled });
    }),
  };
}
