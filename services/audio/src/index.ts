import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';

const api = createApi({ service: 'audio', base: '/v1/audio', version });

serveHttp(api);
