// Files this service wrote (thumbnails, resized copies). Their own `file.uploaded` events must not
// make thumbnails of thumbnails, so the upload handler skips them.
import { queryOne, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';

export async function recordDerivedFiles(db: SqlClient, fileIds: string[], sourceFileId: string): Promise<void> {
  for (const id of fileIds) {
    await db.query('INSERT INTO derived_files (file_id, source_file_id) VALUES ($1::text::uuid, $2::text::uuid) ON CONFLICT DO NOTHING', [id, sourceFileId]);
  }
}

export async function isDerivedFile(db: SqlClient, fileId: string): Promise<boolean> {
  return (await queryOne(db, z.object({ one: z.number() }), 'SELECT 1::int4 AS one FROM derived_files WHERE file_id = $1::text::uuid', [fileId])) !== null;
}
