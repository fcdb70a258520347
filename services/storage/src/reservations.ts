import { HttpError, isoTimestamp, queryOne, sqlInt, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';

// Bytes held per user. `quotas.used_bytes` is the size of every version of every file not deleted
// (pending ones too: a reservation), changed only in the statement or transaction that adds or
// removes the versions. The reservation is one conditional UPSERT: concurrent ones on the same row run one
// after the other and each re-reads the total, so two uploads racing for the last bytes cannot
// both pass. Whoever removes a version locks its file row first, so a delete and an undo cannot
// both give the same bytes back.

export const quotaExceeded = (allowed: number) =>
  new HttpError(413, 'quota_exceeded', `This would take you over your storage quota of ${allowed} bytes; delete files or versions first`);

/** The reservation's UPSERT (owner, bytes, allowed are parameter references): a row back when it fits, none when not. */
const reserveSql = (owner: string, bytes: string, allowed: string) =>
  `INSERT INTO quotas (owner_id, used_bytes) SELECT ${owner}::text::uuid, ${bytes}::int8 WHERE ${bytes}::int8 <= ${allowed}::int8
   ON CONFLICT (owner_id) DO UPDATE SET used_bytes = quotas.used_bytes + EXCLUDED.used_bytes
    WHERE quotas.used_bytes + EXCLUDED.used_bytes <= ${allowed}::int8
   RETURNING used_bytes`;

/** Adds `bytes` to the owner's total, or 413 `quota_exceeded` if that would pass `allowed`. */
export async function reserveBytes(tx: SqlClient, ownerId: string, bytes: number, allowed: number): Promise<void> {
  const { rows } = await tx.query(reserveSql('$1', '$2', '$3'), [ownerId, bytes, allowed]);
  if (rows.length === 0) throw quotaExceeded(allowed);
}

/** A new file's first version, pending until its bytes are checked (uploads.ts, upload.ts). */
export interface NewPendingFile {
  fileId: string;
  ownerId: string;
  filename: string;
  access: string;
  objectKey: string;
  size: number;
  sha256: string | null;
  contentType: string;
  declaredType: string | null;
  /** The pending version expires (the sweep takes it) this long from now. */
  expiresInSeconds: number;
  /** The S3 multipart upload the version waits for, and its part size. */
  multipart?: { uploadId: string; partSize: number };
}

/**
 * Reserves the bytes and records the file with its pending first version, in one statement: the
 * reservation is the same conditional UPSERT as `reserveBytes`, and the file and version rows are
 * inserted only from its row, so a full quota inserts nothing (413) and a failing insert undoes
 * the reservation with the rest. One round trip instead of a transaction's five. Returns when the
 * version expires (ISO 8601).
 */
export async function reserveNewFile(db: SqlClient, file: NewPendingFile, allowed: number): Promise<string> {
  const row = await queryOne(
    db,
    z.object({ expiresAt: z.string() }),
    `WITH reserved AS (${reserveSql('$2', '$6', '$13')}),
     file AS (INSERT INTO files (id, owner_id, filename, access) SELECT $1::text::uuid, $2::text::uuid, $3::text, $4::text FROM reserved RETURNING id, owner_id)
     INSERT INTO file_versions (file_id, version, owner_id, object_key, size, sha256, content_type, declared_type, status, expires_at, multipart_upload_id, part_size)
     SELECT id, 1, owner_id, $5::text, $6::int8, $7::text, $8::text, $9::text, 'pending', now() + make_interval(secs => $10::int8), $11::text, $12::int8 FROM file
     RETURNING ${isoTimestamp('expires_at')} AS "expiresAt"`,
    [
      file.fileId,
      file.ownerId,
      file.filename,
      file.access,
      file.objectKey,
      file.size,
      file.sha256,
      file.contentType,
      file.declaredType,
      file.expiresInSeconds,
      file.multipart?.uploadId ?? null,
      file.multipart?.partSize ?? null,
      allowed,
    ],
  );
  if (!row) throw quotaExceeded(allowed);
  return row.expiresAt;
}

export async function releaseBytes(tx: SqlClient, ownerId: string, bytes: number): Promise<void> {
  await tx.query('UPDATE quotas SET used_bytes = used_bytes - $2::int8 WHERE owner_id = $1::text::uuid', [ownerId, bytes]);
}

export async function usedBytes(db: SqlClient, ownerId: string): Promise<number> {
  const row = await queryOne(db, z.object({ used: sqlInt }), 'SELECT used_bytes AS used FROM quotas WHERE owner_id = $1::text::uuid', [ownerId]);
  return row?.used ?? 0;
}

/** Before any byte is read: 413 when even the declared size cannot fit (the reservation decides for good). */
export async function assertRoomFor(db: SqlClient, ownerId: string, bytes: number, allowed: number): Promise<void> {
  if ((await usedBytes(db, ownerId)) + bytes > allowed) throw quotaExceeded(allowed);
}

/**
 * In the caller's transaction: removes a pending version (only an expired one when `expiredOnly`),
 * gives its bytes back unless the file was deleted (that gave them back already), and removes the
 * file when no version is left. True when a row went.
 */
export async function dropPendingVersion(tx: SqlClient, fileId: string, version: number, expiredOnly: boolean): Promise<boolean> {
  const { rows: files } = await tx.query('SELECT owner_id::text AS owner, status FROM files WHERE id = $1::text::uuid FOR UPDATE', [fileId]);
  const file = files[0];
  const { rows } = await tx.query(
    `DELETE FROM file_versions WHERE file_id = $1::text::uuid AND version = $2::int8 AND status = 'pending'
       AND (NOT $3::bool OR expires_at < now()) RETURNING size`,
    [fileId, version, expiredOnly],
  );
  if (rows.length === 0 || !file) return false;
  if (file.status !== 'deleted') await releaseBytes(tx, String(file.owner), Number(rows[0]!.size));
  await tx.query(`DELETE FROM files f WHERE f.id = $1::text::uuid AND NOT EXISTS (SELECT 1 FROM file_versions WHERE file_id = f.id)`, [fileId]);
  return true;
}
