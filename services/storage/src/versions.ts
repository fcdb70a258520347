import { FileParams, FileVersion, FileVersionList, StoredFile } from '@authorworks/domain';
import { created, defineRoute, isoTimestamp, json, queryRows, sqlInt } from '@authorworks/kit';
import { z } from 'zod';
import { fileFor, fileView } from './records.ts';
import { storageSettings } from './settings.ts';
import { filenameFor, MAX_VERSIONS, readIncomingFile, storeVersion, UploadQuery } from './upload.ts';

// Versions: each upload to an existing file adds one (owner or a writer; the owner's quota pays);
// the newest available one is the file's current version. Downloading one is download.ts.

const VersionRow = FileVersion.extend({ version: sqlInt, size: sqlInt });

/** `POST /files/{id}/versions`: the body as in `POST /files`; `?filename=` renames the file too. */
export const uploadVersion = defineRoute({
  params: FileParams,
  query: UploadQuery.omit({ access: true }),
  auth: 'required',
  responses: { 201: StoredFile },
  errors: {
    400: 'The file body: `empty_body`, `empty_file`, `body_incomplete`, `body_length_mismatch`, `bad_body`, a bad multipart form, `checksum_mismatch` (against `X-Checksum-SHA256`), `filename_required`',
    403: 'The caller may read the file but not write it',
    404: 'No file with that id the caller may read',
    409: '`file_not_available`: no finished upload yet; `too_many_versions`; `upload_expired`; `file_deleted` during the upload',
    411: '`length_required`: no Content-Length (use `POST /uploads` for a body of unknown size)',
    413: '`payload_too_large`: over the direct upload limit; `quota_exceeded`: over the caller\'s storage quota',
  },
}, async (context) => {
  const settings = storageSettings(context.config);
  const file = await fileFor(context.db(), context.params.id, context.principal, 'write');
  const incoming = await readIncomingFile(context, settings, file.ownerId);
  const filename = context.query.filename !== undefined || incoming.filename !== null ? filenameFor(context.query.filename, incoming) : null;
  const stored = await storeVersion(context, settings, context.principal, { kind: 'version', fileId: file.id, filename }, incoming);
  return created(fileView(stored), `/v1/storage/files/${stored.id}/versions/${stored.version}`);
});

/** Every version of a file, newest first (pending ones are the uploads in progress). */
export const listVersions = defineRoute({
  params: FileParams,
  auth: 'optional',
  responses: { 200: FileVersionList },
  errors: { 404: 'No file with that id the caller may read' },
}, async (context) => {
  const file = await fileFor(context.db(), context.params.id, context.principal, 'read');
  const items = await queryRows(
    context.db(),
    VersionRow,
    `SELECT version, status, size, content_type AS "contentType", declared_type AS "declaredType", sha256,
            COALESCE(checksum, sha256) AS checksum, ${isoTimestamp('created_at')} AS "createdAt"
       FROM file_versions WHERE file_id = $1::text::uuid AND ($2::bool OR status = 'available') ORDER BY version DESC LIMIT ${MAX_VERSIONS}`,
    [file.id, file.canWrite],
  );
  return json({ items });
});
