import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';

const api = createApi({ service: 'graphics', base: '/v1/graphics', version });

serveHttp(api);
