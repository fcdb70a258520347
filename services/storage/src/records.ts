import type { StoredFile } from '@authorworks/domain';
import { FileAccess, FileChecksum, FileStatus, Sha256Hex } from '@authorworks/domain';
import { forbidden, isoTimestamp, notFound, queryOne, queryRows, sqlBool, sqlInt, type Principal, type SqlClient, type SqlParam } from '@authorworks/kit';
import { z } from 'zod';

// A file record with its current version (the newest available one, else the newest pending) and
// what the caller may do with it. Access: the owner does everything; a grant gives read or write
// until it expires; a public, available file is readable by anyone. Whoever may not read a file
// is told it does not exist.

export const FileRow = z.object({
  id: z.string(),
  ownerId: z.string(),
  filename: z.string(),
  access: FileAccess,
  status: FileStatus,
  version: sqlInt,
  size: sqlInt,
  contentType: z.string(),
  declaredType: z.string().nullable(),
  sha256: Sha256Hex.nullable(),
  checksum: FileChecksum.nullable(),
  objectKey: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  sortKey: z.string(),
  isOwner: sqlBool,
  canWrite: sqlBool,
  canRead: sqlBool,
});
export type FileRow = z.output<typeof FileRow>;

/** Whether user `$1` may read file `f` (with `FILE_GRANT_JOIN`'s `g`): the owner, a grantee, anyone for a public, available file. */
export const CAN_READ = `COALESCE(f.owner_id = $1::text::uuid OR g.permission IS NOT NULL OR (f.access = 'public' AND f.status = 'available'), false)`;

/**
 * Columns of file `f` with its current version `v`, as seen by user `$1` (null: anonymous).
 * The query must join `FILE_VERSION_JOIN` (or have its own `v`) and `FILE_GRANT_JOIN`.
 */
export const FILE_COLUMNS = `f.id::text AS id, f.owner_id::text AS "ownerId", f.filename, f.access, f.status,
  v.version, v.size, v.content_type AS "contentType", v.declared_type AS "declaredType", v.sha256,
  COALESCE(v.checksum, v.sha256) AS checksum, v.object_key AS "objectKey",
  ${isoTimestamp('f.created_at')} AS "createdAt", ${isoTimestamp('f.updated_at')} AS "updatedAt",
  to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey",
  COALESCE(f.owner_id = $1::text::uuid, false) AS "isOwner",
  COALESCE(f.owner_id = $1::text::uuid OR g.permission = 'write', false) AS "canWrite",
  ${CAN_READ} AS "canRead"`;

/** The current version: the newest available one, else the newest pending. */
export const FILE_VERSION_JOIN = `CROSS JOIN LATERAL (
    SELECT version, size, content_type, declared_type, sha256, checksum, object_key FROM file_versions
     WHERE file_id = f.id ORDER BY (status = 'available') DESC, version DESC LIMIT 1) v`;

/** User `$1`'s grant on file `f`, while it lasts. */
export const FILE_GRANT_JOIN = `LEFT JOIN grants g ON g.file_id = f.id AND g.grantee_id = $1::text::uuid AND (g.expires_at IS NULL OR g.expires_at > now())`;

const FILE_JOINS = `${FILE_VERSION_JOIN} ${FILE_GRANT_JOIN}`;

export function fileView(row: FileRow): StoredFile {
  return {
    id: row.id,
    ownerId: row.ownerId,
    filename: row.filename,
    access: row.access,
    status: row.status,
    version: row.version,
    size: row.size,
    contentType: row.contentType,
    declaredType: row.declaredType,
    sha256: row.sha256,
    checksum: row.checksum,
    permissions: { read: row.canRead, write: row.canWrite, owner: row.isOwner },
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function selectFiles(db: SqlClient, principal: Principal | null, where: string, params: readonly SqlParam[], tail = ''): Promise<FileRow[]> {
  return queryRows(db, FileRow, `SELECT ${FILE_COLUMNS} FROM files f ${FILE_JOINS} WHERE f.status <> 'deleted' AND ${where} ${tail}`, [
    principal?.userId ?? null,
    ...params,
  ]);
}

export type Need = 'read' | 'write' | 'owner';

/**
 * The file `id` if the caller may `need` it: 404 when they may not read it (or it is gone),
 * 403 when they may read but not do more. `lock` takes the row for the rest of the transaction.
 */
export async function fileFor(db: SqlClient, id: string, principal: Principal | null, need: Need, lock = false): Promise<FileRow> {
  const row = await queryOne(
    db,
    FileRow,
    `SELECT ${FILE_COLUMNS} FROM files f ${FILE_JOINS} WHERE f.id = $2::text::uuid AND f.status <> 'deleted'${lock ? ' FOR UPDATE OF f' : ''}`,
    [principal?.userId ?? null, id],
  );
  if (!row || !row.canRead) throw notFound('No file with that id');
  if (need === 'write' && !row.canWrite) throw forbidden('You may read this file but not change it');
  if (need === 'owner' && !row.isOwner) throw forbidden('Only the owner may do this');
  return row;
}
