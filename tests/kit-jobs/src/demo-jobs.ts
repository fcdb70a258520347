import { JobPending, JobView, created, defineRoute, enqueueJob, getJob, job, json, notFound, transaction, wakeJob, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';

export const DEMO_QUEUE = { queue: 'jobs-demo-jobs', eventsChannel: 'jobs-demo-events' } as const;

/** Every attempt a handler starts leaves a row, which is what the tests count. */
async function recordRun(db: () => SqlClient, jobId: string, attempt: number): Promise<void> {
  await db().query('INSERT INTO job_runs (job_id, attempt) VALUES ($1::text, $2::int8)', [jobId, attempt]);
}

const Flaky = z.object({ failTimes: z.number().int().min(0).max(10) });
const Slow = z.object({ sleepMs: z.number().int().min(0).max(60_000), firstAttemptOnly: z.boolean().default(false) });
const Quick = z.object({ n: z.number().int().optional() });
const Waits = z.object({
  pendingTimes: z.number().int().min(0).max(1000),
  checkAgainSeconds: z.number().int().min(1).max(3600),
  deadlineSeconds: z.number().int().min(1).max(3600).optional(),
});

export const demoJobHandlers = {
  /** Throws on its first `failTimes` attempts. */
  flaky: job(Flaky, async (payload, ctx) => {
    await recordRun(ctx.db, ctx.job.id, ctx.job.attempt);
    if (ctx.job.attempt <= payload.failTimes) throw new Error(`flaky failure ${ctx.job.attempt}`);
    return { attempt: ctx.job.attempt };
  }),
  /** Heartbeats, then sleeps inside the message (a worker killed now leaves its lease to expire). */
  slow: job(Slow, async (payload, ctx) => {
    await recordRun(ctx.db, ctx.job.id, ctx.job.attempt);
    if (!(await ctx.heartbeat({ phase: 'sleeping' }))) return { stopped: true };
    const sleepMs = payload.firstAttemptOnly && ctx.job.attempt > 1 ? 0 : payload.sleepMs;
    ctx.log.info('job sleeping', { sleepMs });
    await new Promise((resolve) => setTimeout(resolve, sleepMs));
    return { slept: sleepMs };
  }),
  /** Says "not done yet" on its first `pendingTimes` runs (work elsewhere), counting its checks in `progress`. */
  waits: job(Waits, async (payload, ctx) => {
    await recordRun(ctx.db, ctx.job.id, ctx.job.attempt);
    const checks = (ctx.job.progress as { checks?: number } | null)?.checks ?? 0;
    if (checks < payload.pendingTimes) {
      throw new JobPending(`check ${checks + 1} of ${payload.pendingTimes}`, {
        checkAgainSeconds: payload.checkAgainSeconds,
        ...(payload.deadlineSeconds ? { deadlineSeconds: payload.deadlineSeconds } : {}),
        progress: { checks: checks + 1 },
      });
    }
    return { checks, pendingChecks: ctx.job.pendingChecks, attempt: ctx.job.attempt };
  }),
  quick: job(Quick, async (payload, ctx) => {
    await recordRun(ctx.db, ctx.job.id, ctx.job.attempt);
    return { n: payload.n ?? null };
  }),
  /** Calls the API as the job's owner and returns who the API saw. */
  whoami: job(z.object({}), async (_payload, ctx) => {
    const response = await ctx.callServiceAs(`${ctx.config.optional('api_url', 'http://jobs-demo-api.spin.internal')}/v1/jobs-demo/whoami`);
    if (!response.ok) throw new Error(`whoami answered ${response.status}`);
    return WhoAmI.parse(await response.json());
  }),
};

const WhoAmI = z.object({ userId: z.string(), roles: z.array(z.string()), actor: z.string().nullable() });

/** Who the caller is, as the verified token says (the delegated token of a job names its worker). */
export const whoAmI = defineRoute({ auth: 'required', responses: { 200: WhoAmI } }, async (ctx) =>
  json(WhoAmI.parse({ userId: ctx.principal.userId, roles: ctx.principal.roles, actor: ctx.principal.claims.act?.sub ?? null })),
);

const EnqueueRequest = z.object({
  kind: z.enum(['flaky', 'slow', 'quick', 'whoami', 'waits']),
  payload: z.record(z.string(), z.json()),
  /** Jobs done for the caller are theirs (ownerJobRoutes); the default leaves them without owner. */
  owned: z.boolean().default(false),
  count: z.number().int().min(1).max(100).default(1),
  maxAttempts: z.number().int().min(1).max(10).optional(),
  leaseSeconds: z.number().int().min(1).max(600).optional(),
  backoffSeconds: z.number().int().min(0).max(60).optional(),
});

/** Enqueues `count` jobs in one transaction; their nudges go out after the commit. */
export const enqueueDemoJobs = defineRoute({ auth: 'required', body: EnqueueRequest, responses: { 201: z.object({ ids: z.array(z.uuid()) }) } }, async (ctx) => {
  const { kind, payload, count, owned, ...options } = ctx.body;
  const ownerId = owned ? ctx.principal.userId : undefined;
  const ids = await transaction(ctx.db(), async (tx) => {
    const made: string[] = [];
    for (let i = 0; i < count; i++) made.push(await enqueueJob(tx, ctx, { ...DEMO_QUEUE, kind, payload, ...options, ...(ownerId ? { ownerId } : {}) }));
    return made;
  });
  return created({ ids }, `/v1/jobs-demo/jobs/${ids[0]}`);
});

export const getDemoJob = defineRoute({
  auth: 'required',
  params: z.object({ id: z.uuid() }),
  responses: { 200: JobView },
  errors: { 404: 'No such job' },
}, async (ctx) => {
  const found = await getJob(ctx.db(), ctx.params.id);
  if (!found) throw notFound('No such job');
  return json(JobView.parse(found));
});

/** What an external service's callback does: the waiting job is due now and its queue is nudged. */
export const wakeDemoJob = defineRoute({
  auth: 'required',
  params: z.object({ id: z.uuid() }),
  responses: { 200: z.object({ woken: z.boolean() }) },
}, async (ctx) => json({ woken: await wakeJob(ctx.db(), ctx.redis(), { queue: DEMO_QUEUE.queue, id: ctx.params.id, source: 'jobs-demo-api', correlationId: ctx.requestId, log: ctx.log }) }));
