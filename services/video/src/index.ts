import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';

const api = createApi({ service: 'video', base: '/v1/video', version });

serveHttp(api);
