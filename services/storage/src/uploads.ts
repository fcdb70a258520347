import { CompleteUploadRequest, CreateUploadRequest, FileParams, StoredFile, UploadTicket } from '@authorworks/domain';
import {
  badRequest,
  conflict,
  created,
  defineRoute,
  HttpError,
  json,
  objectStoreFromConfig,
  randomUuid,
  unprocessable,
  type Principal,
  type RequestContext,
} from '@authorworks/kit';
import { detectContentType } from './content-type.ts';
import { sanitizeFilename } from './filenames.ts';
import { fileFor, fileView } from './records.ts';
import { assertRoomFor, reserveNewFile } from './reservations.ts';
import { PART_BYTES, storageSettings } from './settings.ts';
import { sweepAbandoned, SWEEP_KEY } from './sweep.ts';
import { discardPendingVersion, finishVersion, objectKeyFor, readExactly, sha256Of, type PendingVersion } from './upload.ts';
import { COMPLETE_GRACE_SECONDS, completeMultipart, partLayout, partUrls, pendingUpload, TICKET_PARTS } from './upload-parts.ts';

// Large files: the bytes go from the client straight to object storage with presigned URLs, so
// they never pass through (and never fill the memory of) a component. `POST /uploads` reserves
// the declared size in the quota and records a pending file whose object key the server chose:
// up to `storage_max_single_put_bytes` (16 MiB) one presigned PUT, above it an S3 multipart
// upload with a presigned URL per 8 MiB part (upload-parts.ts). `POST /uploads/{id}/complete`
// checks what arrived against what was declared — a single PUT read back once and hashed whole,
// a multipart upload part by part — and detects the type. A mismatch removes object and record;
// an upload never completed is removed by the sweep once its URLs and a grace period expire.

const DEFAULT_UPLOAD_SECONDS = 900;

export const createUpload = defineRoute({
  body: CreateUploadRequest,
  auth: 'required',
  readAlong: [SWEEP_KEY],
  responses: { 201: UploadTicket },
  errors: {
    413: '`payload_too_large`: over the large upload limit; `quota_exceeded`: over the caller\'s storage quota',
  },
}, async (context) => {
  await sweepAbandoned(context);
  const settings = storageSettings(context.config);
  const { size, contentType, access } = context.body;
  if (size > settings.maxLargeUploadBytes) {
    throw new HttpError(413, 'payload_too_large', `An upload may declare at most ${settings.maxLargeUploadBytes} bytes`);
  }
  const multipart = size > settings.maxSinglePutBytes;
  // A single PUT is checked against the SHA-256 declared (else its hash is only recorded); a
  // multipart upload against each part's, given at `complete`.
  const sha256 = multipart ? null : (context.body.sha256 ?? null);
  const expiresIn = context.body.expiresInSeconds ?? DEFAULT_UPLOAD_SECONDS;
  const ownerId = context.principal.userId;
  const fileId = randomUuid();
  const objectKey = objectKeyFor(ownerId, fileId);
  const store = objectStoreFromConfig(context.config);
  // The multipart upload is started before the row that names it exists; if recording it fails,
  // it is aborted (it has no parts yet). The quota is checked first, so a full quota starts nothing.
  let uploadId: string | null = null;
  if (multipart) {
    await assertRoomFor(context.db(), ownerId, size, settings.quotaBytes);
    uploadId = (await store.createMultipartUpload(objectKey)).uploadId;
  }
  let expiresAt: string;
  try {
    const versionExpiresAt = await reserveNewFile(
      context.db(),
      {
        fileId,
        ownerId,
        filename: sanitizeFilename(context.body.filename),
        access: access ?? 'private',
        objectKey,
        size,
        sha256,
        contentType: 'application/octet-stream',
        declaredType: contentType ?? null,
        expiresInSeconds: expiresIn + COMPLETE_GRACE_SECONDS,
        ...(uploadId ? { multipart: { uploadId, partSize: PART_BYTES } } : {}),
      },
      settings.quotaBytes,
    );
    // The URLs expire first; the grace after them is complete's.
    expiresAt = new Date(Date.parse(versionExpiresAt) - COMPLETE_GRACE_SECONDS * 1000).toISOString();
  } catch (error) {
    if (uploadId) await store.abortMultipartUpload(objectKey, uploadId).catch((abortError: unknown) => context.log.error('an unrecorded multipart upload could not be aborted', { objectKey, error: abortError }));
    throw error;
  }
  const file = fileView(await fileFor(context.db(), fileId, context.principal, 'read'));
  const location = `/v1/storage/files/${fileId}`;
  if (!uploadId) {
    const uploadUrl = await store.presignPut(objectKey, { expiresInSeconds: expiresIn });
    return created({ kind: 'single', file, uploadUrl, method: 'PUT', headers: { 'content-length': String(size) }, expiresAt }, location);
  }
  const layout = partLayout(size, PART_BYTES);
  const page = await partUrls(store, { objectKey, uploadId, layout, expiresInSeconds: expiresIn }, 1, TICKET_PARTS);
  return created(
    {
      kind: 'multipart',
      file,
      partSize: PART_BYTES,
      partCount: layout.count,
      parts: page.items,
      nextFirst: page.nextFirst,
      partProxyPath: `/v1/storage/uploads/${fileId}/parts/{partNumber}`,
      method: 'PUT',
      expiresAt,
    },
    location,
  );
});

