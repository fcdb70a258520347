import { FileParams, UploadedPartDigest, UploadPartUrlPage, Sha256Hex } from '@authorworks/domain';
import {
  badRequest,
  conflict,
  defineRoute,
  HttpError,
  json,
  notFound,
  objectStoreFromConfig,
  queryOne,
  setIfAbsent,
  sqlInt,
  toHex,
  unprocessable,
  validate,
  type ObjectStore,
  type RequestContext,
  type SqlClient,
} from '@authorworks/kit';
import { z } from 'zod';
import { detectContentType } from './content-type.ts';
import { fileFor } from './records.ts';
import { storageSettings } from './settings.ts';
import { discardPendingVersion, readExactly, readRequestBody, sha256Of, type PendingVersion } from './upload.ts';

// Multipart uploads (files above the single-PUT limit). The client PUTs each 8 MiB part to its
// presigned URL (or through `PUT /uploads/{id}/parts/{n}` when it cannot reach object storage),
// then completes with every part's SHA-256. Completing checks the parts S3 lists against the
// declared size (count, each size), joins them, and verifies each part's SHA-256 by reading it
// back — each part in its own request to this component (`GET …/parts/{n}/digest` through
// `storage_self_url`), because the engine frees nothing within a request: one request reading a
// 2 GiB file would hold 2 GiB, one request per part holds one part. Any mismatch removes
// everything (parts, object, record, reserved bytes).

/** Part URLs in a ticket; more through `GET /uploads/{id}/parts?first=` (a ticket of 10,000 URLs would be ~5 MB). */
export const TICKET_PARTS = 1000;
/** How long after its URLs expire an upload may still be completed. */
export const COMPLETE_GRACE_SECONDS = 60;

export interface PartLayout {
  size: number;
  partSize: number;
  count: number;
}

export function partLayout(size: number, partSize: number): PartLayout {
  return { size, partSize, count: Math.max(1, Math.ceil(size / partSize)) };
}

/** Bytes of part `n` (1-based): `partSize` for all but the last, which has the rest. */
export const partSizeOf = (layout: PartLayout, n: number) => (n < layout.count ? layout.partSize : layout.size - (layout.count - 1) * layout.partSize);
export const partOffsetOf = (layout: PartLayout, n: number) => (n - 1) * layout.partSize;

const PendingUploadRow = z.object({
  version: sqlInt,
  size: sqlInt,
  sha256: z.string().nullable(),
  objectKey: z.string(),
  uploadId: z.string().nullable(),
  partSize: sqlInt.nullable(),
  secondsLeft: sqlInt,
});
export type PendingUpload = z.output<typeof PendingUploadRow>;

/** The file's upload waiting to be completed (not expired), or null. */
export async function pendingUpload(db: SqlClient, fileId: string): Promise<PendingUpload | null> {
  return queryOne(
    db,
    PendingUploadRow,
    `SELECT version, size, sha256, object_key AS "objectKey", multipart_upload_id AS "uploadId", part_size AS "partSize",
            floor(extract(epoch FROM expires_at - now()))::int8 AS "secondsLeft"
       FROM file_versions WHERE file_id = $1::text::uuid AND status = 'pending' AND expires_at > now() ORDER BY version DESC LIMIT 1`,
    [fileId],
  );
}

interface MultipartUpload {
  objectKey: string;
  uploadId: string;
  layout: PartLayout;
  expiresInSeconds: number;
}

/** Presigned URLs of parts `first` … `first + limit - 1` (those that exist). */
export async function partUrls(store: ObjectStore, upload: MultipartUpload, first: number, limit: number): Promise<z.output<typeof UploadPartUrlPage>> {
  const last = Math.min(upload.layout.count, first + limit - 1);
  const items = [];
  for (let n = first; n <= last; n++) {
    const url = await store.presignUploadPart(upload.objectKey, upload.uploadId, n, { expiresInSeconds: upload.expiresInSeconds });
    items.push({ partNumber: n, size: partSizeOf(upload.layout, n), url });
  }
  return { items, nextFirst: last < upload.layout.count ? last + 1 : null };
}

