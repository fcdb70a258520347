import { Channel, FileAccess, FileUploadedData, Sha256Hex, StorageEventType } from '@authorworks/domain';
import {
  badRequest,
  changeWithEvents,
  conflict,
  HttpError,
  objectStoreFromConfig,
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
import { assertRoomFor, dropPendingVersion, reserveBytes } from './reservations.ts';
import { fileFor } from './records.ts';
import type { StorageSettings } from './settings.ts';

// The small-upload path (POST /files and new versions): the body is read whole — the engine
// collects no garbage within a request, so streaming would not save memory (Decision 6) — then
// hashed, sniffed and written to object storage as one PUT. The steps are ordered so that a
// failure anywhere leaves nothing behind:
//   1. before any byte: the declared length against the limit and the quota;
//   2. the body, exactly Content-Length bytes; its checksum when one was declared;
//   3. one transaction reserves the bytes (a race-safe quota check) and records a pending version
//      with a server-made object key and an expiry;
//   4. the object is PUT;
//   5. one transaction makes the version available and records `file.uploaded` in the outbox.
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

/** A body read whole (its SHA-256 computed), or one still to be streamed to object storage. */
export type IncomingFile =
  | { kind: 'read'; bytes: Uint8Array<ArrayBuffer>; size: number; sha256: string; filename: string | null; declaredType: string | null }
  | { kind: 'stream'; body: ReadableStream<Uint8Array>; size: number; filename: null; declaredType: string | null };

/** How much of a streamed upload is read back to detect its type: file-type decides on the first entries of a zip (an EPUB its `mimetype`, an Office document its `[Content_Types].xml`) and steps over an ID3 tag, and a text sniff reads 8 KiB (content-type.test.ts). */
export const SNIFF_HEAD_BYTES = 64 * 1024;

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
 * accepted only once its declared length fits the limit and `ownerId`'s quota. A raw body with no
 * declared checksum is not read here: it streams to object storage in `storeVersion`.
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
  await assertRoomFor(context.db(), ownerId, Math.max(1, length - allowance), settings.quotaBytes);
  const declaredType = headers['content-type']?.slice(0, 255) ?? null;
  const declared = headers['x-checksum-sha256'];
  if (boundary === null && declared === undefined) {
    if (!context.request.body) throw badRequest('empty_body', 'The request has no body');
    return { kind: 'stream', body: context.request.body, size: length, filename: null, declaredType };
  }

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

export interface StoredVersion {
  fileId: string;
  version: number;
}

/** Object keys are made here only: `files/<owner>/<file>/<random>`, nothing of the client's in them. */
const objectKeyFor = (ownerId: string, fileId: string) => `files/${ownerId}/${fileId}/${randomUuid()}`;

/** Steps 3 to 5 for a file already in memory; see the comment at the top. */
export async function storeVersion(
  context: RequestContext,
  settings: StorageSettings,
  principal: Principal,
  target: UploadTarget,
  file: IncomingFile,
): Promise<StoredVersion> {
  // A streamed body's type is known once its first bytes are stored (step 4).
  const contentType = file.kind === 'read' ? await detectContentType(file.bytes) : null;
  const size = file.size;
  const db = context.db();
  const reserved = await transaction(db, async (tx) => {
    let fileId: string;
    let ownerId: string;
    let version = 1;
    if (target.kind === 'new') {
      fileId = randomUuid();
      ownerId = principal.userId;
      await reserveBytes(tx, ownerId, size, settings.quotaBytes);
      await tx.query(`INSERT INTO files (id, owner_id, filename, access) VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::text)`, [
        fileId,
        ownerId,
        target.filename,
        target.access,
      ]);
    } else {
      const existing = await fileFor(tx, target.fileId, principal, 'write', true);
      if (existing.status !== 'available') throw conflict('file_not_available', 'The file has no finished upload yet');
      fileId = existing.id;
      ownerId = existing.ownerId;
      await reserveBytes(tx, ownerId, size, settings.quotaBytes);
      const { rows } = await tx.query('SELECT COALESCE(max(version), 0)::int8 AS v FROM file_versions WHERE file_id = $1::text::uuid', [fileId]);
      version = Number(rows[0]!.v) + 1;
      if (version > MAX_VERSIONS) throw conflict('too_many_versions', `A file keeps at most ${MAX_VERSIONS} versions; upload a new file`);
    }
    const objectKey = objectKeyFor(ownerId, fileId);
    await tx.query(
      `INSERT INTO file_versions (file_id, version, owner_id, object_key, size, sha256, content_type, declared_type, status, expires_at)
       VALUES ($1::text::uuid, $2::int8, $3::text::uuid, $4::text, $5::int8, $6::text, $7::text, $8::text, 'pending', now() + make_interval(secs => $9::int8))`,
      [fileId, version, ownerId, objectKey, size, file.kind === 'read' ? file.sha256 : null, contentType ?? 'application/octet-stream', file.declaredType, settings.pendingSeconds],
    );
    return { fileId, ownerId, version, objectKey };
  });

  const store = objectStoreFromConfig(context.config);
  try {
    const putStarted = context.now();
    let detected: string | undefined;
    if (file.kind === 'read') {
      await store.put(reserved.objectKey, file.bytes, { contentType: contentType! });
    } else {
      await store.put(reserved.objectKey, file.body, { contentLength: size });
      const head = await store.get(reserved.objectKey, { range: `bytes=0-${Math.min(size, SNIFF_HEAD_BYTES) - 1}` });
      detected = await detectContentType(new Uint8Array(await new Response(head.body).arrayBuffer()));
    }
    context.log.debug('upload stored', { bytes: size, streamed: file.kind === 'stream', putMs: context.now() - putStarted });
    await finishVersion(context, reserved, { filename: target.kind === 'version' ? target.filename : null, ...(detected ? { contentType: detected } : {}) });
  } catch (error) {
    await discardPendingVersion(context, reserved);
    throw error;
  }
  return { fileId: reserved.fileId, version: reserved.version };
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

/** Step 5: the version becomes the file's current one, with `file.uploaded` in the same transaction. */
export async function finishVersion(
  context: RequestContext,
  pending: PendingVersion,
  changes: { filename?: string | null; contentType?: string; sha256?: string; checksum?: string },
): Promise<void> {
  await changeWithEvents(context, Channel.storageEvents, async (tx, emit) => {
    const { rows } = await tx.query(
      `UPDATE file_versions SET status = 'available', expires_at = NULL, content_type = COALESCE($3::text, content_type),
              checksum = COALESCE($4::text, checksum), sha256 = COALESCE($5::text, sha256)
        WHERE file_id = $1::text::uuid AND version = $2::int8 AND status = 'pending' AND expires_at > now()
        RETURNING size, sha256, COALESCE(checksum, sha256) AS checksum, content_type`,
      [pending.fileId, pending.version, changes.contentType ?? null, changes.checksum ?? null, changes.sha256 ?? null],
    );
    const row = rows[0];
    if (!row) throw conflict('upload_expired', 'The upload expired before it was finished; start again');
    const { rows: files } = await tx.query(
      `UPDATE files SET status = 'available', filename = COALESCE($2::text, filename), updated_at = now()
        WHERE id = $1::text::uuid AND status <> 'deleted' RETURNING filename`,
      [pending.fileId, changes.filename ?? null],
    );
    if (!files[0]) throw conflict('file_deleted', 'The file was deleted during the upload');
    const data = FileUploadedData.parse({
      id: pending.fileId,
      ownerId: pending.ownerId,
      version: pending.version,
      filename: String(files[0].filename),
      contentType: String(row.content_type),
      size: Number(row.size),
      sha256: row.sha256 === null ? null : String(row.sha256),
      ...(row.checksum === null ? {} : { checksum: String(row.checksum) }),
    });
    await emit({ type: StorageEventType.fileUploaded, subject: pending.fileId, data });
  });
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
