// Audio jobs as their owner sees them: `POST /jobs` (one kind, its payload validated here) → 202
// with the job; list, get and cancel are the kit's owner routes (another user's job is a 404).
import { changeWithEvents, defineRoute, enqueueJob, getJob, JobView, json, ownerJobRoutes } from '@authorworks/kit';
import { AUDIO_JOB_OPTIONS, AUDIO_QUEUE, CreateAudioJobRequest } from './job-kinds.ts';

export const createJob = defineRoute({ auth: 'required', body: CreateAudioJobRequest, responses: { 202: JobView } }, async (ctx) => {
  const { kind, payload } = ctx.body;
  const id = await changeWithEvents(ctx, AUDIO_QUEUE.eventsChannel, (tx) =>
    enqueueJob(tx, ctx, { queue: AUDIO_QUEUE.queue, kind, payload, ownerId: ctx.principal.userId, ...AUDIO_JOB_OPTIONS }),
  );
  const view = await getJob(ctx.db(), id);
  return json(view, { status: 202, headers: { location: `/v1/audio/jobs/${id}` } });
});

export const ownerJobs = ownerJobRoutes(AUDIO_QUEUE);