/** The caller's own file with a multipart upload waiting: 404/403 as for any file, 409 when there is none. */
async function ownMultipartUpload(context: RequestContext, principal: Parameters<typeof fileFor>[2], fileId: string) {
  const file = await fileFor(context.db(), fileId, principal, 'owner');
  const pending = await pendingUpload(context.db(), file.id);
  if (!pending) throw conflict('no_pending_upload', 'This file has no upload waiting to be completed (finished, or expired)');
  if (pending.uploadId === null || pending.partSize === null) throw conflict('not_multipart', 'This upload is one PUT, not in parts');
  const upload: MultipartUpload = {
    objectKey: pending.objectKey,
    uploadId: pending.uploadId,
    layout: partLayout(pending.size, pending.partSize),
    expiresInSeconds: Math.max(1, pending.secondsLeft - COMPLETE_GRACE_SECONDS),
  };
  return { file, pending, upload };
}

const PartParams = FileParams.extend({ partNumber: z.coerce.number().int().min(1).max(10_000) });

function checkPartNumber(upload: MultipartUpload, n: number): void {
  if (n > upload.layout.count) throw notFound(`This upload has ${upload.layout.count} parts`);
}

const PartUrlQuery = z
  .object({
    first: z.coerce.number().int().min(1).max(10_000).default(1),
    limit: z.coerce.number().int().min(1).max(TICKET_PARTS).default(TICKET_PARTS),
  })
  .strict();

/** `GET /uploads/{id}/parts?first=&limit=`: presigned part URLs beyond those in the ticket (valid until the upload expires). */
export const listPartUrls = defineRoute({
  params: FileParams,
  query: PartUrlQuery,
  auth: 'required',
  responses: { 200: UploadPartUrlPage },
  errors: {
    403: 'The caller may read the file but is not its owner',
    404: 'No file with that id the caller may read',
    409: '`no_pending_upload`: finished or expired; `not_multipart`: the upload is one PUT',
  },
}, async (context) => {
  const { upload } = await ownMultipartUpload(context, context.principal, context.params.id);
  const first = Math.min(context.query.first, upload.layout.count + 1);
  return json(await partUrls(objectStoreFromConfig(context.config), upload, first, context.query.limit));
});

const PartHeaders = z.object({
  'content-length': z.string().regex(/^\d{1,15}$/, 'Send Content-Length (a number of bytes)').transform(Number).optional(),
  'x-checksum-sha256': Sha256Hex.optional(),
});

/**
 * `PUT /uploads/{id}/parts/{n}`: one part through the service, for clients that cannot reach
 * object storage. The body must be exactly the part's size; it is hashed natively, checked
 * against `X-Checksum-SHA256` when sent, and PUT to the multipart upload.
 */
export const putPart = defineRoute({
  params: PartParams,
  auth: 'required',
  responses: { 200: UploadedPartDigest },
  errors: {
    400: '`part_size_mismatch`: Content-Length is not the part\'s size; `empty_body`, `body_incomplete`; `checksum_mismatch` against `X-Checksum-SHA256` (nothing was stored)',
    403: 'The caller may read the file but is not its owner',
    404: 'No file with that id the caller may read, or no such part number in this upload',
    409: '`no_pending_upload`: finished, expired or removed; `not_multipart`: the upload is one PUT',
    411: '`length_required`: no Content-Length',
  },
}, async (context) => {
  const { upload } = await ownMultipartUpload(context, context.principal, context.params.id);
  const n = context.params.partNumber;
  checkPartNumber(upload, n);
  const headers = validate('headers', PartHeaders, {
    'content-length': context.request.headers.get('content-length') ?? undefined,
    'x-checksum-sha256': context.request.headers.get('x-checksum-sha256')?.toLowerCase() ?? undefined,
  });
  const expected = partSizeOf(upload.layout, n);
  if (headers['content-length'] === undefined) throw new HttpError(411, 'length_required', `Send Content-Length: part ${n} has ${expected} bytes`);
  if (headers['content-length'] !== expected) throw badRequest('part_size_mismatch', `Part ${n} has ${expected} bytes, not ${headers['content-length']}`);
  const bytes = await readRequestBody(context.request, expected);
  const sha256 = await sha256Of(bytes);
  if (headers['x-checksum-sha256'] !== undefined && headers['x-checksum-sha256'] !== sha256) {
    throw badRequest('checksum_mismatch', `Part ${n} does not match X-Checksum-SHA256; it was not stored`);
  }
  try {
    await objectStoreFromConfig(context.config).uploadPart(upload.objectKey, upload.uploadId, n, bytes);
  } catch (error) {
    if (error instanceof HttpError && error.code === 'upload_not_found') throw conflict('no_pending_upload', 'The upload was completed or removed');
    throw error;
  }
  return json({ partNumber: n, size: expected, sha256 });
});

