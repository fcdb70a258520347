import { Channel, Id, PageQuery, CommentThreadList, CreatedComment, EditorComment, type CommentAddedData } from '@authorworks/domain';
import {
  CursorInteger,
  HttpError,
  badRequest,
  changeWithEvents,
  decodeCursor,
  defineRoute,
  isoTimestamp,
  json,
  created,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlBool,
  sqlInt,
  type SqlClient,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireChapterAccess } from './access.ts';
import { DOCUMENT_TOO_LARGE, DocumentParams, Version, oldestVersion, openDocument, reloadRequired } from './documents.ts';
import { transformRange, type Operation } from './text-ops.ts';

/** Open (unresolved) threads per document: each commit moves their anchors. */
export const MAX_OPEN_THREADS = 500;
/** Replies per thread. */
export const MAX_REPLIES = 200;

const CommentBody = z.string().trim().min(1).max(10_000);

const COMMENT_COLUMNS = `id::text AS id, chapter_id::text AS "chapterId", parent_id::text AS "parentId", author_id::text AS "authorId", body,
  range_start AS "rangeStart", range_end AS "rangeEnd", collapsed, resolved, resolved_by::text AS "resolvedBy", created_seq AS "createdSeq", seq,
  ${isoTimestamp('created_at')} AS "createdAt", ${isoTimestamp('updated_at')} AS "updatedAt"`;

const CommentRow = z.object({
  id: z.string(),
  chapterId: z.string(),
  parentId: z.string().nullable(),
  authorId: z.string(),
  body: z.string(),
  rangeStart: sqlInt.nullable(),
  rangeEnd: sqlInt.nullable(),
  collapsed: sqlBool,
  resolved: sqlBool,
  resolvedBy: z.string().nullable(),
  createdSeq: sqlInt,
  seq: sqlInt,
  createdAt: z.string(),
  updatedAt: z.string(),
});
type CommentRow = z.infer<typeof CommentRow>;

export function commentView(row: CommentRow) {
  const { rangeStart, rangeEnd, seq: _seq, createdSeq: _createdSeq, ...rest } = row;
  return { ...rest, range: rangeStart === null || rangeEnd === null ? null : { start: rangeStart, end: rangeEnd } };
}

export async function selectComments(db: SqlClient, chapterId: string, where: string, params: unknown[]): Promise<CommentRow[]> {
  return queryRows(db, CommentRow, `SELECT ${COMMENT_COLUMNS} FROM comments WHERE chapter_id = $1::text::uuid AND ${where}`, [
    chapterId,
    ...(params as (string | number | null)[]),
  ]);
}

const AnchorRow = z.object({ id: z.string(), start: sqlInt, end: sqlInt, collapsed: sqlBool });

/**
 * Moves every open thread's range through a committed operation (called inside the commit's
 * transaction, under the document lock, so anchors are always at the document's version). A
 * range whose text was all deleted collapses to the point where it was and is marked collapsed.
 */
export async function transformAnchors(tx: SqlClient, chapterId: string, op: Operation): Promise<void> {
  const anchors = await queryRows(
    tx,
    AnchorRow,
    `SELECT id::text AS id, range_start AS start, range_end AS "end", collapsed FROM comments
      WHERE chapter_id = $1::text::uuid AND parent_id IS NULL AND NOT resolved`,
    [chapterId],
  );
  const moved: { id: string; start: number; end: number; collapsed: boolean }[] = [];
  for (const anchor of anchors) {
    const next = transformRange(anchor, op);
    const collapsed = anchor.collapsed || (anchor.end > anchor.start && next.end === next.start);
    if (next.start !== anchor.start || next.end !== anchor.end || collapsed !== anchor.collapsed) moved.push({ id: anchor.id, ...next, collapsed });
  }
  if (moved.length === 0) return;
  await tx.query(
    `UPDATE comments c SET range_start = m.start, range_end = m."end", collapsed = m.collapsed
       FROM json_to_recordset($2::text::json) AS m(id uuid, start int, "end" int, collapsed boolean)
      WHERE c.id = m.id AND c.chapter_id = $1::text::uuid`,
    [chapterId, JSON.stringify(moved)],
  );
}

const OpRow = z.object({ op: z.string() });

/** A range a client gave at `version`, moved to the document's current version. */
async function rangeAtHead(tx: SqlClient, chapterId: string, range: { start: number; end: number }, version: number, head: { version: number; length: number }) {
  if (version > head.version) {
    throw badRequest('invalid_version', `Version ${version} does not exist yet; the document is at version ${head.version}`, [
      { path: 'body.version', message: `At most ${head.version}` },
    ]);
  }
  const oldest = await oldestVersion(tx, chapterId);
  if (version < oldest) throw reloadRequired(version, oldest, 'body.version');
  const ops = await queryRows(tx, OpRow, 'SELECT op FROM operations WHERE chapter_id = $1::text::uuid AND version > $2::int8 ORDER BY version', [chapterId, version]);
  let moved = range;
  for (const row of ops) moved = transformRange(moved, JSON.parse(row.op) as Operation);
  if (moved.end > head.length) {
    throw badRequest('range_out_of_range', `The range ends past the end of the document (${head.length} characters at version ${head.version})`, [
      { path: 'body.range', message: 'Outside the document' },
    ]);
  }
  return moved;
}

