import { Channel, FileAccess, FileUploadedData, Sha256Hex, StorageEventType } from '@authorworks/domain';
import {
  badRequest,
  conflict,
  HttpError,
  objectStoreFromConfig,
  outboxInsertSql,
  queryOne,
  randomUuid,
  toHex,
  transaction,
  validate,
  type ObjectStore,
  type Principal,
  type RequestContext,
} from '@authorworks/kit';
import { z } from 'zod';
import { detectContentType } from './content-type.ts';
import { sanitizeFilename } from './filenames.ts';
import { boundaryOf, parseMultipartFile } from './multipart.ts';
import { assertRoomFor, dropPendingVersion, reserveBytes, reserveNewFile } from './reservations.ts';
import { FILE_COLUMNS, FILE_GRANT_JOIN, FileRow, fileFor } from './records.ts';
import type { StorageSettings } from './settings.ts';

// The direct upload path (POST /files and new versions). The steps are ordered so that a failure
// anywhere leaves nothing behind:
//   1. before any byte: the declared length against the limit;
//   2. a body that must be read whole first (a declared checksum, a form): the quota on its
//      declared length, then exactly Content-Length bytes and their checksum;
//   3. one statement (a new file) or transaction (a version) reserves the bytes — a race-safe quota
//      check, still before any byte of a raw body is read — and records a pending version with a
//      server-made object key and an expiry;
//   4. the object is PUT: from memory (a body read whole in 2, or a raw body of at most
//      SMALL_BODY_BYTES read now), or streamed, its first bytes read back for the type;
//   5. one statement makes the version available and records `file.uploaded` in the outbox.
// If 4 or 5 fails, the object is deleted, then the pending row and its reservation. If even that
// fails (storage or database gone), the pending row's expiry lets the sweep (sweep.ts) finish it.

/** Versions per file: the list is served whole. */
export const MAX_VERSIONS = 1000;

/** Envelope allowance for multipart bodies when checking the declared length (headers, boundaries). */
const MULTIPART_OVERHEAD = 64 * 1024;

const UploadHeaders = z.object({
  'content-length': z.string().regex(/^\d{1,15}$/, 'Send Content-Length (a number of bytes)').transform(Number).optional(),
  'content-type': z.string().max(1024).optional(),
  'x-checksum-sha256': Sha256Hex.optional(),
});

export const UploadQuery = z
  .object({
    filename: z.string().min(1).max(1024).optional(),
    access: FileAccess.optional(),
  })
  .strict();

/** A body read whole (its SHA-256 computed), or a raw one not read yet (the request carries it). */
export type IncomingFile =
  | { kind: 'read'; bytes: Uint8Array<ArrayBuffer>; size: number; sha256: string; filename: string | null; declaredType: string | null }
  | { kind: 'raw'; request: Request; size: number; filename: null; declaredType: string | null };

/** How much of a streamed upload is read back to detect its type: file-type decides on the first entries of a zip (an EPUB its `mimetype`, an Office document its `[Content_Types].xml`) and steps over an ID3 tag, and a text sniff reads 8 KiB (content-type.test.ts). */
export const SNIFF_HEAD_BYTES = 64 * 1024;

/**
 * A raw body up to this size is read whole into the component (natively, in one call) and sniffed
 * and PUT from memory; a larger one streams to object storage and its head is read back. Reading
 * 1 MiB costs less than the read-back's extra request to object storage, and holds no more memory
 * than the engine would for the piping (docs/decisions.md, Decision 13, "The fixed cost of a small transfer").
 */
export const SMALL_BODY_BYTES = 1024 * 1024;

/** Lowercase hex SHA-256 (native in the engine, ~14 ms per MiB). */
export async function sha256Of(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/** Exactly `length` bytes of `body`: 400 when it ends early, breaks off, or goes on. */
export async function readExactly(body: ReadableStream<Uint8Array> | null, length: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!body) throw badRequest('empty_body', 'The request has no body');
  const bytes = new Uint8Array(length);
  const reader = body.getReader();
  let offset = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Chunks from a host call are not always `instanceof Uint8Array` in the engine.
      if (!ArrayBuffer.isView(value)) throw badRequest('bad_body', 'The body could not be read');
      if (offset + value.byteLength > length) {
        await reader.cancel().catch(() => undefined);
        throw badRequest('body_length_mismatch', `The body is longer than its Content-Length of ${length} bytes`);
      }
      bytes.set(value, offset);
      offset += value.byteLength;
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw badRequest('body_incomplete', 'The body broke off before its Content-Length was reached');
  }
  if (offset !== length) throw badRequest('body_incomplete', `The body has ${offset} of its ${length} declared bytes`);
  return bytes;
}

