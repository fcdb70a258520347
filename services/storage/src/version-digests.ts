import { Channel, Id } from '@authorworks/domain';
import { HttpError, objectStoreFromConfig, queryOne, queryRows, sqlInt, toHex, type EventContext } from '@authorworks/kit';
import { z } from 'zod';
import { storageSettings } from './settings.ts';

// Digests made after the upload (derived data). A raw upload without `X-Checksum-SHA256` streams
// to object storage and becomes available with sha256 NULL (upload.ts). The storage worker
// (worker.ts) then reads the object back and fills sha256 in: on `file.uploaded`, and on
// `file.hash_requested`, which the sweep publishes for versions still without one some minutes on
// (a lost event, a worker that crashed), so the digest converges without an admin call.
//
// The whole object is read into memory and hashed natively in one call (crypto.subtle.digest):
// the engine has no incremental hash, and a pure-JS one (@noble/hashes) measured 7.5 s per MiB
// inside the component against ~20 ms for the native digest (README, "Digests of streamed
// uploads"). So a message holds one object: each message hashes one version, and versions above
// DIGEST_MAX_BYTES are never read back (none can be streamed with the default limits).
//
// Writing the digest is conditional — the same file, version and object, still available, still
// without a digest, the file not deleted — so a repeated or late message, a new version, or a
// delete racing the worker changes nothing and resurrects nothing. The row's ETag does not
// change (sha256_deferred, migrations/003).

/** Internal nudge on storage-events from the sweep to the worker; other consumers ignore its type. */
export const FILE_HASH_REQUESTED = 'file.hash_requested';
export const FileHashRequestedData = z.object({ id: Id, version: z.number().int().min(1).max(2_147_483_647) }).strict();

/** A message never reads more than this, whatever `max_upload_bytes` says (the memory of one instance). */
export const DIGEST_MAX_BYTES = 64 * 1024 * 1024;
/** A version still without a digest this long after its upload is asked for again by the sweep. */
export const DIGEST_STALE_SECONDS = 120;
/** A version asked for and still without a digest is asked for again after this long (others go first). */
export const DIGEST_RETRY_SECONDS = 600;
/** Versions one sweep asks for at most (each is one worker message). */
export const DIGEST_SWEEP_BATCH = 5;

/** What a digest attempt did: `hashed`; `not_needed` (it has one, is gone, pending or in parts); `too_large`; `missing_object`; `size_mismatch`. */
export type DigestOutcome = 'hashed' | 'not_needed' | 'too_large' | 'missing_object' | 'size_mismatch';

const Unhashed = z.object({ objectKey: z.string(), size: sqlInt });

/** The bytes a message may hash: the direct-upload limit (what can be streamed), at most DIGEST_MAX_BYTES. */
export const digestLimit = (config: EventContext['config']) => Math.min(storageSettings(config).maxUploadBytes, DIGEST_MAX_BYTES);

/** Reads version `version` of file `fileId` back and records its SHA-256, if it still needs one. */
export async function digestVersion(context: Pick<EventContext, 'db' | 'config' | 'log'>, fileId: string, version: number): Promise<DigestOutcome> {
  const db = context.db();
  const log = context.log.child({ fileId, version });
  const row = await queryOne(
    db,
    Unhashed,
    `SELECT v.object_key AS "objectKey", v.size FROM file_versions v JOIN files f ON f.id = v.file_id
      WHERE v.file_id = $1::text::uuid AND v.version = $2::int8 AND v.status = 'available' AND v.sha256 IS NULL AND v.checksum IS NULL
        AND f.status <> 'deleted'`,
    [fileId, version],
  );
  if (!row) return 'not_needed';
  if (row.size > digestLimit(context.config)) {
    log.warn('version not hashed: larger than a message may read', { bytes: row.size });
    return 'too_large';
  }
  const started = performance.now();
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    const object = await objectStoreFromConfig(context.config).get(row.objectKey);
    // Read natively into one buffer: a reader loop would add a JS chunk per read that the engine keeps until the message ends.
    bytes = new Uint8Array(await new Response(object.body).arrayBuffer());
  } catch (error) {
    // Deleted between the query and the read: the delete removes the row too.
    if (error instanceof HttpError && error.status === 404) return 'missing_object';
    throw error;
  }
  const read = performance.now();
  if (bytes.byteLength !== row.size) {
    log.error('version not hashed: its object has another size than its record', { bytes: bytes.byteLength, recorded: row.size });
    return 'size_mismatch';
  }
  const sha256 = toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
  const hashed = performance.now();
  const { rows } = await db.query(
    `UPDATE file_versions v SET sha256 = $4::text, sha256_deferred = true
      WHERE v.file_id = $1::text::uuid AND v.version = $2::int8 AND v.object_key = $3::text AND v.status = 'available'
        AND v.sha256 IS NULL AND v.checksum IS NULL
        AND EXISTS (SELECT 1 FROM files f WHERE f.id = v.file_id AND f.status <> 'deleted')
      RETURNING v.version`,
    [fileId, version, row.objectKey, sha256],
  );
  log.info(rows.length > 0 ? 'version hashed' : 'version hashed, not recorded: changed meanwhile', {
    bytes: row.size,
    readMs: Math.round(read - started),
    hashMs: Math.round(hashed - read),
  });
  return rows.length > 0 ? 'hashed' : 'not_needed';
}

const Requested = z.object({ fileId: z.string(), version: sqlInt });

/**
 * The sweep's part: versions available for DIGEST_STALE_SECONDS and still without a digest (and
 * small enough to hash) are asked for again, at most DIGEST_SWEEP_BATCH, those never asked or
 * asked longest ago first, each as one `file.hash_requested` message. Returns how many.
 */
export async function requestMissingDigests(context: Pick<EventContext, 'db' | 'config' | 'events'>): Promise<number> {
  const requested = await queryRows(
    context.db(),
    Requested,
    `UPDATE file_versions SET sha256_requested_at = now()
      WHERE (file_id, version) IN (
        SELECT v.file_id, v.version FROM file_versions v JOIN files f ON f.id = v.file_id
         WHERE v.status = 'available' AND v.sha256 IS NULL AND v.checksum IS NULL AND f.status <> 'deleted' AND v.size <= $1::int8
           AND v.created_at < now() - make_interval(secs => $2::int8)
           AND (v.sha256_requested_at IS NULL OR v.sha256_requested_at < now() - make_interval(secs => $3::int8))
         ORDER BY v.sha256_requested_at NULLS FIRST, v.created_at
         LIMIT $4::int8
         FOR UPDATE OF v SKIP LOCKED)
      RETURNING file_id::text AS "fileId", version`,
    [digestLimit(context.config), DIGEST_STALE_SECONDS, DIGEST_RETRY_SECONDS, DIGEST_SWEEP_BATCH],
  );
  for (const { fileId, version } of requested) {
    await context.events.publish(Channel.storageEvents, FILE_HASH_REQUESTED, fileId, FileHashRequestedData.parse({ id: fileId, version }));
  }
  return requested.length;
}
