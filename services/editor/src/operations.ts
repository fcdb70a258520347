import { Channel, Id, CommittedEdit, EditorOperationList, type ChapterPermissions } from '@authorworks/domain';
import {
  badRequest,
  changeWithEvents,
  decodeCursor,
  defineRoute,
  encodeCursor,
  isoTimestamp,
  json,
  queryOne,
  queryRows,
  sqlBool,
  sqlInt,
  type RequestContext,
  type SqlClient,
  type ThrottleRule,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireChapterAccess } from './access.ts';
import { transformAnchors } from './comments.ts';
import { DOCUMENT_TOO_LARGE, DocumentParams, Version, documentTooLarge, oldestVersion, openDocument, reloadRequired, selectDocument, textAt } from './documents.ts';
import { DOCUMENT_MAX_BYTES, Operation, applyOp, assertFits, canonicalOp, diffToOp, outputLength, transformOp, utf8Bytes, type Operation as TextOp } from './text-ops.ts';

/** The editor's events on `editor-events`. */
export const EditorEventType = { documentUpdated: 'document.updated', commentAdded: 'comment.added' } as const;

/**
 * document.updated is batched, not sent per keystroke: a commit emits one when the document has
 * moved EVENT_EVERY_VERSIONS versions since the last one, or when the last one is older than
 * EVENT_EVERY_SECONDS (or there was none). A burst of typing therefore gives one event at its
 * start and then at most one per 50 versions or 30 seconds; the event carries the range of
 * versions it covers.
 */
export const EVENT_EVERY_VERSIONS = 50;
export const EVENT_EVERY_SECONDS = 30;

/** Every write to a document counts against its user: `editor_requests_per_minute` (default 1200, 20 a second). */
export const editorThrottle: readonly ThrottleRule<Pick<RequestContext, 'config'> & { principal: { userId: string } }>[] = [
  {
    name: 'editor-user',
    key: (context) => `editor:writes:${context.principal.userId}`,
    limit: (context) => ({ limit: positiveVariable(context, 'editor_requests_per_minute', 1200), windowSeconds: 60 }),
  },
];

