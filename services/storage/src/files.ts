import { Channel, FileDeletedData, FileParams, ListFilesQuery, StorageEventType, UpdateFileRequest, StoredFile, StoredFileList } from '@authorworks/domain';
import {
  changeWithEvents,
  created,
  CursorTimestamp,
  decodeCursor,
  defineRoute,
  json,
  noContent,
  objectStoreFromConfig,
  pageOf,
  queryRows,
  type RequestContext,
} from '@authorworks/kit';
import { z } from 'zod';
import { CONTENT_FAMILIES } from '@authorworks/domain';
import { sanitizeFilename } from './filenames.ts';
import { releaseBytes } from './reservations.ts';
import { fileFor, fileView, selectFiles } from './records.ts';
import { storageSettings } from './settings.ts';
import { sweepAbandoned, SWEEP_KEY } from './sweep.ts';
import { filenameFor, readIncomingFile, removeVersionObject, storeVersion, UploadQuery } from './upload.ts';

// File records: upload (small), list, get, patch, delete. Large files start at uploads.ts,
// downloads are download.ts, versions versions.ts, grants grants.ts.

async function viewOf(context: RequestContext, id: string, principal: Parameters<typeof fileFor>[2]) {
  return fileView(await fileFor(context.db(), id, principal, 'read'));
}

/** `POST /files?filename=…` with the raw bytes, or multipart/form-data with a file part. */
export const uploadFile = defineRoute({
  query: UploadQuery,
  auth: 'required',
  readAlong: [SWEEP_KEY],
  responses: { 201: StoredFile },
  errors: {
    400: 'The file body: `empty_body`, `empty_file`, `body_incomplete`, `body_length_mismatch`, `bad_body`, a bad multipart form, `checksum_mismatch` (against `X-Checksum-SHA256`), `filename_required`',
    411: '`length_required`: no Content-Length (use `POST /uploads` for a body of unknown size)',
    413: '`payload_too_large`: over the direct upload limit; `quota_exceeded`: over the caller\'s storage quota',
  },
}, async (context) => {
  await sweepAbandoned(context);
  const settings = storageSettings(context.config);
  const file = await readIncomingFile(context, settings, context.principal.userId);
  const filename = filenameFor(context.query.filename, file);
  const stored = await storeVersion(context, settings, context.principal, { kind: 'new', filename, access: context.query.access ?? 'private' }, file);
  return created(fileView(stored), `/v1/storage/files/${stored.id}`);
});

const Cursor = z.object({ t: CursorTimestamp, i: z.uuid() });

/** The caller's own files, newest first; `family` (image, audio, …) and `status` filter. */
export const listFiles = defineRoute({
  query: ListFilesQuery,
  auth: 'required',
  readAlong: [SWEEP_KEY],
  responses: { 200: StoredFileList },
  errors: { 400: '`invalid_cursor`' },
}, async (context) => {
  await sweepAbandoned(context);
  const { family, status, limit } = context.query;
  const after = decodeCursor(Cursor, context.query.cursor);
  const familyPrefix = family === undefined ? null : `${CONTENT_FAMILIES.includes(family) ? family : 'none'}/`;
  const rows = await selectFiles(
    context.db(),
    context.principal,
    `f.owner_id = $1::text::uuid
      AND ($2::text IS NULL OR f.status = $2::text)
      AND ($3::text IS NULL OR starts_with(v.content_type, $3::text))
      AND ($4::text IS NULL OR (f.created_at, f.id) < (($4::text || 'Z')::timestamptz, $5::text::uuid))`,
    [status ?? null, familyPrefix, after?.t ?? null, after?.i ?? null, limit + 1],
    'ORDER BY f.created_at DESC, f.id DESC LIMIT $6::int8',
  );
  const page = pageOf(rows, limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(fileView), nextCursor: page.nextCursor });
});

/**
 * A file's record, for its owner, a grantee, or anyone when it is public. Other services call
 * this with the user's token (`context.callService`) to read a file's metadata and check access:
 * 404 means the user may not read it, `permissions` says what else they may do.
 */
export const getFile = defineRoute({
  params: FileParams,
  auth: 'optional',
  responses: { 200: StoredFile },
  errors: { 404: 'No file with that id the caller may read' },
}, async (context) =>
  json(await viewOf(context, context.params.id, context.principal)),
);

/** Rename (a writer) or change access (the owner only). */
export const updateFile = defineRoute({
  params: FileParams,
  body: UpdateFileRequest,
  auth: 'required',
  responses: { 200: StoredFile },
  errors: { 403: 'The caller may not change this file (write grant, or the owner for `access`)', 404: 'No file with that id the caller may read' },
}, async (context) => {
  const { filename, access } = context.body;
  await changeWithEvents(context, Channel.storageEvents, async (tx) => {
    await fileFor(tx, context.params.id, context.principal, access === undefined ? 'write' : 'owner', true);
    await tx.query(
      `UPDATE files SET filename = COALESCE($2::text, filename), access = COALESCE($3::text, access), updated_at = now() WHERE id = $1::text::uuid`,
      [context.params.id, filename === undefined ? null : sanitizeFilename(filename), access ?? null],
    );
  });
  return json(await viewOf(context, context.params.id, context.principal));
});

const VersionKey = z.object({ objectKey: z.string(), uploadId: z.string().nullable() });

/**
 * The owner deletes a file with every version. The record is marked deleted, its bytes leave the
 * quota and `file.deleted` is recorded in one transaction; the objects and rows go after it. If
 * storage fails then, the sweep finishes the removal — the file is already gone for every caller.
 */
export const deleteFile = defineRoute({
  params: FileParams,
  auth: 'required',
  responses: { 204: null },
  errors: { 403: 'The caller may read the file but is not its owner', 404: 'No file with that id the caller may read' },
}, async (context) => {
  const db = context.db();
  const file = await changeWithEvents(context, Channel.storageEvents, async (tx, emit) => {
    const row = await fileFor(tx, context.params.id, context.principal, 'owner', true);
    const { rows } = await tx.query('SELECT COALESCE(sum(size), 0)::int8 AS bytes FROM file_versions WHERE file_id = $1::text::uuid', [row.id]);
    await releaseBytes(tx, row.ownerId, Number(rows[0]!.bytes));
    await tx.query(`UPDATE files SET status = 'deleted', updated_at = now() WHERE id = $1::text::uuid`, [row.id]);
    await tx.query('DELETE FROM grants WHERE file_id = $1::text::uuid', [row.id]);
    await emit({ type: StorageEventType.fileDeleted, subject: row.id, data: FileDeletedData.parse({ id: row.id, ownerId: row.ownerId }) });
    return row;
  });
  try {
    const versions = await queryRows(db, VersionKey, 'SELECT object_key AS "objectKey", multipart_upload_id AS "uploadId" FROM file_versions WHERE file_id = $1::text::uuid', [file.id]);
    const store = objectStoreFromConfig(context.config);
    for (const version of versions) await removeVersionObject(store, version);
    await db.query(`DELETE FROM files WHERE id = $1::text::uuid AND status = 'deleted'`, [file.id]);
  } catch (error) {
    context.log.error('a deleted file keeps objects for now; the sweep removes them', { fileId: file.id, error });
  }
  return noContent();
});
