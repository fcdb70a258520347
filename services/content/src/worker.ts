// content-worker: the Redis-triggered component on content-events. Every content event names its
// book; the worker recomputes that book's statistics and search document from the tables, so the
// same event twice, or an event after a lost one, leaves the book right. Event ids already seen
// are skipped (a processed_events row committed with the recompute); events of other types
// (collaborator.*, anything else) are ignored; malformed messages are logged and dropped.
//
// Why synchronous: componentize-js 0.10 (Spin SDK 2.0) returns from a Redis export as soon as
// the handler returns; a returned promise's continuations never run (measured: the code after the
// first `await` is never executed, and the host still records success). The kit's
// createEventConsumer is async, so this worker talks to Spin's host interfaces directly; they are
// synchronous anyway. The kit should offer a synchronous consumer for Redis components.
/// <reference path="../../../packages/kit/src/spin-wit.d.ts" />
import { ContentEventData, ContentEventType, EventEnvelope } from '@authorworks/domain';
import { Config, createLogger, spinHost } from '@authorworks/kit';
import * as postgres from 'fermyon:spin/postgres@2.0.0';
import { BOOK_EXISTS_SQL, RECOMPUTE_SEARCH_SQL, RECOMPUTE_STATS_SQL } from './book-stats.ts';

export const CONSUMER = 'content-worker';

const HANDLED: ReadonlySet<string> = new Set([
  ContentEventType.created,
  ContentEventType.updated,
  ContentEventType.published,
  ContentEventType.unpublished,
  ContentEventType.deleted,
]);

const text = (value: string): postgres.ParameterValue => ({ tag: 'str', val: value });

function witMessage(error: unknown): string {
  const payload = (error as { payload?: { tag?: string; val?: unknown } } | null)?.payload;
  if (payload && typeof payload === 'object') return `${payload.tag ?? 'error'}: ${String(payload.val ?? '')}`;
  return error instanceof Error ? error.message : String(error);
}

function handleMessage(message: Uint8Array): void {
  const config = new Config(spinHost.variables);
  const log = createLogger({ level: config.logLevel, fields: { component: CONSUMER } });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(message));
  } catch {
    log.warn('message dropped: not JSON');
    return;
  }
  const envelope = EventEnvelope.safeParse(json);
  if (!envelope.success) {
    log.warn('message dropped: not an event envelope');
    return;
  }
  const event = envelope.data;
  const eventLog = log.child({ eventId: event.id, eventType: event.type, requestId: event.correlationId });
  if (!HANDLED.has(event.type)) {
    eventLog.debug('event ignored: not one the worker handles');
    return;
  }
  const data = ContentEventData.safeParse(event.data);
  if (!data.success) {
    eventLog.warn('event dropped: data does not match', { issues: data.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    return;
  }
  const bookId = data.data.bookId;

  const db = postgres.Connection.open(config.dbConnection);
  db.execute('BEGIN', []);
  try {
    const marked = db.query(
      'INSERT INTO processed_events (consumer, event_id) VALUES ($1::text, $2::text) ON CONFLICT DO NOTHING RETURNING event_id',
      [text(CONSUMER), text(event.id)],
    );
    if (marked.rows.length === 0) {
      db.execute('ROLLBACK', []);
      eventLog.info('event skipped: already handled');
      return;
    }
    const stats = db.query(RECOMPUTE_STATS_SQL, [text(bookId)]);
    db.execute(RECOMPUTE_SEARCH_SQL, [text(bookId)]);
    const exists = stats.rows.length > 0 || db.query(BOOK_EXISTS_SQL, [text(bookId)]).rows.length > 0;
    db.execute('COMMIT', []);
    eventLog.info(exists ? 'book statistics recomputed' : 'event handled: the book is gone', { bookId });
  } catch (error) {
    try {
      db.execute('ROLLBACK', []);
    } catch {
      // The connection is already unusable; the instance ends with this message.
    }
    eventLog.error('event handling failed', { bookId, error: witMessage(error) });
    // A thrown error becomes the WIT `err`, which Spin logs as a failed message.
    throw new Error(`content-worker failed on event ${event.id}: ${witMessage(error)}`);
  }
}

export const inboundRedis = { handleMessage };
