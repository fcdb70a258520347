import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';

const api = createApi({ service: 'storage', base: '/v1/storage', version });

serveHttp(api);
