import { CreateUploadRequest, FileParams, StoredFile, UploadTicket } from '@authorworks/domain';
import { conflict, created, defineRoute, HttpError, json, objectStoreFromConfig, queryOne, randomUuid, sqlInt, transaction, unprocessable } from '@authorworks/kit';
import { z } from 'zod';
import { detectContentType } from './content-type.ts';
import { sanitizeFilename } from './filenames.ts';
import { fileFor, fileView } from './records.ts';
import { reserveBytes } from './reservations.ts';
import { storageSettings } from './settings.ts';
import { sweepAbandoned } from './sweep.ts';
import { discardPendingVersion, finishVersion, readExactly, sha256Of, type PendingVersion } from './upload.ts';

// Large files: the bytes go from the client straight to object storage with a presigned PUT, so
// they never pass through (and never fill the memory of) a component. `POST /uploads` reserves
// the declared size in the quota and records a pending file whose object key the server chose;
// `POST /uploads/{id}/complete` checks the object against the declared size and SHA-256 (reading
// it back once: S3-compatible servers do not all verify a checksum on PUT) and detects its type.
// A mismatch removes object and record; an upload never completed is removed by the sweep once
// its URL and a minute of grace have expired.

const COMPLETE_GRACE_SECONDS = 60;
const DEFAULT_UPLOAD_SECONDS = 900;

export const createUpload = defineRoute({
  body: CreateUploadRequest,
  auth: 'required',
  responses: { 201: UploadTicket },
  errors: { 413: '`payload_too_large`: over the large upload limit; `quota_exceeded`: over the caller\'s storage quota' },
}, async (context) => {
  await sweepAbandoned(context);
  const settings = storageSettings(context.config);
  const { size, sha256, contentType, access } = context.body;
  if (size > settings.maxLargeUploadBytes) {
    throw new HttpError(413, 'payload_too_large', `An upload may declare at most ${settings.maxLargeUploadBytes} bytes`);
  }
  const expiresIn = context.body.expiresInSeconds ?? DEFAULT_UPLOAD_SECONDS;
  const ownerId = context.principal.userId;
  const fileId = randomUuid();
  const objectKey = `files/${ownerId}/${fileId}/${randomUuid()}`;
  const expiresAt = await transaction(context.db(), async (tx) => {
    await reserveBytes(tx, ownerId, size, settings.quotaBytes);
    await tx.query(`INSERT INTO files (id, owner_id, filename, access) VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::text)`, [
      fileId,
      ownerId,
      sanitizeFilename(context.body.filename),
      access ?? 'private',
    ]);
    const row = await queryOne(
      tx,
      z.object({ expiresAt: z.string() }),
      `INSERT INTO file_versions (file_id, version, owner_id, object_key, size, sha256, content_type, declared_type, status, expires_at)
       VALUES ($1::text::uuid, 1, $2::text::uuid, $3::text, $4::int8, $5::text, 'application/octet-stream', $6::text, 'pending',
               now() + make_interval(secs => $7::int8))
       RETURNING to_char((expires_at - make_interval(secs => $8::int8)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "expiresAt"`,
      [fileId, ownerId, objectKey, size, sha256, contentType ?? null, expiresIn + COMPLETE_GRACE_SECONDS, COMPLETE_GRACE_SECONDS],
    );
    return row!.expiresAt;
  });
  const uploadUrl = await objectStoreFromConfig(context.config).presignPut(objectKey, { expiresInSeconds: expiresIn });
  const file = fileView(await fileFor(context.db(), fileId, context.principal, 'read'));
  return created(
    { file, uploadUrl, method: 'PUT', headers: { 'content-length': String(size) }, expiresAt },
    `/v1/storage/files/${fileId}`,
  );
});

const PendingRow = z.object({ version: sqlInt, size: sqlInt, sha256: z.string(), objectKey: z.string() });

/** `POST /uploads/{id}/complete`: the object is checked, then the file becomes available. */
export const completeUpload = defineRoute({
  params: FileParams,
  auth: 'required',
  responses: { 200: StoredFile },
  errors: {
    403: 'The caller may read the file but is not its owner',
    404: 'No file with that id the caller may read',
    409: '`no_pending_upload`; `upload_missing`: nothing was PUT to the URL yet; `upload_expired`; `file_deleted`',
    422: '`size_mismatch` or `checksum_mismatch`: the upload is not what was declared (it was removed)',
  },
}, async (context) => {
  const db = context.db();
  const file = await fileFor(db, context.params.id, context.principal, 'owner');
  const pending = await queryOne(
    db,
    PendingRow,
    `SELECT version, size, sha256, object_key AS "objectKey" FROM file_versions
      WHERE file_id = $1::text::uuid AND status = 'pending' AND expires_at > now() ORDER BY version DESC LIMIT 1`,
    [file.id],
  );
  if (!pending) throw conflict('no_pending_upload', 'This file has no upload waiting to be completed (finished, or expired)');
  const version: PendingVersion = { fileId: file.id, ownerId: file.ownerId, version: pending.version, objectKey: pending.objectKey };
  const store = objectStoreFromConfig(context.config);
  const head = await store.head(pending.objectKey);
  if (!head) throw conflict('upload_missing', 'Nothing has been uploaded to the URL yet; PUT the file, then complete');
  if (head.size !== pending.size) {
    await discardPendingVersion(context, version);
    throw unprocessable('size_mismatch', `The upload has ${head.size} bytes, not the ${pending.size} declared; it was removed`);
  }
  const object = await store.get(pending.objectKey);
  const bytes = await readExactly(object.body, pending.size).catch(async (error: unknown) => {
    await discardPendingVersion(context, version);
    throw error;
  });
  const sha256 = await sha256Of(bytes);
  if (sha256 !== pending.sha256) {
    await discardPendingVersion(context, version);
    throw unprocessable('checksum_mismatch', 'The upload does not match the declared SHA-256; it was removed');
  }
  try {
    await finishVersion(context, version, { contentType: await detectContentType(bytes) });
  } catch (error) {
    await discardPendingVersion(context, version);
    throw error;
  }
  return json(fileView(await fileFor(db, file.id, context.principal, 'read')));
});
