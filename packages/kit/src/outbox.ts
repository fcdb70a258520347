import { z } from 'zod';
import type { RequestContext } from './context.ts';
import type { Logger } from './logging.ts';
import { utf8 } from './encoding.ts';
import { appendEventLog } from './event-log.ts';
import { setIfAbsent, type RedisClient } from './redis.ts';
import { isoTimestamp, queryRows, transaction, type SqlClient, type SqlParam } from './sql.ts';

// The transactional outbox. Spin components have no background loop, so there is no relay
// process: a request records its events in the same transaction as its change, and the kit
// publishes every unpublished row (its own and any a crashed request left behind) right after the
// handler returns. Delivery is at least once, in commit order; consumers skip event ids they have
// seen. (Designed in the content service first.)

export interface OutboxEvent {
  channel: string;
  type: string;
  subject: string;
  data: unknown;
  correlationId: string;
}

/** Records an event in the caller's transaction: it commits, or vanishes, with the change. */
export async function recordEvent(tx: SqlClient, event: OutboxEvent): Promise<void> {
  await tx.query(`${OUTBOX_INSERT} VALUES ($1::text, $2::text, $3::text, $4::text::jsonb, $5::text)`, outboxParams(event));
}

const OUTBOX_INSERT = 'INSERT INTO outbox (channel, type, subject, data, correlation_id)';

/**
 * The outbox row of an event as part of a statement of the caller's (a data-modifying CTE), so a
 * change and its event are one statement: one round trip where `changeWithEvents` takes four or
 * more (BEGIN, the change, the INSERT, COMMIT) — each a host call the request waits on. Parameters
 * `$first` to `$first+4` are `outboxParams(event)`; the row goes in once per row of `from` (the
 * change's CTE: nothing changed, no event); `data` may rework the data parameter with the
 * change's values. The statement must come from `EventPublisher.recordInStatement`'s caller, so
 * the request flushes it afterwards.
 */
export function outboxInsertSql(first: number, from: string, data: (json: string) => string = (json) => json): string {
  const p = (offset: number) => `$${first + offset}::text`;
  return `${OUTBOX_INSERT} SELECT ${p(0)}, ${p(1)}, ${p(2)}, ${data(`${p(3)}::jsonb`)}, ${p(4)} FROM ${from}`;
}

/** The parameters of `outboxInsertSql`, in its order. */
export function outboxParams(event: OutboxEvent): SqlParam[] {
  return [event.channel, event.type, event.subject, JSON.stringify(event.data ?? null), event.correlationId];
}

/** An event a change emits; `channel` defaults to the one given to `changeWithEvents`. */
export interface PendingEvent {
  type: string;
  subject: string;
  data: unknown;
  channel?: string;
}

/**
 * Runs `work` in one transaction whose `emit` records events in the outbox: the change and its
 * events commit together or not at all, and the API publishes them once the handler returns.
 */
export async function changeWithEvents<T>(
  context: Pick<RequestContext, 'db' | 'events'>,
  channel: string,
  work: (tx: SqlClient, emit: (event: PendingEvent) => Promise<void>) => Promise<T>,
): Promise<T> {
  return transaction(context.db(), (tx) =>
    work(tx, (event) => context.events.record(tx, event.channel ?? channel, event.type, event.subject, event.data)),
  );
}

const OutboxRow = z.object({
  id: z.string(),
  channel: z.string(),
  type: z.string(),
  subject: z.string(),
  data: z.string(),
  correlation_id: z.string(),
  time: z.string(),
});

export interface FlushResult {
  published: number;
  failed: boolean;
}

/**
 * Publishes up to `limit` unpublished events, oldest first, as envelopes whose id is the row id.
 * One statement takes the rows and marks them published; they stay locked (SKIP LOCKED: two
 * flushing requests take different rows) until the transaction ends, and if Redis fails it rolls
 * back, so the rows wait for the next flush. The same statement drops rows published more than a
 * week ago (kept for diagnosis). Three round trips in all (BEGIN, the statement, COMMIT): each is a
 * host call the request waits on. Never throws: the change that caused the events has already committed.
 */