/**
 * The request body, which must be exactly `length` bytes. The engine reads it natively in one go
 * (`arrayBuffer()`): measured faster than a reader loop and without a JS chunk per 8 KiB that the
 * engine would never collect. Its length was bounded before this is called, and HTTP framing
 * stops the body at Content-Length.
 */
export async function readRequestBody(request: Request, length: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!request.body) throw badRequest('empty_body', 'The request has no body');
  let buffer: ArrayBuffer;
  try {
    buffer = await request.arrayBuffer();
  } catch {
    throw badRequest('body_incomplete', 'The body broke off before its Content-Length was reached');
  }
  if (buffer.byteLength !== length) throw badRequest('body_incomplete', `The body has ${buffer.byteLength} of its ${length} declared bytes`);
  return new Uint8Array(buffer);
}

/**
 * Steps 1 and 2: the file in the request (a raw body, or the file part of multipart/form-data),
 * accepted only once its declared length fits the limit. A raw body with no declared checksum is
 * not read here (`storeVersion` reads or streams it after the reservation, which checks the quota
 * before any byte is read); the others are read only once their declared length fits `ownerId`'s quota.
 */
export async function readIncomingFile(context: RequestContext, settings: StorageSettings, ownerId: string): Promise<IncomingFile> {
  const headers = validate('headers', UploadHeaders, {
    'content-length': context.request.headers.get('content-length') ?? undefined,
    'content-type': context.request.headers.get('content-type') ?? undefined,
    'x-checksum-sha256': context.request.headers.get('x-checksum-sha256')?.toLowerCase() ?? undefined,
  });
  const length = headers['content-length'];
  if (length === undefined) throw new HttpError(411, 'length_required', 'Send Content-Length; for a body of unknown size use POST /v1/storage/uploads');
  if (length === 0) throw badRequest('empty_file', 'The body is empty; a file needs at least one byte');
  const boundary = boundaryOf(headers['content-type'] ?? null);
  const allowance = boundary === null ? 0 : MULTIPART_OVERHEAD;
  if (length > settings.maxUploadBytes + allowance) {
    throw new HttpError(413, 'payload_too_large', `A direct upload may have at most ${settings.maxUploadBytes} bytes; use POST /v1/storage/uploads for larger files`);
  }
  const declaredType = headers['content-type']?.slice(0, 255) ?? null;
  const declared = headers['x-checksum-sha256'];
  if (boundary === null && declared === undefined) {
    if (!context.request.body) throw badRequest('empty_body', 'The request has no body');
    return { kind: 'raw', request: context.request, size: length, filename: null, declaredType };
  }
  await assertRoomFor(context.db(), ownerId, Math.max(1, length - allowance), settings.quotaBytes);

  const started = context.now();
  const body = await readRequestBody(context.request, length);
  const read = context.now();
  let file: { bytes: Uint8Array<ArrayBuffer>; filename: string | null; declaredType: string | null };
  if (boundary === null) {
    file = { bytes: body, filename: null, declaredType };
  } else {
    const part = parseMultipartFile(body, boundary);
    file = { bytes: part.bytes, filename: part.filename, declaredType: part.contentType?.slice(0, 255) ?? null };
  }
  if (file.bytes.length === 0) throw badRequest('empty_file', 'The file is empty; a file needs at least one byte');
  if (file.bytes.length > settings.maxUploadBytes) {
    throw new HttpError(413, 'payload_too_large', `A direct upload may have at most ${settings.maxUploadBytes} bytes`);
  }
  const sha256 = await sha256Of(file.bytes);
  context.log.debug('upload body', { bytes: length, readMs: read - started, hashMs: context.now() - read });
  if (declared !== undefined && declared !== sha256) {
    throw badRequest('checksum_mismatch', 'The body does not match X-Checksum-SHA256; nothing was stored');
  }
  return { kind: 'read', ...file, size: file.bytes.length, sha256 };
}

/** Where a new version goes: a new file of the caller's, or the next version of file `fileId`. */
export type UploadTarget = { kind: 'new'; filename: string; access: FileAccess } | { kind: 'version'; fileId: string; filename: string | null };

/** Object keys are made here only: `files/<owner>/<file>/<random>`, nothing of the client's in them. */
export const objectKeyFor = (ownerId: string, fileId: string) => `files/${ownerId}/${fileId}/${randomUuid()}`;

