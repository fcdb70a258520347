import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';

const api = createApi({ service: 'messaging', base: '/v1/messaging', version });

serveHttp(api);
