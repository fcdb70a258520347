// jobs-demo-api: the route table of /v1/jobs-demo, with the kit's job admin routes mounted.
import { jobAdminRoutes, ownerJobRoutes } from '@authorworks/kit';
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { DEMO_QUEUE, enqueueDemoJobs, getDemoJob, wakeDemoJob, whoAmI } from './demo-jobs.ts';

const admin = jobAdminRoutes(DEMO_QUEUE);
const mine = ownerJobRoutes(DEMO_QUEUE);

// `jobs`: every request also runs the rate-limited jobs sweep.
const api = createApi({ service: 'jobs-demo', base: '/v1/jobs-demo', version, jobs: DEMO_QUEUE })
  .post('/jobs', enqueueDemoJobs)
  .get('/jobs/:id', getDemoJob)
  .post('/jobs/:id/wake', wakeDemoJob)
  .get('/my/jobs', mine.list)
  .get('/my/jobs/:id', mine.get)
  .delete('/my/jobs/:id', mine.cancel)
  .get('/whoami', whoAmI)
  .post('/admin/jobs/sweep', admin.sweep)
  .get('/admin/jobs/:id', admin.get)
  .post('/admin/jobs/:id/cancel', admin.cancel);
serveHttp(api);