function positiveVariable(context: Pick<RequestContext, 'config'>, name: string, fallback: number): number {
  const value = Number(context.config.optional(name, String(fallback)));
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** A snapshot every `editor_snapshot_every` versions (default 100). */
export const snapshotEvery = (context: Pick<RequestContext, 'config'>) => positiveVariable(context, 'editor_snapshot_every', 100);
/** At least `editor_retained_ops` operations stay in the log (default 1000); older ones are pruned. */
export const retainedOps = (context: Pick<RequestContext, 'config'>) => positiveVariable(context, 'editor_retained_ops', 1000);

export interface CommitInput {
  baseVersion: number;
  /** Canonical (text-ops.ts `canonicalOp`), against the text at `baseVersion`. */
  op: TextOp;
  /** The client's id for this edit: a retry with the same id returns the first commit. */
  opId: string | null;
}

export interface Commit {
  version: number;
  /** The operation as committed: transformed against everything committed since the base. */
  op: TextOp;
  /** True when `opId` had already been committed: nothing was applied this time. */
  duplicate: boolean;
}

const HeadRow = z.object({
  version: sqlInt,
  text: z.string(),
  length: sqlInt,
  seq: sqlInt,
  eventVersion: sqlInt,
  eventDue: sqlBool,
});
const CommittedRow = z.object({ version: sqlInt, op: z.string() });

async function lengthAt(tx: SqlClient, chapterId: string, version: number): Promise<number | null> {
  const row = await queryOne(
    tx,
    z.object({ length: sqlInt }),
    `SELECT length FROM snapshots WHERE chapter_id = $1::text::uuid AND version = $2::int8
     UNION ALL
     SELECT length_after AS length FROM operations WHERE chapter_id = $1::text::uuid AND version = $2::int8
     LIMIT 1`,
    [chapterId, version],
  );
  return row?.length ?? null;
}

/**
 * Commits one operation: under the document's row lock (so commits of one document run one at a
 * time, in version order, whichever instance serves them), transforms it against every
 * operation committed since its base, applies it, records it, moves comment anchors, and keeps
 * snapshots, pruning and batched events — all in one transaction: a failure leaves the document
 * as it was.
 */
export async function commitOperation(
  context: Pick<RequestContext, 'db' | 'events' | 'config'> & { principal: { userId: string } },
  permissions: ChapterPermissions,
  input: CommitInput,
): Promise<Commit> {
  const chapterId = permissions.chapterId;
  const authorId = context.principal.userId;
  return changeWithEvents(context, Channel.editorEvents, async (tx, emit) => {
    const head = await queryOne(
      tx,
      HeadRow,
      `SELECT version, text, length, seq, event_version AS "eventVersion",
              (event_at IS NULL OR event_at < now() - make_interval(secs => $2::int8)) AS "eventDue"
         FROM documents WHERE chapter_id = $1::text::uuid FOR UPDATE`,
      [chapterId, EVENT_EVERY_SECONDS],
    );
    if (!head) throw badRequest('not_opened', 'Open the document first');
    if (input.opId !== null) {
      const earlier = await queryOne(
        tx,
        CommittedRow,
        'SELECT version, op FROM operations WHERE chapter_id = $1::text::uuid AND author_id = $2::text::uuid AND op_id = $3::text::uuid',
        [chapterId, authorId, input.opId],
      );
      if (earlier) return { version: earlier.version, op: JSON.parse(earlier.op) as TextOp, duplicate: true };
    }
    if (input.baseVersion > head.version) {
      throw badRequest('invalid_base_version', `Version ${input.baseVersion} does not exist yet; the document is at version ${head.version}`, [
        { path: 'body.baseVersion', message: `At most ${head.version}` },
      ]);
    }
    const oldest = await oldestVersion(tx, chapterId);
    if (input.baseVersion < oldest) throw reloadRequired(input.baseVersion, oldest, 'body.baseVersion');
    const baseLength = input.baseVersion === head.version ? head.length : await lengthAt(tx, chapterId, input.baseVersion);
    if (baseLength === null) throw reloadRequired(input.baseVersion, oldest, 'body.baseVersion');
    assertFits(input.op, baseLength);

    let op = input.op;
    const concurrent = await queryRows(
      tx,
      CommittedRow,
      'SELECT version, op FROM operations WHERE chapter_id = $1::text::uuid AND version > $2::int8 ORDER BY version',
      [chapterId, input.baseVersion],
    );
    for (const row of concurrent) op = transformOp(op, JSON.parse(row.op) as TextOp);

    const text = applyOp(head.text, op);
    const length = outputLength(op, head.length);
    if (text.length > head.text.length) {
      const bytes = utf8Bytes(text);
      if (bytes > DOCUMENT_MAX_BYTES) throw documentTooLarge(bytes);
    }
    const version = head.version + 1;
    const seq = head.seq + 1;
    await tx.query(
      'UPDATE documents SET version = $2::int8, text = $3::text, length = $4::int8, seq = $5::int8, updated_at = now() WHERE chapter_id = $1::text::uuid',
      [chapterId, version, text, length, seq],
    );
    await tx.query(
      `INSERT INTO operations (chapter_id, version, seq, op, length_after, author_id, op_id, base_version)
       VALUES ($1::text::uuid, $2::int8, $3::int8, $4::text, $5::int8, $6::text::uuid, $7::text::uuid, $8::int8)`,
      [chapterId, version, seq, JSON.stringify(op), length, authorId, input.opId, input.baseVersion],
    );
    await transformAnchors(tx, chapterId, op);

    if (version % snapshotEvery(context) === 0) {
      await tx.query('INSERT INTO snapshots (chapter_id, version, text, length) VALUES ($1::text::uuid, $2::int8, $3::text, $4::int8)', [chapterId, version, text, length]);
      // The history kept starts at the newest snapshot that leaves at least `retainedOps` operations after it.
      const horizon = await queryOne(
        tx,
        z.object({ version: sqlInt.nullable() }),
        'SELECT max(version) AS version FROM snapshots WHERE chapter_id = $1::text::uuid AND version <= $2::int8',
        [chapterId, version - retainedOps(context)],
      );
      if (horizon?.version !== null && horizon?.version !== undefined) {
        await tx.query(
          `UPDATE documents SET pruned_seq = GREATEST(pruned_seq, COALESCE((SELECT max(seq) FROM operations WHERE chapter_id = $1::text::uuid AND version <= $2::int8), 0))
            WHERE chapter_id = $1::text::uuid`,
          [chapterId, horizon.version],
        );
        await tx.query('DELETE FROM operations WHERE chapter_id = $1::text::uuid AND version <= $2::int8', [chapterId, horizon.version]);
        await tx.query('DELETE FROM snapshots WHERE chapter_id = $1::text::uuid AND version < $2::int8', [chapterId, horizon.version]);
      }
    }

    if (head.eventDue || version - head.eventVersion >= EVENT_EVERY_VERSIONS) {
      await emit({
        type: EditorEventType.documentUpdated,
        subject: chapterId,
        data: { chapterId, bookId: permissions.bookId, version, fromVersion: head.eventVersion, length, actorId: authorId },
      });
      await tx.query('UPDATE documents SET event_version = $2::int8, event_at = now() WHERE chapter_id = $1::text::uuid', [chapterId, version]);
    }
    return { version, op, duplicate: false };
  });
}

export const PostOperationsRequest = z.strictObject({
  baseVersion: Version,
  ops: Operation,
  opId: Id.optional(),
});

/** 1 MiB: the largest insert a request may make (OP_LIMITS) with room for JSON escapes. */
const OPERATIONS_MAX_BODY_BYTES = 1024 * 1024;

/** `POST /documents/{chapterId}/operations`: commits an operation made against `baseVersion`. */
export const postOperations = defineRoute(
  {
    params: DocumentParams,
    body: PostOperationsRequest,
    auth: 'required',
    maxBodyBytes: OPERATIONS_MAX_BODY_BYTES,
    throttle: editorThrottle,
    responses: { 200: CommittedEdit },
    errors: {
      400: '`not_opened`, `invalid_base_version` (past the head), `operation_out_of_range` (reads past the text)',
      ...accessErrors('write'),
      409: '`reload_required`: the version is older than the kept history',
      413: '`document_too_large`: the chapter is larger than a live document holds; `operation_too_large`: too many components or characters in one request',
    },
  },
  async (context) => {
    const permissions = await requireChapterAccess(context, context.params.chapterId, 'write');
    await openDocument(context, permissions);
    const op = canonicalOp(context.body.ops);
    const commit = await commitOperation(context, permissions, { baseVersion: context.body.baseVersion, op, opId: context.body.opId ?? null });
    return json({ version: commit.version, ops: commit.op, duplicate: commit.duplicate });
  },
);

export const OperationsQuery = z.object({
  since: z.coerce.number().pipe(Version).optional(),
  // Catching up wants everything: up to 100 a page, 100 by default.
  limit: z.coerce.number().int().min(1).max(100).default(100),
  cursor: z.string().max(200).optional(),
});

const VersionCursor = z.object({ v: Version });

export const OperationRow = z.object({
  version: sqlInt,
  seq: sqlInt,
  op: z.string().transform((text) => JSON.parse(text) as TextOp),
  authorId: z.string(),
  baseVersion: sqlInt,
  createdAt: z.string(),
});

export const OPERATION_COLUMNS = `version, seq, op, author_id::text AS "authorId", base_version AS "baseVersion", ${isoTimestamp('created_at')} AS "createdAt"`;

/**
 * `GET /documents/{chapterId}/operations?since=N`: the operations that made versions N+1, N+2, …
 * in order (a page at a time, `nextCursor` for the rest), and the document's version.
 */
export const listOperations = defineRoute({
  params: DocumentParams,
  query: OperationsQuery,
  auth: 'required',
  responses: { 200: EditorOperationList },
  errors: {
    400: '`invalid_version`: past the head; `invalid_cursor`; `validation_failed`: neither `since` nor `cursor`',
    ...accessErrors(),
    409: '`reload_required`: the version is older than the kept history',
    413: DOCUMENT_TOO_LARGE,
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'read');
  const document = await openDocument(context, permissions);
  const db = context.db();
  const after = decodeCursor(VersionCursor, context.query.cursor)?.v ?? context.query.since;
  if (after === undefined) throw badRequest('validation_failed', 'Give since (a version) or cursor', [{ path: 'query.since', message: 'Required' }]);
  if (after > document.version) {
    throw badRequest('invalid_version', `Version ${after} does not exist yet; the document is at version ${document.version}`, [
      { path: 'query.since', message: `At most ${document.version}` },
    ]);
  }
  const oldest = await oldestVersion(db, document.chapterId);
  if (after < oldest) throw reloadRequired(after, oldest, 'query.since');
  const rows = await queryRows(
    db,
    OperationRow,
    `SELECT ${OPERATION_COLUMNS} FROM operations WHERE chapter_id = $1::text::uuid AND version > $2::int8 ORDER BY version LIMIT $3::int8`,
    [document.chapterId, after, context.query.limit + 1],
  );
  const items = rows.slice(0, context.query.limit).map(({ seq: _seq, ...item }) => item);
  const last = items[items.length - 1];
  const current = await selectDocument(db, document.chapterId);
  return json({
    items,
    nextCursor: rows.length > context.query.limit && last ? encodeCursor({ v: last.version }) : null,
    version: current?.version ?? document.version,
  });
});

export const PutContentRequest = z.strictObject({
  baseVersion: Version,
  // Characters; the byte limit of a chapter is checked on the result.
  text: z.string().max(DOCUMENT_MAX_BYTES),
  opId: Id.optional(),
});

/**
 * Autosave: the client's whole text as of `baseVersion`, turned into an operation against the
 * text at that version (a character diff) and committed like any other, so edits others made
 * since are kept.
 */
export const putContent = defineRoute(
  {
    params: DocumentParams,
    body: PutContentRequest,
    auth: 'required',
    maxBodyBytes: 2 * DOCUMENT_MAX_BYTES + 1024,
    throttle: editorThrottle,
    responses: { 200: CommittedEdit },
    errors: {
      ...accessErrors('write'),
      409: '`reload_required`: the version is older than the kept history',
      413: DOCUMENT_TOO_LARGE,
    },
  },
  async (context) => {
    const permissions = await requireChapterAccess(context, context.params.chapterId, 'write');
    await openDocument(context, permissions);
    const bytes = utf8Bytes(context.body.text);
    if (bytes > DOCUMENT_MAX_BYTES) throw documentTooLarge(bytes);
    const db = context.db();
    const oldest = await oldestVersion(db, permissions.chapterId);
    if (context.body.baseVersion < oldest) throw reloadRequired(context.body.baseVersion, oldest, 'body.baseVersion');
    const base = await textAt(db, permissions.chapterId, context.body.baseVersion);
    const op = diffToOp(base.text, context.body.text);
    const commit = await commitOperation(context, permissions, { baseVersion: context.body.baseVersion, op, opId: context.body.opId ?? null });
    return json({ version: commit.version, ops: commit.op, duplicate: commit.duplicate });
  },
);
