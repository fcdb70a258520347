import { Page, PageQuery } from '@authorworks/domain';
import { z } from 'zod';
import { defineRoute } from './api.ts';
import { conflict, notFound } from './errors.ts';
import { JOB_STATES, JobView, cancelJob, getJob, listOwnerJobs, sweepJobs } from './jobs.ts';
import { CursorTimestamp, decodeCursor, pageOf } from './pagination.ts';
import { json } from './responses.ts';

const JobParams = z.object({ id: z.uuid() });

/** Answer of `POST <base>/admin/jobs/sweep` (jobs.ts `SweepResult`). */
const SweepAnswer = z.object({ swept: z.boolean(), failed: z.number().int(), nudged: z.boolean(), pruned: z.number().int() });
const NO_SUCH_JOB = 'No such job in this queue';
const NOT_YOURS = 'No such job of yours in this queue (another user\'s is answered the same)';

/**
 * Admin routes over one queue, for a service's route table:
 * `api.post('/admin/jobs/sweep', jobs.sweep).get('/admin/jobs/:id', jobs.get).post('/admin/jobs/:id/cancel', jobs.cancel)`.
 * `sweep` re-drives at once (no rate limit): expired last attempts fail, and due jobs — expired
 * leases included — get a `job.sweep` nudge.
 */
export function jobAdminRoutes(options: { queue: string; eventsChannel: string }) {
  return {
    sweep: defineRoute({ auth: 'admin', responses: { 200: SweepAnswer } }, async (ctx) => {
      const result = await sweepJobs(() => ctx.db(), () => ctx.redis(), {
        ...options,
        source: ctx.service,
        correlationId: ctx.requestId,
        log: ctx.log,
      });
      return json(result);
    }),
    get: defineRoute({ auth: 'admin', params: JobParams, responses: { 200: JobView }, errors: { 404: NO_SUCH_JOB } }, async (ctx) => {
      const found = await getJob(ctx.db(), ctx.params.id);
      if (!found || found.queue !== options.queue) throw notFound('No such job');
      return json(found);
    }),
    cancel: defineRoute({ auth: 'admin', params: JobParams, responses: { 200: z.object({ cancelled: z.boolean() }) }, errors: { 404: NO_SUCH_JOB } }, async (ctx) => {
      const found = await getJob(ctx.db(), ctx.params.id);
      if (!found || found.queue !== options.queue) throw notFound('No such job');
      const cancelled = await cancelJob(ctx.db(), ctx.params.id);
      return json({ cancelled });
    }),
  };
}

/** `?kind=&state=&limit=&cursor=` of an owner's job list. */
export const OwnerJobsQuery = PageQuery.extend({
  kind: z.string().regex(/^[a-z][a-z0-9_.-]{0,62}$/).optional(),
  state: z.enum(JOB_STATES).optional(),
});

const OwnerJobsCursor = z.object({ t: CursorTimestamp, i: z.uuid() });

/**
 * The routes through which users see the jobs a service does for them (graphics, audio, video):
 * `api.get('/jobs', jobs.list).get('/jobs/:id', jobs.get).delete('/jobs/:id', jobs.cancel)`.
 * A job is the caller's when they own it (`enqueueJob(…, { ownerId })`); anyone else's — another
 * user's, another queue's, one without owner — is answered 404 as if it did not exist. The
 * service writes its own `POST /jobs`, where each kind's payload is validated.
 */
export function ownerJobRoutes(options: { queue: string }) {
  const ownJob = async (ctx: { db(): Parameters<typeof getJob>[0]; principal: { userId: string } }, id: string): Promise<JobView> => {
    const found = await getJob(ctx.db(), id);
    if (!found || found.queue !== options.queue || found.ownerId !== ctx.principal.userId) throw notFound('No such job');
    return found;
  };
  return {
    /** The caller's jobs of this queue, newest first, in cursor pages. */
    list: defineRoute({ auth: 'required', query: OwnerJobsQuery, responses: { 200: Page(JobView) }, errors: { 400: '`invalid_cursor`' } }, async (ctx) => {
      const { kind, state, limit } = ctx.query;
      const after = decodeCursor(OwnerJobsCursor, ctx.query.cursor);
      const rows = await listOwnerJobs(ctx.db(), {
        ownerId: ctx.principal.userId,
        queue: options.queue,
        kind,
        state,
        after: after && { sortKey: after.t, id: after.i },
        limit,
      });
      const page = pageOf(rows, limit, (last) => ({ t: last.sortKey, i: last.id }));
      return json({ items: page.items.map(({ sortKey: _, ...view }) => view), nextCursor: page.nextCursor });
    }),
    get: defineRoute({ auth: 'required', params: JobParams, responses: { 200: JobView }, errors: { 404: NOT_YOURS } }, async (ctx) => json(await ownJob(ctx, ctx.params.id))),
    /** Cancels a queued or running job (a running one stops at its next heartbeat); 409 once it finished. */
    cancel: defineRoute({ auth: 'required', params: JobParams, responses: { 200: JobView }, errors: { 404: NOT_YOURS, 409: '`job_finished`: the job has already finished' } }, async (ctx) => {
      const found = await ownJob(ctx, ctx.params.id);
      const cancelled = await cancelJob(ctx.db(), found.id);
      const now = await ownJob(ctx, found.id);
      if (!cancelled) throw conflict('job_finished', `The job has already finished: ${now.state}`);
      return json(now);
    }),
  };
}
