// audio-worker: the Redis trigger on `audio-jobs` (the kit's job worker doing the audio jobs) and
// on `user-events` (a deleted user's queued and running jobs are cancelled: work must stop being
// done in the name of someone who no longer exists, and the kit only refuses their token for as
// long as an access token lives).
import { Id, UserEventType } from '@authorworks/domain';
import { cancelOwnerJobs, on } from '@authorworks/kit';
import { createEventConsumer, createJobWorker } from '@authorworks/kit/spin';
import { z } from 'zod';
import { audioJobHandlers } from './audio-jobs.ts';
import { AUDIO_QUEUE } from './job-kinds.ts';

const jobs = createJobWorker({ consumer: 'audio-worker', ...AUDIO_QUEUE, handlers: audioJobHandlers });

const users = createEventConsumer({
  consumer: 'audio-worker',
  // Cancelling twice changes nothing.
  idempotency: 'none',
  handlers: {
    [UserEventType.deleted]: on(z.object({ id: Id }), async (event, ctx) => {
      const cancelled = await cancelOwnerJobs(ctx.db(), event.data.id);
      ctx.log.info('jobs of a deleted user cancelled', { userId: event.data.id, cancelled });
    }),
  },
});

/** Each side ignores the other's messages (job nudges / user events). */
export const inboundRedis = {
  async handleMessage(message: Uint8Array): Promise<void> {
    await jobs.handleMessage(message);
    await users.handleMessage(message);
  },
};
