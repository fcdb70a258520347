// video-worker: one Redis-triggered component on three channels. `video-jobs` nudges run the video
// jobs (the kit's durable job worker); `file.uploaded` on `storage-events` queues a validate job
// for every uploaded video and `user.deleted` on `user-events` cancels that user's jobs
// (events.ts). Each half ignores the other's messages.
import { Channel } from '@authorworks/domain';
import { createEventConsumer, createJobWorker } from '@authorworks/kit/spin';
import { videoJobHandlers } from './job-handlers.ts';
import { videoEventHandlers } from './events.ts';
import { VIDEO_QUEUE } from './video-jobs.ts';

const jobs = createJobWorker({ consumer: 'video-worker', queue: VIDEO_QUEUE, eventsChannel: Channel.mediaEvents, handlers: videoJobHandlers });
const events = createEventConsumer({ consumer: 'video-worker', idempotency: 'none', handlers: videoEventHandlers });

export const inboundRedis = {
  async handleMessage(message: Uint8Array): Promise<void> {
    await events.handleMessage(message);
    await jobs.handleMessage(message);
  },
};
