import { createApi, serveHttp } from '@authorworks/kit';
import { version } from '../package.json';

const api = createApi({ service: 'user', base: '/v1/users', version });

serveHttp(api);
