import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { deleteMe, getMe, patchMe, publicProfile, register } from './accounts.ts';
import { listUsers, setUserStatus } from './admin.ts';
import { autheliaSession, verify } from './forward-auth.ts';
import { deletePreference, getPreference, listPreferences, putPreference } from './preferences.ts';
import { login, logout, logoutEverywhere, refresh } from './sessions.ts';

// Literal paths come before `/:id`, which would otherwise match them.
const api = createApi({ service: 'user', base: '/v1/users', version, maxBodyBytes: 16 * 1024 })
  .post('/register', register)
  .post('/login', login)
  .post('/refresh', refresh)
  .post('/logout', logout)
  .post('/logout-all', logoutEverywhere)
  .get('/auth/verify', verify)
  .post('/auth/authelia', autheliaSession)
  .get('/me', getMe)
  .patch('/me', patchMe)
  .delete('/me', deleteMe)
  .get('/me/preferences', listPreferences)
  .get('/me/preferences/:key', getPreference)
  .put('/me/preferences/:key', putPreference)
  .delete('/me/preferences/:key', deletePreference)
  .get('/', listUsers)
  .patch('/:id/status', setUserStatus)
  .get('/:id', publicProfile);

serveHttp(api);
