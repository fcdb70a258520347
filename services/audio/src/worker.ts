// audio-worker: the Redis trigger on `audio-jobs`, doing the audio jobs with the kit's worker.
import { createJobWorker } from '@authorworks/kit/spin';
import { audioJobHandlers } from './audio-jobs.ts';
import { AUDIO_QUEUE } from './job-kinds.ts';

export const inboundRedis = createJobWorker({ consumer: 'audio-worker', ...AUDIO_QUEUE, handlers: audioJobHandlers });
