import { createApi, serveHttp } from '@authorworks/kit';
import { version } from '../package.json';

const api = createApi({ service: 'content', base: '/v1/content', version });

serveHttp(api);
