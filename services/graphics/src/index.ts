// graphics-api: the route table of /v1/graphics. Jobs are done by graphics-worker (src/worker.ts).
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { GRAPHICS_QUEUE } from './payloads.ts';
import { Channel } from '@authorworks/domain';
import { createCover } from './covers.ts';
import { getFileThumbnails } from './file-thumbnails.ts';
import { createJob, jobRoutes } from './jobs.ts';

const api = createApi({ service: 'graphics', base: '/v1/graphics', version, jobs: { queue: GRAPHICS_QUEUE, eventsChannel: Channel.mediaEvents } });

api
  .post('/jobs', createJob)
  .get('/jobs', jobRoutes.list)
  .get('/jobs/:id', jobRoutes.get)
  .delete('/jobs/:id', jobRoutes.cancel)
  .get('/files/:id/thumbnails', getFileThumbnails)
  .post('/covers', createCover);

serveHttp(api);