/** Step 3 for a version of an existing file: the caller must (still) be a writer, the file available. */
async function reserveVersion(context: RequestContext, settings: StorageSettings, principal: Principal, fileId: string, file: IncomingFile): Promise<PendingVersion> {
  return transaction(context.db(), async (tx) => {
    const existing = await fileFor(tx, fileId, principal, 'write', true);
    if (existing.status !== 'available') throw conflict('file_not_available', 'The file has no finished upload yet');
    await reserveBytes(tx, existing.ownerId, file.size, settings.quotaBytes);
    const { rows } = await tx.query('SELECT COALESCE(max(version), 0)::int8 AS v FROM file_versions WHERE file_id = $1::text::uuid', [existing.id]);
    const version = Number(rows[0]!.v) + 1;
    if (version > MAX_VERSIONS) throw conflict('too_many_versions', `A file keeps at most ${MAX_VERSIONS} versions; upload a new file`);
    const objectKey = objectKeyFor(existing.ownerId, existing.id);
    await tx.query(
      `INSERT INTO file_versions (file_id, version, owner_id, object_key, size, sha256, content_type, declared_type, status, expires_at)
       VALUES ($1::text::uuid, $2::int8, $3::text::uuid, $4::text, $5::int8, $6::text, 'application/octet-stream', $7::text, 'pending', now() + make_interval(secs => $8::int8))`,
      [existing.id, version, existing.ownerId, objectKey, file.size, file.kind === 'read' ? file.sha256 : null, file.declaredType, settings.pendingSeconds],
    );
    return { fileId: existing.id, ownerId: existing.ownerId, version, objectKey };
  });
}

/** Steps 3 to 5; see the comment at the top. Returns the file as the upload left it (fileView). */
export async function storeVersion(
  context: RequestContext,
  settings: StorageSettings,
  principal: Principal,
  target: UploadTarget,
  file: IncomingFile,
): Promise<FileRow> {
  // Each step's time, for the `upload stored` debug line (bench/storage compare.ts reads it).
  const stepMs: Record<string, number> = {};
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      stepMs[`${name}Ms`] = Math.round((performance.now() - started) * 100) / 100;
    }
  };
  // The type is detected from the bytes when they are stored (step 4); until then a pending version is octet-stream.
  let reserved: PendingVersion;
  if (target.kind === 'new') {
    const fileId = randomUuid();
    const pending = { fileId, ownerId: principal.userId, version: 1, objectKey: objectKeyFor(principal.userId, fileId) };
    const row = {
      ...pending,
      filename: target.filename,
      access: target.access,
      size: file.size,
      sha256: file.kind === 'read' ? file.sha256 : null,
      contentType: 'application/octet-stream',
      declaredType: file.declaredType,
      expiresInSeconds: settings.pendingSeconds,
    };
    await step('reserve', () => reserveNewFile(context.db(), row, settings.quotaBytes));
    reserved = pending;
  } else {
    reserved = await step('reserve', () => reserveVersion(context, settings, principal, target.fileId, file));
  }

  try {
    const detected = await putObject(objectStoreFromConfig(context.config), reserved.objectKey, file, step);
    const finished = await step('finish', () =>
      finishVersion(context, principal, reserved, {
        filename: target.kind === 'version' ? target.filename : null,
        contentType: detected,
        size: file.size,
        sha256: file.kind === 'read' ? file.sha256 : null,
        checksum: null,
      }),
    );
    context.log.debug('upload stored', { bytes: file.size, streamed: file.kind === 'raw' && file.size > SMALL_BODY_BYTES, ...stepMs });
    return finished;
  } catch (error) {
    await discardPendingVersion(context, reserved);
    throw error;
  }
}

/** Step 4: the bytes to object storage (see SMALL_BODY_BYTES); returns the type detected from them. */
async function putObject(store: ObjectStore, objectKey: string, file: IncomingFile, step: <T>(name: string, work: () => Promise<T>) => Promise<T>): Promise<string> {
  if (file.kind === 'read' || file.size <= SMALL_BODY_BYTES) {
    const bytes = file.kind === 'read' ? file.bytes : await step('read', () => readRequestBody(file.request, file.size));
    const detected = await step('sniff', () => detectContentType(bytes));
    await step('put', () => store.put(objectKey, bytes, { contentType: detected }));
    return detected;
  }
  await step('put', () => store.put(objectKey, file.request.body!, { contentLength: file.size }));
  const head = await step('readBack', async () => new Uint8Array(await new Response((await store.get(objectKey, { range: `bytes=0-${Math.min(file.size, SNIFF_HEAD_BYTES) - 1}` })).body).arrayBuffer()));
  return step('sniff', () => detectContentType(head));
}

