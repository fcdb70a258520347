// Video jobs as a user sees them: `POST /jobs` (202 + the job) for probe, validate, poster and
// trailer of a storage file the caller can read; list, get and cancel of the caller's own jobs
// come from the kit (`ownerJobRoutes`: another user's job is 404).
import { Channel } from '@authorworks/domain';
import { changeWithEvents, defineRoute, enqueueJob, getJob, JobView, HttpError, json, ownerJobRoutes, type RequestContext, type ThrottleRule } from '@authorworks/kit';
import { contentUrl } from './storage-reader.ts';
import { CreateVideoJob, VIDEO_JOB_DEFAULTS, VIDEO_QUEUE } from './video-jobs.ts';

const storageUrlOf = (context: RequestContext) => context.config.optional('storage_url', 'http://storage-api.spin.internal');

/**
 * The caller may read `fileId` (asked of storage with the caller's own token), so a job for a file
 * that does not exist or is someone else's is refused now (404) rather than failing later.
 */
async function assertReadable(context: RequestContext, fileId: string): Promise<void> {
  const url = contentUrl(storageUrlOf(context), fileId).replace(/\/content$/, '');
  const response = await context.callService(url, { method: 'GET' });
  await response.body?.cancel();
  if (response.status === 404) throw new HttpError(404, 'file_not_found', 'No such file, or you may not read it', { details: [{ path: 'body.payload.fileId', message: 'No such file, or you may not read it', code: 'file_not_found' }] });
  if (!response.ok) throw new HttpError(503, 'storage_unavailable', 'The storage service could not be asked about the file', { headers: { 'retry-after': '5' } });
}

/**
 * Jobs a user may create per minute (`video_jobs_per_minute`, default 60): each costs the worker
 * storage reads or a transcode. Only accepted jobs count; a refused request is given back.
 */
const createThrottle: ThrottleRule<RequestContext & { principal: { userId: string } }>[] = [
  {
    name: 'video-jobs',
    key: (context) => `video:jobs:${context.principal.userId}`,
    limit: (context) => {
      const perMinute = Number(context.config.optional('jobs_per_minute', '60'));
      return { limit: Number.isSafeInteger(perMinute) && perMinute > 0 ? perMinute : 60, windowSeconds: 60 };
    },
    counts: (response) => response.status === 202,
  },
];

export const createJob = defineRoute({
  auth: 'required',
  body: CreateVideoJob,
  throttle: createThrottle,
  responses: { 202: JobView },
  errors: { 404: '`file_not_found`: no such file, or one the caller may not read' },
}, async (context) => {
  const request = context.body;
  await assertReadable(context, request.payload.fileId);
  const id = await changeWithEvents(context, Channel.mediaEvents, (tx) =>
    enqueueJob(tx, context, { queue: VIDEO_QUEUE, kind: request.kind, payload: request.payload, ownerId: context.principal.userId, ...VIDEO_JOB_DEFAULTS }),
  );
  const job = await getJob(context.db(), id);
  return json(job, { status: 202, headers: { location: `/v1/video/jobs/${id}` } });
});

const owned = ownerJobRoutes({ queue: VIDEO_QUEUE });
export const listJobs = owned.list;
export const getOwnJob = owned.get;
export const cancelJob = owned.cancel;
