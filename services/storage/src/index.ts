// storage-api: the route table of /v1/storage. Each route (its spec and handler) lives with its
// resource, in one file per resource with its SQL.
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { getContent, getVersionContent } from './download.ts';
import * as files from './files.ts';
import * as grants from './grants.ts';
import { getQuota } from './quota.ts';
import * as parts from './upload-parts.ts';
import * as uploads from './uploads.ts';
import * as versions from './versions.ts';
import { warmUpStorage } from './warm-up.ts';

const api = createApi({ service: 'storage', base: '/v1/storage', version, warmUp: warmUpStorage });

api
  // Files: small uploads, records, downloads
  .post('/files', files.uploadFile)
  .get('/files', files.listFiles)
  .get('/files/:id', files.getFile)
  .patch('/files/:id', files.updateFile)
  .delete('/files/:id', files.deleteFile)
  .get('/files/:id/content', getContent)
  // Versions
  .post('/files/:id/versions', versions.uploadVersion)
  .get('/files/:id/versions', versions.listVersions)
  .get('/files/:id/versions/:version/content', getVersionContent)
  // Grants
  .post('/files/:id/grants', grants.createGrant)
  .get('/files/:id/grants', grants.listGrants)
  .delete('/files/:id/grants/:grantId', grants.revokeGrant)
  // Large uploads through presigned URLs
  .post('/uploads', uploads.createUpload)
  .post('/uploads/:id/complete', uploads.completeUpload)
  .get('/uploads/:id/parts', parts.listPartUrls)
  .put('/uploads/:id/parts/:partNumber', parts.putPart)
  // Internal: `complete` reads each part back through this route (its own request, the caller's token).
  .get('/uploads/:id/parts/:partNumber/digest', parts.partDigest)
  // Quota
  .get('/quota', getQuota);

serveHttp(api);
