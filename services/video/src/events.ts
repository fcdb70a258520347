// The worker's event path. Every video uploaded to storage is validated: a `file.uploaded` on
// `storage-events` whose detected type is a video becomes a validate job owned by the uploader.
// Delivery is at least once: the `auto_validations` primary key (file, version) makes a second
// delivery insert nothing and enqueue nothing, in the same transaction as the job. A deleted user's
// unfinished jobs are cancelled (`user.deleted` on `user-events`), as the kit asks of services that
// work for users: their revocation epoch outlives the job only by an access token's lifetime.
import { FileUploadedData, StorageEventType, UserDeletedEvent, UserEventType, type EventEnvelope } from '@authorworks/domain';
import { cancelOwnerJobs, createEventPublisher, enqueueJob, execute, flushOutbox, on, queryOne, transaction, type EventContext } from '@authorworks/kit';
import { z } from 'zod';
import { VIDEO_JOB_DEFAULTS, VIDEO_QUEUE } from './video-jobs.ts';

/** What storage detects for the containers the probe reads (file-type's names), and any other video/*. */
export const isVideoType = (contentType: string) => /^video\//i.test(contentType.split(';')[0]!.trim());

type Uploaded = z.output<typeof FileUploadedData>;

async function validateUpload(event: EventEnvelope<Uploaded>, context: EventContext): Promise<void> {
  const file = event.data;
  if (!isVideoType(file.contentType)) return;
  const events = createEventPublisher({ source: 'video-worker', correlationId: event.correlationId, redis: () => context.redis(), log: context.log });
  const jobId = await transaction(context.db(), async (tx) => {
    const claimed = await queryOne(
      tx,
      z.object({ file_id: z.string() }),
      `INSERT INTO auto_validations (file_id, version, owner_id, job_id)
       VALUES ($1::text::uuid, $2::int8, $3::text::uuid, gen_random_uuid())
       ON CONFLICT (file_id, version) DO NOTHING
       RETURNING file_id::text AS file_id`,
      [file.id, file.version, file.ownerId],
    );
    if (!claimed) return null;
    const id = await enqueueJob(
      tx,
      { events, requestId: event.correlationId },
      { queue: VIDEO_QUEUE, kind: 'validate', payload: { fileId: file.id, version: file.version }, ownerId: file.ownerId, ...VIDEO_JOB_DEFAULTS },
    );
    await execute(tx, 'UPDATE auto_validations SET job_id = $1::text::uuid WHERE file_id = $2::text::uuid AND version = $3::int8', [id, file.id, file.version]);
    return id;
  });
  if (jobId === null) {
    context.log.info('upload already validated', { fileId: file.id, version: file.version });
    return;
  }
  context.log.info('validation queued for an uploaded video', { fileId: file.id, version: file.version, jobId });
  // The job's nudge is in the outbox: publish it now rather than at the next sweep.
  await flushOutbox(context.db(), () => context.redis(), { source: 'video-worker', log: context.log });
}

const userDeleted = on(UserDeletedEvent.shape.data, async (event, context) => {
  const cancelled = await cancelOwnerJobs(context.db(), event.data.id);
  if (cancelled > 0) context.log.info('jobs of a deleted user cancelled', { userId: event.data.id, cancelled });
});

export const videoEventHandlers = {
  [StorageEventType.fileUploaded]: on(FileUploadedData, validateUpload),
  [UserEventType.deleted]: userDeleted,
};
