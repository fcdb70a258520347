// editor-api: the route table of /v1/editor. Each route (its spec and handler) lives with its
// resource, in one file per resource with its SQL.
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import * as checkpoints from './checkpoints.ts';
import * as comments from './comments.ts';
import * as documents from './documents.ts';
import * as operations from './operations.ts';
import * as presence from './presence.ts';
import { streamDocument } from './stream.ts';

const api = createApi({ service: 'editor', base: '/v1/editor', version });

api
  // Documents and their operations
  .get('/documents/:chapterId', documents.getDocument)
  .put('/documents/:chapterId/content', operations.putContent)
  .post('/documents/:chapterId/operations', operations.postOperations)
  .get('/documents/:chapterId/operations', operations.listOperations)
  .get('/documents/:chapterId/stream', streamDocument)
  // Checkpoints
  .post('/documents/:chapterId/checkpoints', checkpoints.createCheckpoint)
  .get('/documents/:chapterId/checkpoints', checkpoints.listCheckpoints)
  .post('/documents/:chapterId/checkpoints/:checkpointId/revert', checkpoints.revertToCheckpoint)
  // Comments
  .post('/documents/:chapterId/comments', comments.createComment)
  .get('/documents/:chapterId/comments', comments.listComments)
  .post('/documents/:chapterId/comments/:commentId/replies', comments.replyToComment)
  .post('/documents/:chapterId/comments/:commentId/resolve', comments.resolveComment)
  // Presence
  .put('/documents/:chapterId/presence', presence.putPresence)
  .get('/documents/:chapterId/presence', presence.listPresence);

serveHttp(api);
