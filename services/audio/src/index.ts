// audio-api: the route table of /v1/audio. The work happens in audio-worker (src/worker.ts).
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { AUDIO_QUEUE } from './job-kinds.ts';
import { createJob, ownerJobs } from './jobs.ts';

// `jobs`: every request also runs the rate-limited sweep of the audio queue.
const api = createApi({ service: 'audio', base: '/v1/audio', version, jobs: AUDIO_QUEUE })
  .post('/jobs', createJob)
  .get('/jobs', ownerJobs.list)
  .get('/jobs/:id', ownerJobs.get)
  .delete('/jobs/:id', ownerJobs.cancel);

serveHttp(api);
