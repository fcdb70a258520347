import { Id, PageQuery, Checkpoint, CheckpointList, CommittedEdit } from '@authorworks/domain';
import { CursorInteger, created, decodeCursor, defineRoute, isoTimestamp, json, notFound, pageOf, queryOne, queryRows, sqlInt } from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireChapterAccess } from './access.ts';
import { saveChapterVersion } from './content-service.ts';
import { DOCUMENT_TOO_LARGE, DocumentParams, openDocument, selectDocument } from './documents.ts';
import { commitOperation, editorThrottle } from './operations.ts';
import { diffToOp } from './text-ops.ts';

export const CreateCheckpointRequest = z.strictObject({ name: z.string().trim().min(1).max(200) });

const CHECKPOINT_COLUMNS = `id::text AS id, chapter_id::text AS "chapterId", name, version, content_version AS "contentVersion",
  author_id::text AS "authorId", ${isoTimestamp('created_at')} AS "createdAt"`;

const CheckpointRow = z.object({
  id: z.string(),
  chapterId: z.string(),
  name: z.string(),
  version: sqlInt,
  contentVersion: sqlInt,
  authorId: z.string(),
  createdAt: z.string(),
});

/**
 * `POST /documents/{chapterId}/checkpoints` `{ name }`: the document's text as it is now becomes
 * the chapter's next content version in the content service (message "Checkpoint: <name>"), and
 * a named checkpoint here that can be reverted to. Checkpoints are never pruned.
 */
export const createCheckpoint = defineRoute({
  params: DocumentParams,
  body: CreateCheckpointRequest,
  auth: 'required',
  throttle: editorThrottle,
  responses: { 201: Checkpoint },
  errors: {
    ...accessErrors('write'),
    413: DOCUMENT_TOO_LARGE,
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'write');
  await openDocument(context, permissions);
  const db = context.db();
  const document = (await selectDocument(db, permissions.chapterId))!;
  const contentVersion = await saveChapterVersion(context, permissions.chapterId, {
    baseVersion: permissions.currentVersion,
    text: document.text,
    format: document.format,
    message: `Checkpoint: ${context.body.name}`,
  });
  const { rows } = await db.query(
    `INSERT INTO checkpoints (chapter_id, name, version, content_version, text, author_id)
     VALUES ($1::text::uuid, $2::text, $3::int8, $4::int8, $5::text, $6::text::uuid) RETURNING id::text AS id`,
    [permissions.chapterId, context.body.name, document.version, contentVersion, document.text, context.principal.userId],
  );
  await db.query('UPDATE documents SET content_version = GREATEST(content_version, $2::int8) WHERE chapter_id = $1::text::uuid', [permissions.chapterId, contentVersion]);
  const checkpoint = await queryOne(db, CheckpointRow, `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE id = $1::text::uuid`, [String(rows[0]!.id)]);
  return created(checkpoint, `/v1/editor/documents/${permissions.chapterId}/checkpoints/${checkpoint!.id}`);
});

/** `GET /documents/{chapterId}/checkpoints`: newest first. */
export const listCheckpoints = defineRoute({
  params: DocumentParams,
  query: PageQuery,
  auth: 'required',
  responses: { 200: CheckpointList },
  errors: {
    400: '`invalid_cursor`',
    ...accessErrors(),
    413: DOCUMENT_TOO_LARGE,
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'read');
  await openDocument(context, permissions);
  const after = decodeCursor(z.object({ v: CursorInteger, id: Id }), context.query.cursor);
  const rows = await queryRows(
    context.db(),
    CheckpointRow,
    `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints
      WHERE chapter_id = $1::text::uuid AND ($2::int8 IS NULL OR (version, id) < ($2::int8, $3::text::uuid))
      ORDER BY version DESC, id DESC LIMIT $4::int8`,
    [permissions.chapterId, after?.v ?? null, after?.id ?? null, context.query.limit + 1],
  );
  return json(pageOf(rows, context.query.limit, (last) => ({ v: last.version, id: last.id })));
});

export const CheckpointParams = z.object({ chapterId: Id, checkpointId: Id });

/**
 * `POST /documents/{chapterId}/checkpoints/{checkpointId}/revert`: the text goes back to the
 * checkpoint's as a new operation (a diff from the current text), so collaborators follow it
 * like any edit and nothing of the history is lost.
 */
export const revertToCheckpoint = defineRoute({
  params: CheckpointParams,
  auth: 'required',
  throttle: editorThrottle,
  responses: { 200: CommittedEdit },
  errors: {
    ...accessErrors('write'),
    404: 'No chapter the caller may read, or no checkpoint of it with that id',
    413: DOCUMENT_TOO_LARGE,
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'write');
  await openDocument(context, permissions);
  const db = context.db();
  const checkpoint = await queryOne(db, z.object({ text: z.string() }), 'SELECT text FROM checkpoints WHERE id = $1::text::uuid AND chapter_id = $2::text::uuid', [
    context.params.checkpointId,
    permissions.chapterId,
  ]);
  if (!checkpoint) throw notFound('No checkpoint with that id');
  const document = (await selectDocument(db, permissions.chapterId))!;
  const op = diffToOp(document.text, checkpoint.text);
  const commit = await commitOperation(context, permissions, { baseVersion: document.version, op, opId: null });
  return json({ version: commit.version, ops: commit.op, duplicate: commit.duplicate });
});
