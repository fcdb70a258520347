import { objectStoreFromConfig, queryRows, setIfAbsent, sqlInt, transaction, type RequestContext } from '@authorworks/kit';
import { z } from 'zod';
import { dropPendingVersion } from './reservations.ts';
import { storageSettings } from './settings.ts';
import { removeVersionObject } from './upload.ts';
import { requestMissingDigests } from './version-digests.ts';

// Self-healing without a timer (Spin has none): the service's own requests sweep, at most once
// per `sweep_every_seconds` across all instances (Redis SET NX EX). Each sweep removes uploads
// that were never completed (pending past their expiry: multipart upload aborted, object, row,
// reserved bytes) and the
// objects of deleted files whose removal failed at the time. The object goes first and the row
// after, so a failure halfway leaves a row the next sweep finds again, never an unowned object.
// It also asks the storage worker again for the digests of streamed versions still without one
// (version-digests.ts): a lost `file.uploaded` or a crashed worker only delays them.

const SWEEP_BATCH = 20;

const Abandoned = z.object({ fileId: z.string(), version: sqlInt, objectKey: z.string(), uploadId: z.string().nullable() });
const Deleted = z.object({ fileId: z.string(), objectKey: z.string().nullable(), uploadId: z.string().nullable() });

export interface SweepResult {
  abandoned: number;
  deleted: number;
  /** Versions whose digest the worker was asked for again. */
  digestsRequested: number;
}

/** Runs the sweep now (no rate limit); returns what it removed and asked for. */
export async function sweepNow(context: Pick<RequestContext, 'db' | 'config' | 'log' | 'events'>): Promise<SweepResult> {
  const db = context.db();
  const store = objectStoreFromConfig(context.config);
  const result: SweepResult = { abandoned: 0, deleted: 0, digestsRequested: 0 };
  const abandoned = await queryRows(
    db,
    Abandoned,
    `SELECT file_id::text AS "fileId", version, object_key AS "objectKey", multipart_upload_id AS "uploadId" FROM file_versions
      WHERE status = 'pending' AND expires_at < now() ORDER BY expires_at LIMIT $1::int8`,
    [SWEEP_BATCH],
  );
  for (const row of abandoned) {
    // A multipart upload is aborted (its parts go), and its object deleted in case it was joined.
    await removeVersionObject(store, row);
    if (await transaction(db, (tx) => dropPendingVersion(tx, row.fileId, row.version, true))) result.abandoned++;
  }
  const deleted = await queryRows(
    db,
    Deleted,
    `SELECT f.id::text AS "fileId", v.object_key AS "objectKey", v.multipart_upload_id AS "uploadId" FROM files f LEFT JOIN file_versions v ON v.file_id = f.id
      WHERE f.status = 'deleted' ORDER BY f.updated_at LIMIT $1::int8`,
    [SWEEP_BATCH],
  );
  for (const row of deleted) if (row.objectKey) await removeVersionObject(store, { objectKey: row.objectKey, uploadId: row.uploadId });
  for (const fileId of new Set(deleted.map((row) => row.fileId))) {
    const { rows } = await db.query(`DELETE FROM files f WHERE f.id = $1::text::uuid AND f.status = 'deleted'
      AND NOT EXISTS (SELECT 1 FROM file_versions v WHERE v.file_id = f.id AND v.object_key <> ALL (SELECT json_array_elements_text($2::text::json)))
      RETURNING id::text AS id`, [fileId, JSON.stringify(deleted.filter((row) => row.fileId === fileId).map((row) => row.objectKey))]);
    result.deleted += rows.length;
  }
  result.digestsRequested = await requestMissingDigests(context);
  if (result.abandoned + result.deleted + result.digestsRequested > 0) context.log.info('storage sweep', { ...result });
  return result;
}

/** Set while a sweep ran within the interval; routes that sweep read it along with the revocation check (`readAlong`). */
export const SWEEP_KEY = 'storage:sweep';

/**
 * The sweep, at most once per interval; a failure is logged, never the caller's. A route that
 * sweeps names SWEEP_KEY in its `readAlong`: found set, a sweep ran within the interval and the
 * `SET NX` would fail, so it is not sent.
 */
export async function sweepAbandoned(context: Pick<RequestContext, 'db' | 'config' | 'log' | 'redis' | 'events'> & Partial<Pick<RequestContext, 'redisReadAlong'>>): Promise<void> {
  try {
    const seen = context.redisReadAlong?.valueOf(SWEEP_KEY);
    if (seen !== null && seen !== undefined) return;
    const every = storageSettings(context.config).sweepEverySeconds;
    if (!(await setIfAbsent(context.redis(), SWEEP_KEY, '1', every))) return;
    await sweepNow(context);
  } catch (error) {
    context.log.error('storage sweep failed; the next one tries again', { error });
  }
}
