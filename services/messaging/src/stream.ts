import { badRequest, defineRoute, queryRows, sqlInt } from '@authorworks/kit';
import { z } from 'zod';

/** Items one stream answer carries at most; a client with more pending reconnects at once. */
export const MAX_STREAM_ITEMS = 1000;
/** The reconnect delay the stream suggests (`retry:`), in milliseconds. */
export const STREAM_RETRY_MS = 3000;

const Seq = z.string().regex(/^\d{1,15}$/).transform(Number);

export const StreamQuery = z.object({
  /** The last event id the client has seen (as `Last-Event-ID`, which wins when both are sent). */
  since: Seq.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_STREAM_ITEMS).default(MAX_STREAM_ITEMS),
});

const FeedRow = z.object({ seq: sqlInt, kind: z.string(), data: z.string() });

/**
 * `GET /stream`: Server-Sent Events. A Spin component serves one request and ends, so this is
 * not a held connection: it sends every feed item of the caller after `Last-Event-ID` (or
 * `?since=`), each with its seq as the event id, then a `retry:` hint, and closes. EventSource
 * reconnects after the hint with the last id it saw, so a client gets each item exactly once.
 */
export const stream = defineRoute({
  query: StreamQuery,
  auth: 'required',
  responses: { 200: { contentType: 'text/event-stream', description: 'Server-sent events: the caller\'s feed items after `Last-Event-ID` (or `since`), each with its seq as id, then a `retry:` hint; `x-stream-more: true` when more are waiting' } },
  errors: { 400: '`validation_failed`: `Last-Event-ID` is not an event id of this stream' },
}, async (context) => {
  const header = context.request.headers.get('last-event-id');
  let since = context.query.since ?? 0;
  if (header !== null && header.trim() !== '') {
    const parsed = Seq.safeParse(header.trim());
    if (!parsed.success) throw badRequest('validation_failed', 'Last-Event-ID is not an event id of this stream', [{ path: 'headers.last-event-id', message: 'Expected the id of an event this stream sent' }]);
    since = parsed.data;
  }
  const rows = await queryRows(
    context.db(),
    FeedRow,
    `SELECT seq, kind, data FROM feed WHERE user_id = $1::text::uuid AND seq > $2::int8 ORDER BY seq LIMIT $3::int8`,
    [context.principal.userId, since, context.query.limit + 1],
  );
  const items = rows.slice(0, context.query.limit);
  const more = rows.length > items.length;
  // Event data is one line of JSON (JSON.stringify escapes newlines), so no field can break a frame.
  const frames = items.map((item) => `id: ${item.seq}\nevent: ${item.kind}\ndata: ${item.data}\n\n`);
  frames.push(`retry: ${more ? 0 : STREAM_RETRY_MS}\n\n`);
  return new Response(frames.join(''), {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-stream-more': more ? 'true' : 'false',
    },
  });
});