/** `POST /uploads/{id}/complete`: what arrived is checked, then the file becomes available. */
export const completeUpload = defineRoute({
  params: FileParams,
  body: CompleteUploadRequest.optional(),
  auth: 'required',
  responses: { 200: StoredFile },
  errors: {
    400: '`parts_required`: a multipart upload is completed with `{ parts: [{ partNumber, sha256 }] }`; `not_multipart`: a single PUT is completed without a body; `validation_failed`: parts not numbered 1, 2, 3, …',
    403: 'The caller may read the file but is not its owner',
    404: 'No file with that id the caller may read',
    409: '`no_pending_upload`; `upload_missing`: nothing was PUT yet; `upload_expired`; `file_deleted`; `completion_in_progress`: another complete of this upload is running',
    422: '`size_mismatch`, `checksum_mismatch`, `part_count_mismatch` or `parts_missing`: the upload is not what was declared (it was removed: parts, object, record and reserved bytes)',
    503: '`verification_unavailable`: a part could not be read back now; the upload stays pending, complete again',
  },
}, async (context) => {
  const db = context.db();
  const file = await fileFor(db, context.params.id, context.principal, 'owner');
  const pending = await pendingUpload(db, file.id);
  if (!pending) throw conflict('no_pending_upload', 'This file has no upload waiting to be completed (finished, or expired)');
  const version: PendingVersion = { fileId: file.id, ownerId: file.ownerId, version: pending.version, objectKey: pending.objectKey, uploadId: pending.uploadId };
  if (pending.uploadId !== null && pending.partSize !== null) {
    if (!context.body) throw badRequest('parts_required', 'A multipart upload is completed with { parts: [{ partNumber, sha256 }, …] }, one for each part');
    const { checksum, contentType } = await completeMultipart(context, { ...pending, uploadId: pending.uploadId, partSize: pending.partSize }, version, context.body.parts);
    return finished(context, context.principal, version, { checksum, contentType, sha256: null, size: pending.size });
  }
  if (context.body) throw badRequest('not_multipart', 'This upload was one PUT: complete it without a body');
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
  if (pending.sha256 !== null && sha256 !== pending.sha256) {
    await discardPendingVersion(context, version);
    throw unprocessable('checksum_mismatch', 'The upload does not match the declared SHA-256; it was removed');
  }
  return finished(context, context.principal, version, { contentType: await detectContentType(bytes), sha256, checksum: null, size: pending.size });
});

/** The version becomes available (or, failing that, is removed), and the file is the answer. */
async function finished(
  context: RequestContext,
  principal: Principal,
  version: PendingVersion,
  facts: { contentType: string; size: number; sha256: string | null; checksum: string | null },
): Promise<Response> {
  try {
    return json(fileView(await finishVersion(context, principal, version, { ...facts, filename: null })));
  } catch (error) {
    await discardPendingVersion(context, version);
    throw error;
  }
}