/** What the digest route answers: a part as it was joined into the object, and for part 1 the detected type. */
const PartDigest = UploadedPartDigest.extend({ contentType: z.string().nullable() });

/**
 * `GET /uploads/{id}/parts/{n}/digest`: the SHA-256 of part n of a joined multipart upload,
 * read back from object storage. `complete` calls it through `storage_self_url` once per part
 * with the caller's token, so each read happens in a request of its own and memory stays at one
 * part. Read-only, the owner only (like every route), so calling it directly checks nothing away.
 */
export const partDigest = defineRoute({
  params: PartParams,
  auth: 'required',
  responses: { 200: PartDigest },
  errors: {
    403: 'The caller may read the file but is not its owner',
    404: 'No file with that id the caller may read, or no such part number in this upload',
    409: '`no_pending_upload`; `not_multipart`; `upload_not_assembled`: the parts are not joined yet (`complete` joins them before it reads them back)',
    422: '`size_mismatch`: the joined object is shorter than declared',
  },
}, async (context) => {
  const { upload } = await ownMultipartUpload(context, context.principal, context.params.id);
  const n = context.params.partNumber;
  checkPartNumber(upload, n);
  const start = partOffsetOf(upload.layout, n);
  const length = partSizeOf(upload.layout, n);
  let body: ReadableStream<Uint8Array>;
  try {
    body = (await objectStoreFromConfig(context.config).get(upload.objectKey, { range: `bytes=${start}-${start + length - 1}` })).body;
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) throw conflict('upload_not_assembled', 'The parts are not joined yet; complete the upload');
    if (error instanceof HttpError && error.status === 416) throw unprocessable('size_mismatch', `The object ends before part ${n}`);
    throw error;
  }
  const bytes = await readExactly(body, length).catch((error: unknown) => {
    if (error instanceof HttpError && error.status === 400) throw unprocessable('size_mismatch', `Part ${n} of the object does not have ${length} bytes`);
    throw error;
  });
  const sha256 = await sha256Of(bytes);
  return json({ partNumber: n, size: length, sha256, contentType: n === 1 ? await detectContentType(bytes) : null });
});

/** Seconds a completion may take: a minute, and two per part read back. */
const completionSeconds = (layout: PartLayout) => 60 + 2 * layout.count;

interface DeclaredPart {
  partNumber: number;
  sha256: string;
}

/**
 * The multipart half of `POST /uploads/{id}/complete`: checks, joins and verifies the parts.
 * Returns the file's checksum and detected type; the caller makes the version available.
 */
export async function completeMultipart(
  context: RequestContext,
  pending: PendingUpload & { uploadId: string; partSize: number },
  version: PendingVersion,
  declared: readonly DeclaredPart[],
): Promise<{ checksum: string; contentType: string }> {
  declared.forEach((part, index) => {
    if (part.partNumber !== index + 1) {
      throw badRequest('validation_failed', 'List the parts in order, numbered 1, 2, 3, …', [{ path: `body.parts.${index}.partNumber`, message: `Expected ${index + 1}` }]);
    }
  });
  const layout = partLayout(pending.size, pending.partSize);
  const seconds = completionSeconds(layout);
  if (!(await setIfAbsent(context.redis(), `storage:complete:${version.fileId}`, context.requestId, seconds))) {
    throw conflict('completion_in_progress', 'This upload is being completed by another request');
  }
  try {
    const refuse = async (code: string, message: string) => {
      await discardPendingVersion(context, version);
      return unprocessable(code, `${message}; the upload was removed`);
    };
    if (declared.length !== layout.count) {
      throw await refuse('part_count_mismatch', `The upload of ${layout.size} bytes has ${layout.count} parts of ${layout.partSize} bytes, not ${declared.length}`);
    }
    await joinParts(context, pending, version, layout, refuse);
    const digests: Uint8Array[] = [];
    let contentType = 'application/octet-stream';
    for (const part of declared) {
      const digest = await readBackPart(context, version.fileId, part.partNumber).catch(async (error: unknown) => {
        throw error instanceof HttpError && error.status === 422 ? await refuse(error.code, error.message) : error;
      });
      if (digest.size !== partSizeOf(layout, part.partNumber)) throw await refuse('size_mismatch', `Part ${part.partNumber} has ${digest.size} bytes`);
      if (digest.sha256 !== part.sha256) throw await refuse('checksum_mismatch', `Part ${part.partNumber} does not match its declared SHA-256`);
      if (digest.contentType) contentType = digest.contentType;
      digests.push(Uint8Array.from(digest.sha256.match(/../g)!, (byte) => parseInt(byte, 16)));
    }
    const joined = new Uint8Array(digests.length * 32);
    digests.forEach((digest, index) => joined.set(digest, index * 32));
    return { checksum: `${toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', joined)))}-${layout.count}`, contentType };
  } finally {
    await context.redis().del([`storage:complete:${version.fileId}`]).catch(() => undefined);
  }
}

