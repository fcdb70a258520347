import { badRequest, defineRoute, queryOne, queryRows, sqlInt } from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireChapterAccess } from './access.ts';
import { commentView, selectComments } from './comments.ts';
import { DOCUMENT_TOO_LARGE, DocumentParams, openDocument } from './documents.ts';
import { OPERATION_COLUMNS, OperationRow } from './operations.ts';
import { presenceView, presentUsers } from './presence.ts';

/** Events in one stream answer; a client with more to catch up reconnects at once from the last id. */
export const MAX_STREAM_EVENTS = 500;

const EventId = z
  .string()
  .regex(/^\d{1,15}$/, 'An event id this stream sent (digits)')
  .transform(Number);

export const StreamQuery = z.object({
  /** For clients that cannot set the Last-Event-ID header on their first request (EventSource). */
  lastEventId: EventId.optional(),
});

function sse(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `GET /documents/{chapterId}/stream`: Server-Sent Events of what happened after Last-Event-ID
 * (header, or `?lastEventId=`): operations and comment changes in the order they happened, each
 * with its id, then who is present, then the answer ends (a Spin component serves one request);
 * the client reconnects with the last id it got and misses nothing. Without an id: a `ready`
 * event carrying the current id. If the operations after the id were pruned: `reload`.
 */
export const streamDocument = defineRoute({
  params: DocumentParams,
  query: StreamQuery,
  auth: 'required',
  responses: { 200: { contentType: 'text/event-stream', description: 'Server-sent events after `Last-Event-ID` (header or `lastEventId`): `ready`, `operation`, `comment`, or `reload` when they were pruned; the answer ends after a batch and the client reconnects' } },
  errors: {
    400: '`validation_failed`: `Last-Event-ID` is not an id of this stream or has not happened yet',
    ...accessErrors(),
    413: DOCUMENT_TOO_LARGE,
  },
}, async (context) => {
  const permissions = await requireChapterAccess(context, context.params.chapterId, 'read');
  const document = await openDocument(context, permissions);
  const header = context.request.headers.get('last-event-id');
  let lastEventId = context.query.lastEventId;
  if (header !== null) {
    const parsed = EventId.safeParse(header.trim());
    if (!parsed.success) throw badRequest('validation_failed', 'The Last-Event-ID header is not an id this stream sent', [{ path: 'headers.last-event-id', message: 'Digits' }]);
    lastEventId = parsed.data;
  }
  const db = context.db();
  const head = await queryOne(db, z.object({ seq: sqlInt, prunedSeq: sqlInt, version: sqlInt }), 'SELECT seq, pruned_seq AS "prunedSeq", version FROM documents WHERE chapter_id = $1::text::uuid', [
    document.chapterId,
  ]);
  const parts: string[] = ['retry: 1000\n\n'];
  if (lastEventId === undefined) {
    parts.push(sse('ready', { version: head!.version, lastEventId: head!.seq }, head!.seq));
  } else if (lastEventId > head!.seq) {
    throw badRequest('validation_failed', `Event ${lastEventId} has not happened; the newest is ${head!.seq}`, [{ path: 'headers.last-event-id', message: `At most ${head!.seq}` }]);
  } else if (lastEventId < head!.prunedSeq) {
    parts.push(sse('reload', { reason: 'The operations after that event were pruned; reload the document', version: head!.version }, head!.seq));
  } else {
    const ops = await queryRows(db, OperationRow, `SELECT ${OPERATION_COLUMNS} FROM operations WHERE chapter_id = $1::text::uuid AND seq > $2::int8 ORDER BY seq LIMIT $3::int8`, [
      document.chapterId,
      lastEventId,
      MAX_STREAM_EVENTS,
    ]);
    const comments = await selectComments(db, document.chapterId, 'seq > $2::int8 ORDER BY seq LIMIT $3::int8', [lastEventId, MAX_STREAM_EVENTS]);
    const events = [
      ...ops.map((row) => ({ seq: row.seq, text: sse('operation', { version: row.version, op: row.op, authorId: row.authorId, baseVersion: row.baseVersion }, row.seq) })),
      ...comments.map((row) => ({ seq: row.seq, text: sse('comment', commentView(row), row.seq) })),
    ].sort((a, b) => a.seq - b.seq);
    // Both lists stop at MAX_STREAM_EVENTS: send only what is complete up to the smaller end.
    const complete = Math.min(
      ops.length === MAX_STREAM_EVENTS ? ops[ops.length - 1]!.seq : Number.MAX_SAFE_INTEGER,
      comments.length === MAX_STREAM_EVENTS ? comments[comments.length - 1]!.seq : Number.MAX_SAFE_INTEGER,
    );
    for (const event of events) if (event.seq <= complete) parts.push(event.text);
  }
  const present = await presentUsers(db, context.redis(), document.chapterId, head!.version, context.now());
  parts.push(sse('presence', { version: head!.version, items: present.map(presenceView) }));
  return new Response(parts.join(''), { headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' } });
});