export interface PendingVersion {
  fileId: string;
  ownerId: string;
  version: number;
  objectKey: string;
  /** The S3 multipart upload the version waits for, if it is uploaded in parts. */
  uploadId?: string | null;
}

/**
 * Removes a version's bytes: its multipart upload (parts not yet joined) if it has one, then the
 * object (joined, or uploaded in one piece). Both are no errors when already gone.
 */
export async function removeVersionObject(store: ObjectStore, version: { objectKey: string; uploadId?: string | null }): Promise<void> {
  if (version.uploadId) await store.abortMultipartUpload(version.objectKey, version.uploadId);
  await store.delete(version.objectKey);
}

/**
 * Step 5, one statement: the file and the version become available (the file row first, as a
 * delete and the sweep lock it first) and `file.uploaded` goes into the outbox — only if the
 * version is still pending and unexpired and the file not deleted; nothing changes otherwise
 * (409). The event's data is made and checked here, its filename is the row's as committed.
 * Returns the file as `principal` sees it with this version (fileView).
 */
export async function finishVersion(
  context: RequestContext,
  principal: Principal,
  pending: PendingVersion,
  facts: { filename: string | null; contentType: string; size: number; sha256: string | null; checksum: string | null },
): Promise<FileRow> {
  const data = FileUploadedData.parse({
    id: pending.fileId,
    ownerId: pending.ownerId,
    version: pending.version,
    // Replaced by the committed filename in the statement.
    filename: facts.filename ?? '',
    contentType: facts.contentType,
    size: facts.size,
    sha256: facts.sha256,
    ...((facts.checksum ?? facts.sha256) === null ? {} : { checksum: facts.checksum ?? facts.sha256 }),
  });
  const db = context.db();
  const row = await queryOne(
    db,
    FileRow,
    `WITH fu AS (
       UPDATE files SET status = 'available', filename = COALESCE($4::text, filename), updated_at = now()
        WHERE id = $2::text::uuid AND status <> 'deleted'
          AND EXISTS (SELECT 1 FROM file_versions WHERE file_id = $2::text::uuid AND version = $3::int8 AND status = 'pending' AND expires_at > now())
        RETURNING id, owner_id, filename, access, status, created_at, updated_at),
     vu AS (
       UPDATE file_versions SET status = 'available', expires_at = NULL, content_type = $5::text, sha256 = $6::text, checksum = $7::text
        WHERE file_id = (SELECT id FROM fu) AND version = $3::int8 AND status = 'pending' AND expires_at > now()
        RETURNING version, size, content_type, declared_type, sha256, checksum, object_key),
     event AS (${outboxInsertSql(8, 'fu, vu', (json) => `jsonb_set(${json}, '{filename}', to_jsonb(fu.filename))`)})
     SELECT ${FILE_COLUMNS} FROM fu f CROSS JOIN vu v ${FILE_GRANT_JOIN}`,
    [
      principal.userId,
      pending.fileId,
      pending.version,
      facts.filename,
      facts.contentType,
      facts.sha256,
      facts.checksum,
      ...context.events.recordInStatement(Channel.storageEvents, StorageEventType.fileUploaded, pending.fileId, data),
    ],
  );
  if (row) return row;
  const { rows } = await db.query(`SELECT status FROM files WHERE id = $1::text::uuid AND status <> 'deleted'`, [pending.fileId]);
  if (rows.length === 0) throw conflict('file_deleted', 'The file was deleted during the upload');
  throw conflict('upload_expired', 'The upload expired before it was finished; start again');
}

/**
 * Undoes a pending version: its object first, then its row, its reservation, and its file when
 * that has no other version. Best effort: what fails here is left to the sweep.
 */
export async function discardPendingVersion(context: RequestContext, pending: PendingVersion): Promise<void> {
  try {
    await removeVersionObject(objectStoreFromConfig(context.config), pending);
    await transaction(context.db(), (tx) => dropPendingVersion(tx, pending.fileId, pending.version, false));
  } catch (error) {
    context.log.error('a failed upload could not be undone now; the sweep removes it after its expiry', { fileId: pending.fileId, error });
  }
}

/** The filename to store: the query's, else the multipart part's; 400 when there is none. */
export function filenameFor(queryName: string | undefined, file: IncomingFile): string {
  const raw = queryName ?? file.filename;
  if (raw === null || raw === undefined || raw.trim() === '') {
    throw badRequest('filename_required', 'Name the file: ?filename=… for a raw body, or a filename in the multipart part');
  }
  return sanitizeFilename(raw);
}
