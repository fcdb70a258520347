// Every video uploaded to storage is validated: the worker also listens on `storage-events`, and a
// `file.uploaded` whose detected type is a video becomes a validate job owned by the uploader.
// Delivery is at least once: the `auto_validations` primary key (file, version) makes a second
// delivery insert nothing and enqueue nothing, in the same transaction as the job.
import { Channel, FileUploadedData, StorageEventType, type EventEnvelope } from '@authorworks/domain';
import { createEventPublisher, enqueueJob, execute, flushOutbox, on, queryOne, transaction, type EventContext } from '@authorworks/kit';
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

export const uploadHandlers = {
  [StorageEventType.fileUploaded]: on(FileUploadedData, validateUpload),
};

export const UPLOADS_CHANNEL = Channel.storageEvents;
