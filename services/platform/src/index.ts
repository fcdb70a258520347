import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { errorPage } from './error-pages.ts';
import { referenceAsset, referencePage } from './reference.ts';

// Routed on Spin's catch-all `/...`: every path this table does not name is the kit's 404 envelope.
const api = createApi({ service: 'platform', base: '', version })
  .get('/docs', referencePage)
  .get('/docs/assets/:file', referenceAsset)
  .get('/errors/:status', errorPage);

serveHttp(api);