/**
 * Checks the parts S3 lists against the layout and joins them. An upload S3 no longer knows was
 * joined by an earlier `complete` that stopped before the end: its object is checked instead.
 */
async function joinParts(
  context: RequestContext,
  pending: PendingUpload & { uploadId: string },
  version: PendingVersion,
  layout: PartLayout,
  refuse: (code: string, message: string) => Promise<HttpError>,
): Promise<void> {
  const store = objectStoreFromConfig(context.config);
  const listed = await store.listParts(pending.objectKey, pending.uploadId);
  if (listed === null) {
    const head = await store.head(pending.objectKey);
    if (!head) throw await refuse('parts_missing', 'The multipart upload is gone');
    if (head.size !== layout.size) throw await refuse('size_mismatch', `The upload has ${head.size} bytes, not the ${layout.size} declared`);
    await extendExpiry(context, version, completionSeconds(layout));
    return;
  }
  if (listed.length === 0) throw conflict('upload_missing', 'No part has been uploaded yet; PUT the parts, then complete');
  const byNumber = new Map(listed.map((part) => [part.partNumber, part]));
  const missing: number[] = [];
  for (let n = 1; n <= layout.count; n++) if (!byNumber.has(n)) missing.push(n);
  if (missing.length > 0) throw await refuse('parts_missing', `Part${missing.length > 1 ? 's' : ''} ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', …' : ''} not uploaded`);
  if (listed.length !== layout.count) throw await refuse('part_count_mismatch', `${listed.length} parts were uploaded, not ${layout.count}`);
  const wrong = listed.find((part) => part.size !== partSizeOf(layout, part.partNumber));
  if (wrong) throw await refuse('size_mismatch', `Part ${wrong.partNumber} has ${wrong.size} bytes, not ${partSizeOf(layout, wrong.partNumber)}`);
  await extendExpiry(context, version, completionSeconds(layout));
  try {
    await store.completeMultipartUpload(pending.objectKey, pending.uploadId, listed);
  } catch (error) {
    // A part replaced between the listing and the join (another ETag): what was declared is not what is there.
    if (error instanceof HttpError && error.status === 422) throw await refuse('parts_missing', 'The parts changed while they were joined');
    throw error;
  }
}

/**
 * Gives the checks ahead time before the upload's expiry, so the sweep does not remove it while
 * its parts are read back (only once they were found complete, so no call keeps an upload alive).
 */
async function extendExpiry(context: RequestContext, version: PendingVersion, seconds: number): Promise<void> {
  const { rows } = await context.db().query(
    `UPDATE file_versions SET expires_at = greatest(expires_at, now() + make_interval(secs => $3::int8))
      WHERE file_id = $1::text::uuid AND version = $2::int8 AND status = 'pending' AND expires_at > now() RETURNING version`,
    [version.fileId, version.version, seconds],
  );
  if (rows.length === 0) throw conflict('upload_expired', 'The upload expired before it was completed; start again');
}

/** One part's digest, read back by this component in a request of its own, as the caller. */
async function readBackPart(context: RequestContext, fileId: string, partNumber: number): Promise<z.output<typeof PartDigest>> {
  const url = `${storageSettings(context.config).selfUrl}/v1/storage/uploads/${fileId}/parts/${partNumber}/digest`;
  let answer: Response;
  try {
    answer = await context.callService(url);
  } catch (error) {
    throw verificationUnavailable(partNumber, error);
  }
  const text = await answer.text();
  if (answer.status === 422) throw unprocessable('size_mismatch', `Part ${partNumber} of the joined object is not its declared size`);
  if (answer.status !== 200) throw verificationUnavailable(partNumber, new Error(`${url}: ${answer.status} ${text.slice(0, 300)}`));
  return PartDigest.parse(JSON.parse(text));
}

function verificationUnavailable(partNumber: number, cause: unknown): HttpError {
  return new HttpError(503, 'verification_unavailable', `Part ${partNumber} could not be read back now; the upload stays pending, complete it again`, {
    headers: { 'retry-after': '5' },
    cause,
  });
}
