// graphics-worker: the Redis-triggered component on graphics-jobs (job nudges: it claims and runs
// probe / thumbnail / resize jobs through the kit, job.completed / job.failed going to
// media-events) and on storage-events (every uploaded PNG or JPEG gets a thumbnail job, once per
// file). One component for both, as the service's one worker entry.
import { Channel, FileUploadedData, StorageEventType } from '@authorworks/domain';
import { Config, createLogger, decodeEvent, flushOutbox, on } from '@authorworks/kit';
import { createEventConsumer, createJobWorker, spinHost } from '@authorworks/kit/spin';
import { graphicsJobHandlers } from './graphics-jobs.ts';
import { GRAPHICS_QUEUE } from './payloads.ts';
import { thumbnailUploadedImage } from './uploads.ts';

const jobs = createJobWorker({
  consumer: 'graphics-worker',
  queue: GRAPHICS_QUEUE,
  eventsChannel: Channel.mediaEvents,
  handlers: graphicsJobHandlers,
  // A thumbnail of a big photo takes seconds, and Spin handles one Redis message at a time per
  // server (every worker of the platform waits meanwhile): few jobs per message, the default 10 s
  // budget after which no new job starts; a backlog goes on in the next messages.
  maxJobsPerMessage: 3,
});

const uploads = createEventConsumer({
  consumer: 'graphics-worker',
  idempotency: 'postgres',
  handlers: { [StorageEventType.fileUploaded]: on(FileUploadedData, thumbnailUploadedImage) },
});

export const inboundRedis = {
  async handleMessage(message: Uint8Array): Promise<void> {
    const decoded = decodeEvent(message);
    if (!decoded.ok || decoded.event.type !== StorageEventType.fileUploaded) return jobs.handleMessage(message);
    await uploads.handleMessage(message);
    // The handler recorded the new job's job.requested nudge in the outbox: publish it now.
    const config = new Config(spinHost.variables);
    await flushOutbox(spinHost.openPostgres(config.dbConnection), () => spinHost.openRedis(config.redisAddress), {
      source: 'graphics-worker',
      log: createLogger({ level: config.logLevel, fields: { component: 'graphics-worker' } }),
    });
  },
};