export async function flushOutbox(
  db: SqlClient,
  redis: () => RedisClient,
  options: { source: string; log: Logger; limit?: number; olderThanSeconds?: number },
): Promise<FlushResult> {
  try {
    const published = await transaction(db, async (tx) => {
      const rows = await queryRows(
        tx,
        OutboxRow,
        `WITH taken AS (
           SELECT id FROM outbox
            WHERE published_at IS NULL AND created_at <= now() - $2::int8 * interval '1 second'
            ORDER BY created_at, id
            LIMIT $1::int8
            FOR UPDATE SKIP LOCKED),
         marked AS (
           UPDATE outbox o SET published_at = now() FROM taken WHERE o.id = taken.id
           RETURNING o.id, o.channel, o.type, o.subject, o.data, o.correlation_id, o.created_at),
         expired AS (DELETE FROM outbox WHERE published_at < now() - interval '7 days')
         SELECT id::text AS id, channel, type, subject, data::text AS data, correlation_id, ${isoTimestamp('created_at')} AS time
           FROM marked ORDER BY created_at, id`,
        [options.limit ?? 50, Math.max(0, Math.ceil(options.olderThanSeconds ?? 0))],
      );
      if (rows.length === 0) return 0;
      const client = redis();
      for (const row of rows) {
        const envelope = {
          id: row.id,
          type: row.type,
          source: options.source,
          time: row.time,
          subject: row.subject,
          data: JSON.parse(row.data) as unknown,
          correlationId: row.correlation_id,
        };
        const payload = utf8(JSON.stringify(envelope));
        await client.publish(row.channel, payload);
        // Also kept in the channel's log, for consumers that were down (event-log.ts). The
        // publish is what must not be repeated for nothing: a log that cannot be written only
        // loses the catch-up for this event, so it does not hold the row back.
        await appendEventLog(client, row.channel, payload).catch((error: unknown) => {
          options.log.warn('event not added to the event log', { channel: row.channel, eventId: row.id, error });
        });
      }
      return rows.length;
    });
    if (published > 0) options.log.debug('outbox flushed', { published });
    return { published, failed: false };
  } catch (error) {
    options.log.error('outbox not flushed; the events stay queued for the next request', { error });
    return { published: 0, failed: true };
  }
}

/** The outbox sweep (`ApiOptions.outboxSweep`, `EventConsumerOptions.maintenance.outbox`). */
export interface OutboxSweepOptions {
  /** At most one sweep per interval across all instances and replicas (Redis `SET NX EX`); default 15 s. */
  everySeconds?: number;
  /** Only rows at least this old: younger ones belong to a request that is still flushing; default 5 s. */
  olderThanSeconds?: number;
}

/** The key whose presence says a sweep of `source`'s outbox ran within the interval. */
export const outboxSweepKey = (source: string) => `outbox:sweep:${source}`;

/**
 * Publishes rows a crashed or killed request left behind, without waiting for the next write: at
 * most once per interval per source (`SET outbox:sweep:<source> NX EX n`), up to `limit` rows older
 * than `olderThanSeconds`. Returns null when another sweep ran within the interval. Never throws.
 */
export async function sweepOutbox(
  db: () => SqlClient,
  redis: () => RedisClient,
  options: OutboxSweepOptions & { source: string; log: Logger; limit?: number },
): Promise<FlushResult | null> {
  const seconds = Math.min(Math.max(Math.ceil(options.everySeconds ?? 15), 1), 3600);
  try {
    if (!(await setIfAbsent(redis(), outboxSweepKey(options.source), new Date().toISOString(), seconds))) return null;
  } catch (error) {
    options.log.error('outbox sweep skipped: Redis did not answer', { error });
    return null;
  }
  const result = await flushOutbox(db(), redis, {
    source: options.source,
    log: options.log,
    limit: options.limit ?? 200,
    olderThanSeconds: options.olderThanSeconds ?? 5,
  });
  if (result.published > 0) options.log.warn('outbox sweep published left-over events', { published: result.published });
  return result;
}
