// Automatic thumbnails: every PNG or JPEG uploaded to storage (`file.uploaded` on storage-events)
// gets one thumbnail job owned by the file's owner, at most once per file (auto_jobs' key), so a
// redelivered or replayed event changes nothing. Files this service wrote are skipped.
import { Channel, type EventEnvelope, type FileUploadedData } from '@authorworks/domain';
import { enqueueJob, recordEvent, type EventContext } from '@authorworks/kit';
import type { z } from 'zod';
import { isDerivedFile } from './derived-files.ts';
import { GRAPHICS_QUEUE, IMAGE_TYPES, THUMBNAIL_SIZES } from './payloads.ts';
import { JOB_OPTIONS } from './jobs.ts';

/** What the worker names its own outputs: never thumbnailed again, even before derived_files has them. */
const DERIVED_NAME = /\.(thumb-\d+|resized)\.(jpg|png)$/;

export async function thumbnailUploadedImage(event: EventEnvelope<z.output<typeof FileUploadedData>>, ctx: EventContext): Promise<void> {
  const file = event.data;
  if (!(IMAGE_TYPES as readonly string[]).includes(file.contentType) || file.size === 0) return;
  if (DERIVED_NAME.test(file.filename) || (await isDerivedFile(ctx.db(), file.id))) {
    ctx.log.debug('no thumbnails for a file this service made', { fileId: file.id });
    return;
  }
  const db = ctx.db();
  const claimed = await db.query(
    `INSERT INTO auto_jobs (file_id, kind, job_id, owner_id) VALUES ($1::text::uuid, 'thumbnail', gen_random_uuid(), $2::text::uuid)
     ON CONFLICT DO NOTHING RETURNING file_id::text AS file_id`,
    [file.id, file.ownerId],
  );
  if (claimed.rows.length === 0) return;
  const jobId = await enqueueJob(
    db,
    {
      requestId: event.correlationId,
      events: { record: (tx, channel, type, subject, data) => recordEvent(tx, { channel, type, subject, data, correlationId: event.correlationId }) },
    },
    { queue: GRAPHICS_QUEUE, kind: 'thumbnail', payload: { fileId: file.id, sizes: [...THUMBNAIL_SIZES] }, ownerId: file.ownerId, ...JOB_OPTIONS },
  );
  await db.query('UPDATE auto_jobs SET job_id = $1::text::uuid WHERE file_id = $2::text::uuid AND kind = $3::text', [jobId, file.id, 'thumbnail']);
  ctx.log.info('thumbnail job enqueued for an upload', { fileId: file.id, jobId, channel: Channel.storageEvents });
}
