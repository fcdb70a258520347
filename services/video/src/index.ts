// video-api: the route table of /v1/video. Each route (its spec and handler) lives with its
// resource: jobs.ts, transcoder-callbacks.ts.
import { Channel } from '@authorworks/domain';
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import * as jobs from './jobs.ts';
import { transcoderCallback } from './transcoder-callbacks.ts';
import { VIDEO_QUEUE } from './video-jobs.ts';

const api = createApi({ service: 'video', base: '/v1/video', version, jobs: { queue: VIDEO_QUEUE, eventsChannel: Channel.mediaEvents } });

api
  // Jobs: probe, validate, poster, trailer of a storage file; the caller's own jobs only
  .post('/jobs', jobs.createJob)
  .get('/jobs', jobs.listJobs)
  .get('/jobs/:id', jobs.getOwnJob)
  .delete('/jobs/:id', jobs.cancelJob)
  // SVT Encore's progress callbacks (no user: a token in the URL), which wake a waiting poster or trailer job
  .post('/transcoder-callbacks/:id', transcoderCallback);

serveHttp(api);
