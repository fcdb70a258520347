import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';

const api = createApi({ service: 'editor', base: '/v1/editor', version });

serveHttp(api);