const Range = z.strictObject({ start: Version, end: Version }).refine((range) => range.end >= range.start, { message: 'end must not be before start', path: ['end'] });

export const CreateCommentRequest = z.strictObject({
  /** The version the range refers to; it is moved to the current version. */
  version: Version,
  range: Range,
  body: CommentBody,
});

const HeadRow = z.object({ version: sqlInt, length: sqlInt, seq: sqlInt, bookId: z.string() });

async function lockHead(tx: SqlClient, chapterId: string) {
  const head = await queryOne(tx, HeadRow, 'SELECT version, length, seq, book_id::text AS "bookId" FROM documents WHERE chapter_id = $1::text::uuid FOR UPDATE', [chapterId]);
  if (!head) throw notFound('No document for that chapter');
  // Every change a stream reports takes the next number of the document's sequence.
  await tx.query('UPDATE documents SET seq = seq + 1 WHERE chapter_id = $1::text::uuid', [chapterId]);
  return { ...head, seq: head.seq + 1 };
}

function selectOne(tx: SqlClient, chapterId: string, id: string) {
  return selectComments(tx, chapterId, 'id = $2::text::uuid', [id]).then((rows) => rows[0]);
}

/** `POST /documents/{chapterId}/comments`: a thread on a range (reviewers too). */
export const createComment = defineRoute({
  params: DocumentParams,
  body: CreateCommentRequest,
  auth: 'required',
  responses: { 201: CreatedComment },
  errors: {
    400: '`invalid_version`: past the head; `range_out_of_range`: ends past the text',
    ...accessErrors('comment'),
    409: '`reload_required`: the version is older than the kept history',
    413: '`document_too_large`: the chapter is larger than a live document holds; `too_many_comments`: the chapter has the most open threads it may',
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'comment');
  await openDocument(context, permissions);
  const comment = await changeWithEvents(context, Channel.editorEvents, async (tx, emit) => {
    const head = await lockHead(tx, permissions.chapterId);
    const open = await queryOne(tx, z.object({ count: sqlInt }), 'SELECT count(*) AS count FROM comments WHERE chapter_id = $1::text::uuid AND parent_id IS NULL AND NOT resolved', [
      permissions.chapterId,
    ]);
    if ((open?.count ?? 0) >= MAX_OPEN_THREADS) {
      throw new HttpError(413, 'too_many_comments', `A chapter may have at most ${MAX_OPEN_THREADS} open comment threads; resolve some first`);
    }
    const range = await rangeAtHead(tx, permissions.chapterId, context.body.range, context.body.version, head);
    const { rows } = await tx.query(
      `INSERT INTO comments (chapter_id, author_id, body, range_start, range_end, created_seq, seq)
       VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::int8, $5::int8, $6::int8, $6::int8) RETURNING id::text AS id`,
      [permissions.chapterId, context.principal.userId, context.body.body, range.start, range.end, head.seq],
    );
    const id = String(rows[0]!.id);
    await emit({
      type: 'comment.added',
      subject: id,
      data: {
        commentId: id,
        chapterId: permissions.chapterId,
        bookId: permissions.bookId,
        parentId: null,
        authorId: context.principal.userId,
        threadParticipantIds: [],
        excerpt: excerptOf(context.body.body),
        range,
      } satisfies CommentAddedData,
    });
    return { row: (await selectOne(tx, permissions.chapterId, id))!, version: head.version };
  });
  // `version`: the document version the range is at.
  return created({ ...commentView(comment.row), version: comment.version }, `/v1/editor/documents/${permissions.chapterId}/comments/${comment.row.id}`);
});

/** The start of a comment for `comment.added` (notifications show it), cut between code points. */
function excerptOf(body: string): string {
  const points = Array.from(body);
  return points.length > 200 ? `${points.slice(0, 199).join('')}…` : body;
}

/** Who wrote in a thread (its first comment and the replies), `commenter` left out; at most 200. */
async function threadParticipants(tx: SqlClient, threadId: string, commenter: string): Promise<string[]> {
  const rows = await queryRows(
    tx,
    z.object({ id: z.string() }),
    `SELECT DISTINCT author_id::text AS id FROM comments
      WHERE (id = $1::text::uuid OR parent_id = $1::text::uuid) AND author_id <> $2::text::uuid
      ORDER BY id LIMIT 200`,
    [threadId, commenter],
  );
  return rows.map((row) => row.id);
}

export const CommentParams = z.object({ chapterId: Id, commentId: Id });
export const ReplyRequest = z.strictObject({ body: CommentBody });

