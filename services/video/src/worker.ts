// video-worker: one Redis-triggered component on two channels. `video-jobs` nudges run the video
// jobs (the kit's durable job worker); `file.uploaded` on `storage-events` queues a validate job
// for every uploaded video. Each half ignores the other's messages.
import { Channel } from '@authorworks/domain';
import { createEventConsumer, createJobWorker } from '@authorworks/kit/spin';
import { videoJobHandlers } from './job-handlers.ts';
import { uploadHandlers } from './uploads.ts';
import { VIDEO_QUEUE } from './video-jobs.ts';

const jobs = createJobWorker({ consumer: 'video-worker', queue: VIDEO_QUEUE, eventsChannel: Channel.mediaEvents, handlers: videoJobHandlers });
const uploads = createEventConsumer({ consumer: 'video-worker', idempotency: 'none', handlers: uploadHandlers });

export const inboundRedis = {
  async handleMessage(message: Uint8Array): Promise<void> {
    await uploads.handleMessage(message);
    await jobs.handleMessage(message);
  },
};
