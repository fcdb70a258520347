// graphics-worker: the Redis-triggered component on graphics-jobs (job nudges: it claims and runs
// probe / thumbnail / resize jobs through the kit, job.completed / job.failed going to
// media-events), on storage-events (every uploaded PNG or JPEG gets a thumbnail job, once per
// file) and on user-events (a deleted user's jobs are cancelled: no more work in their name).
// One component for all three, as the service's one worker entry.
import { Channel, FileUploadedData, StorageEventType, UserDeletedEvent, UserEventType } from '@authorworks/domain';
import { cancelOwnerJobs, Config, createLogger, decodeEvent, flushOutbox, on } from '@authorworks/kit';
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

const events = createEventConsumer({
  consumer: 'graphics-worker',
  idempotency: 'postgres',
  handlers: {
    [StorageEventType.fileUploaded]: on(FileUploadedData, thumbnailUploadedImage),
    [UserEventType.deleted]: on(UserDeletedEvent.shape.data, async (event, ctx) => {
      const cancelled = await cancelOwnerJobs(ctx.db(), event.data.id);
      if (cancelled > 0) ctx.log.info('a deleted user\'s jobs cancelled', { userId: event.data.id, cancelled });
    }),
  },
});

export const inboundRedis = {
  async handleMessage(message: Uint8Array): Promise<void> {
    const decoded = decodeEvent(message);
    if (decoded.ok && decoded.event.type === UserEventType.deleted) return events.handleMessage(message);
    if (!decoded.ok || decoded.event.type !== StorageEventType.fileUploaded) return jobs.handleMessage(message);
    await events.handleMessage(message);
    // The handler recorded the new job's job.requested nudge in the outbox: publish it now.
    const config = new Config(spinHost.variables);
    await flushOutbox(spinHost.openPostgres(config.dbConnection), () => spinHost.openRedis(config.redisAddress), {
      source: 'graphics-worker',
      log: createLogger({ level: config.logLevel, fields: { component: 'graphics-worker' } }),
    });
  },
};