/** `POST /documents/{chapterId}/comments/{commentId}/replies`. */
export const replyToComment = defineRoute({
  params: CommentParams,
  body: ReplyRequest,
  auth: 'required',
  responses: { 201: EditorComment },
  errors: {
    ...accessErrors('comment'),
    404: 'No chapter the caller may read, or no comment of it with that id',
    413: '`document_too_large`: the chapter is larger than a live document holds; `too_many_replies`: the thread has the most replies it may',
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'comment');
  await openDocument(context, permissions);
  const reply = await changeWithEvents(context, Channel.editorEvents, async (tx, emit) => {
    const head = await lockHead(tx, permissions.chapterId);
    const thread = await selectOne(tx, permissions.chapterId, context.params.commentId);
    if (!thread) throw notFound('No comment with that id');
    const threadId = thread.parentId ?? thread.id;
    const replies = await queryOne(tx, z.object({ count: sqlInt }), 'SELECT count(*) AS count FROM comments WHERE parent_id = $1::text::uuid', [threadId]);
    if ((replies?.count ?? 0) >= MAX_REPLIES) throw new HttpError(413, 'too_many_replies', `A thread may have at most ${MAX_REPLIES} replies`);
    const { rows } = await tx.query(
      `INSERT INTO comments (chapter_id, parent_id, author_id, body, created_seq, seq)
       VALUES ($1::text::uuid, $2::text::uuid, $3::text::uuid, $4::text, $5::int8, $5::int8) RETURNING id::text AS id`,
      [permissions.chapterId, threadId, context.principal.userId, context.body.body, head.seq],
    );
    const id = String(rows[0]!.id);
    await tx.query('UPDATE comments SET updated_at = now(), seq = $2::int8 WHERE id = $1::text::uuid', [threadId, head.seq]);
    await emit({
      type: 'comment.added',
      subject: id,
      data: {
        commentId: id,
        chapterId: permissions.chapterId,
        bookId: permissions.bookId,
        parentId: threadId,
        authorId: context.principal.userId,
        threadParticipantIds: await threadParticipants(tx, threadId, context.principal.userId),
        excerpt: excerptOf(context.body.body),
      } satisfies CommentAddedData,
    });
    return (await selectOne(tx, permissions.chapterId, id))!;
  });
  return created(commentView(reply), `/v1/editor/documents/${permissions.chapterId}/comments/${reply.id}`);
});

/** `POST /documents/{chapterId}/comments/{commentId}/resolve`: closes the thread (its anchor then stays where it is). */
export const resolveComment = defineRoute({
  params: CommentParams,
  auth: 'required',
  responses: { 200: EditorComment },
  errors: {
    400: '`not_a_thread`: a reply cannot be resolved, its thread can',
    ...accessErrors('comment'),
    404: 'No chapter the caller may read, or no comment of it with that id',
    413: DOCUMENT_TOO_LARGE,
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'comment');
  await openDocument(context, permissions);
  const thread = await changeWithEvents(context, Channel.editorEvents, async (tx) => {
    const head = await lockHead(tx, permissions.chapterId);
    const found = await selectOne(tx, permissions.chapterId, context.params.commentId);
    if (!found) throw notFound('No comment with that id');
    if (found.parentId !== null) throw badRequest('not_a_thread', 'Resolve the thread (its first comment), not a reply');
    await tx.query('UPDATE comments SET resolved = true, resolved_by = $2::text::uuid, seq = $3::int8, updated_at = now() WHERE id = $1::text::uuid', [
      found.id,
      context.principal.userId,
      head.seq,
    ]);
    return (await selectOne(tx, permissions.chapterId, found.id))!;
  });
  return json(commentView(thread));
});

export const ListCommentsQuery = PageQuery.extend({ resolved: z.enum(['true', 'false']).optional() });
const CreatedCursor = z.object({ s: CursorInteger });

/**
 * `GET /documents/{chapterId}/comments[?resolved=]`: threads with their replies, oldest first,
 * each range at the document's current version (`version` in the answer).
 */
export const listComments = defineRoute({
  params: DocumentParams,
  query: ListCommentsQuery,
  auth: 'required',
  responses: { 200: CommentThreadList },
  errors: {
    400: '`invalid_cursor`',
    ...accessErrors(),
    413: DOCUMENT_TOO_LARGE,
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'read');
  const document = await openDocument(context, permissions);
  const db = context.db();
  const after = decodeCursor(CreatedCursor, context.query.cursor);
  const resolved = context.query.resolved === undefined ? null : context.query.resolved === 'true';
  // Threads in the order they were made: the document's sequence number at creation (unique per document).
  const threads = await selectComments(
    db,
    permissions.chapterId,
    `parent_id IS NULL AND ($2::bool IS NULL OR resolved = $2::bool) AND ($3::int8 IS NULL OR created_seq > $3::int8) ORDER BY created_seq LIMIT $4::int8`,
    [resolved, after?.s ?? null, context.query.limit + 1],
  );
  const page = pageOf(threads, context.query.limit, (last) => ({ s: last.createdSeq }));
  const replies = page.items.length
    ? await selectComments(db, permissions.chapterId, 'parent_id IN (SELECT json_array_elements_text($2::text::json)::uuid) ORDER BY created_seq', [
        JSON.stringify(page.items.map((thread) => thread.id)),
      ])
    : [];
  return json({
    version: document.version,
    items: page.items.map((thread) => ({ ...commentView(thread), replies: replies.filter((reply) => reply.parentId === thread.id).map(commentView) })),
    nextCursor: page.nextCursor,
  });
});
