import { Id, EditorDocument, type ChapterPermissions } from '@authorworks/domain';
import {
  HttpError,
  conflict,
  defineRoute,
  isoTimestamp,
  json,
  notFound,
  queryOne,
  queryRows,
  sqlInt,
  transaction,
  type RequestContext,
  type SqlClient,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireChapterAccess } from './access.ts';
import { chapterContent } from './content-service.ts';
import { DOCUMENT_MAX_BYTES, applyOp, codePoints, utf8Bytes, type Operation } from './text-ops.ts';

export const DocumentParams = z.object({ chapterId: Id });

/** A version number from a client: a PostgreSQL integer, not negative. */
export const Version = z.number().int().min(0).max(2_147_483_647);

const DOCUMENT_COLUMNS = `chapter_id::text AS "chapterId", book_id::text AS "bookId", version, text, length,
  content_version AS "contentVersion", format, seq, ${isoTimestamp('updated_at')} AS "updatedAt"`;

const DocumentRow = z.object({
  chapterId: z.string(),
  bookId: z.string(),
  version: sqlInt,
  text: z.string(),
  length: sqlInt,
  contentVersion: sqlInt,
  format: z.string(),
  seq: sqlInt,
  updatedAt: z.string(),
});
export type DocumentRow = z.infer<typeof DocumentRow>;

export async function selectDocument(db: SqlClient, chapterId: string, options: { lock?: boolean } = {}): Promise<DocumentRow | null> {
  return queryOne(db, DocumentRow, `SELECT ${DOCUMENT_COLUMNS} FROM documents WHERE chapter_id = $1::text::uuid ${options.lock ? 'FOR UPDATE' : ''}`, [chapterId]);
}

/** For route specs' `errors`: every route opens the document, and a chapter too large for one is refused. */
export const DOCUMENT_TOO_LARGE = '`document_too_large`: the chapter is larger than a live document holds';

export function documentTooLarge(bytes: number): HttpError {
  return new HttpError(413, 'document_too_large', `A chapter holds at most ${DOCUMENT_MAX_BYTES} bytes of text; this edit would make it ${bytes}`, {
    details: [{ path: 'body', message: `At most ${DOCUMENT_MAX_BYTES} bytes of UTF-8 text` }],
  });
}

/**
 * The chapter's live document, created on first open from the chapter's newest content version
 * (two first opens at once: the insert of one wins, the other reads it).
 */
export async function openDocument(context: Pick<RequestContext, 'db' | 'callService' | 'config' | 'log'>, permissions: ChapterPermissions): Promise<DocumentRow> {
  const db = context.db();
  const existing = await selectDocument(db, permissions.chapterId);
  if (existing) return existing;
  const content = await chapterContent(context, permissions.chapterId);
  const bytes = utf8Bytes(content.content);
  if (bytes > DOCUMENT_MAX_BYTES) throw documentTooLarge(bytes);
  const length = codePoints(content.content);
  await transaction(db, async (tx) => {
    const { rows } = await tx.query(
      `INSERT INTO documents (chapter_id, book_id, text, length, content_version, format)
       VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::int8, $5::int8, $6::text)
       ON CONFLICT (chapter_id) DO NOTHING RETURNING 1 AS created`,
      [permissions.chapterId, permissions.bookId, content.content, length, content.version, content.format],
    );
    if (rows.length > 0) {
      await tx.query('INSERT INTO snapshots (chapter_id, version, text, length) VALUES ($1::text::uuid, 0, $2::text, $3::int8)', [
        permissions.chapterId,
        content.content,
        length,
      ]);
    }
  });
  const created = await selectDocument(db, permissions.chapterId);
  if (!created) throw notFound('No chapter with that id');
  return created;
}

/** The oldest version a client may still use as a base (the oldest kept snapshot). */
export async function oldestVersion(db: SqlClient, chapterId: string): Promise<number> {
  const row = await queryOne(db, z.object({ version: sqlInt }), 'SELECT min(version) AS version FROM snapshots WHERE chapter_id = $1::text::uuid', [chapterId]);
  return row?.version ?? 0;
}

export function reloadRequired(version: number, oldest: number, path: string): HttpError {
  return conflict('reload_required', `Version ${version} is older than the kept history (oldest: ${oldest}); reload the document and reapply your changes`, [
    { path, message: `The oldest version accepted is ${oldest}` },
  ]);
}

const OpRow = z.object({ op: z.string() });

/** The text at `version` (≥ the oldest kept snapshot): the snapshot at or before it, then the operations after it. */
export async function textAt(db: SqlClient, chapterId: string, version: number): Promise<{ text: string; length: number }> {
  const snapshot = await queryOne(
    db,
    z.object({ version: sqlInt, text: z.string(), length: sqlInt }),
    `SELECT version, text, length FROM snapshots WHERE chapter_id = $1::text::uuid AND version <= $2::int8 ORDER BY version DESC LIMIT 1`,
    [chapterId, version],
  );
  if (!snapshot) throw reloadRequired(version, await oldestVersion(db, chapterId), 'body.baseVersion');
  const ops = await queryRows(
    db,
    OpRow,
    'SELECT op FROM operations WHERE chapter_id = $1::text::uuid AND version > $2::int8 AND version <= $3::int8 ORDER BY version',
    [chapterId, snapshot.version, version],
  );
  let text = snapshot.text;
  for (const row of ops) text = applyOp(text, JSON.parse(row.op) as Operation);
  return { text, length: codePoints(text) };
}

export function documentView(document: DocumentRow, permissions: ChapterPermissions, oldest: number) {
  return {
    chapterId: document.chapterId,
    bookId: document.bookId,
    version: document.version,
    oldestVersion: oldest,
    text: document.text,
    length: document.length,
    format: document.format,
    contentVersion: document.contentVersion,
    lastEventId: document.seq,
    updatedAt: document.updatedAt,
    access: { canWrite: permissions.canWrite, canComment: permissions.canComment },
  };
}

/** `GET /documents/{chapterId}`: the live text and its version, created on first open. */
export const getDocument = defineRoute({
  params: DocumentParams,
  auth: 'required',
  responses: { 200: EditorDocument },
  errors: { ...accessErrors(), 413: DOCUMENT_TOO_LARGE },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'read');
  const document = await openDocument(context, permissions);
  return json(documentView(document, permissions, await oldestVersion(context.db(), document.chapterId)));
});
