// Graphics jobs: POST /jobs (per-kind payloads) enqueues a job owned by the caller; the list, one
// job and cancel come from the kit's owner routes (another user's job is a 404).
import { changeWithEvents, defineRoute, enqueueJob, getJob, JobView, HttpError, json, notFound, ownerJobRoutes, type RequestContext } from '@authorworks/kit';
import { CreateJobRequest, GRAPHICS_QUEUE, IMAGE_TYPES } from './payloads.ts';
import { fileRecord, JobInputError, storageBase } from './storage-files.ts';

/**
 * Retries: an image the core refuses fails the same way every time, so attempts come back at once
 * (no back-off) and there are few of them; a storage hiccup gets the same three quick tries.
 * A 12 MP thumbnail takes seconds, well inside the lease, and heartbeats between stages.
 */
export const JOB_OPTIONS = { maxAttempts: 3, leaseSeconds: 120, backoffSeconds: 0 } as const;

export const jobRoutes = ownerJobRoutes({ queue: GRAPHICS_QUEUE });

/** The input must be the caller's to read (storage decides) and an image this service reads. */
export async function checkInput(ctx: RequestContext, fileId: string): Promise<void> {
  try {
    const record = await fileRecord((url, init) => ctx.callService(url, init), storageBase(ctx.config), fileId);
    if (!(IMAGE_TYPES as readonly string[]).includes(record.contentType)) {
      throw new HttpError(422, 'unsupported_format', `The file is ${record.contentType}; graphics jobs read PNG and JPEG images`);
    }
  } catch (error) {
    if (error instanceof JobInputError) throw notFound('No such file');
    throw error;
  }
}

export const createJob = defineRoute({
  auth: 'required',
  body: CreateJobRequest,
  responses: { 202: JobView },
  errors: { 404: 'No such file the caller may read', 422: '`unsupported_format`: not a PNG or JPEG image' },
}, async (ctx) => {
  const { kind, payload } = ctx.body;
  await checkInput(ctx, payload.fileId);
  const id = await changeWithEvents(ctx, GRAPHICS_QUEUE, (tx) =>
    enqueueJob(tx, ctx, { queue: GRAPHICS_QUEUE, kind, payload, ownerId: ctx.principal.userId, ...JOB_OPTIONS }),
  );
  const view = await getJob(ctx.db(), id);
  return json(view, { status: 202, headers: { location: `/v1/graphics/jobs/${id}` } });
});
