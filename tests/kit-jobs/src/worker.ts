// jobs-demo-worker: the Redis trigger on jobs-demo-jobs, doing the demo's jobs with the kit's worker.
import { createJobWorker } from '@authorworks/kit/spin';
import { DEMO_QUEUE, demoJobHandlers } from './demo-jobs.ts';

export const inboundRedis = createJobWorker({ consumer: 'jobs-demo-worker', ...DEMO_QUEUE, handlers: demoJobHandlers });
