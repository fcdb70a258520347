import { Channel, ContentEventType, Id, type ContentEventData, type EventEnvelope } from '@authorworks/domain';
import {
  isoTimestamp,
  queryRows,
  transaction,
  utf8,
  type Logger,
  type RedisClient,
  type SqlClient,
} from '@authorworks/kit/portable';
import { z } from 'zod';

// The transactional outbox. Spin components have no background loop, so there is no relay
// process: each mutating request writes its events in its own transaction, then publishes every
// unpublished row (its own and any a crashed request left behind) right after the commit; the admin
// flush endpoint does the same on demand. Delivery is at least once, in commit order within a
// flush; consumers skip event ids they have seen. The kit's EventPublisher publishes directly
// (fire and forget); this outbox should move to the kit for every service whose events matter.

export const SOURCE = 'content';

export interface PendingEvent {
  type: string;
  subject: string;
  data: unknown;
  channel?: string;
}

/** Records an event in the caller's transaction: it commits, or vanishes, with the change. */
export async function recordEvent(tx: SqlClient, correlationId: string, event: PendingEvent): Promise<void> {
  await tx.query(
    `INSERT INTO outbox (channel, type, subject, data, correlation_id)
     VALUES ($1::text, $2::text, $3::text, $4::text::jsonb, $5::text)`,
    [event.channel ?? Channel.contentEvents, event.type, event.subject, JSON.stringify(event.data), correlationId],
  );
}

/** A `content.*` event about one entity of a book. */
export function contentEvent(
  type: (typeof ContentEventType)[Exclude<keyof typeof ContentEventType, 'collaboratorInvited' | 'collaboratorAccepted'>],
  data: Omit<ContentEventData, 'changed'> & { changed?: string[] },
): PendingEvent {
  return { type, subject: data.id, data: { ...data, changed: data.changed ?? [] } };
}

const OutboxRow = z.object({
  id: Id,
  channel: z.string(),
  type: z.string(),
  subject: z.string(),
  data: z.string(),
  correlationId: z.string(),
  time: z.string(),
});

export interface FlushResult {
  published: number;
  failed: boolean;
}

/**
 * Publishes up to `limit` unpublished events, oldest first. The rows stay locked (SKIP LOCKED, so
 * two flushing requests take different rows) until they are marked published in the same
 * transaction; if Redis fails, the transaction rolls back and the rows wait for the next flush.
 * Never throws: the change that caused the events has already committed.
 */
export async function flushOutbox(db: SqlClient, redis: () => RedisClient, log: Logger, limit = 50): Promise<FlushResult> {
  try {
    const published = await transaction(db, async (tx) => {
      const rows = await queryRows(
        tx,
        OutboxRow,
        `SELECT id::text AS id, channel, type, subject, data::text AS data, correlation_id AS "correlationId",
                ${isoTimestamp('created_at')} AS time
           FROM outbox
          WHERE published_at IS NULL
          ORDER BY created_at, id
          LIMIT $1::int8
          FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) return 0;
      const client = redis();
      for (const row of rows) {
        const envelope: EventEnvelope = {
          id: row.id,
          type: row.type,
          source: SOURCE,
          time: row.time,
          subject: row.subject,
          data: JSON.parse(row.data) as unknown,
          correlationId: row.correlationId,
        };
        await client.publish(row.channel, utf8(JSON.stringify(envelope)));
      }
      await tx.query(
        `UPDATE outbox SET published_at = now() WHERE id = ANY (string_to_array($1::text, ',')::uuid[])`,
        [rows.map((row) => row.id).join(',')],
      );
      return rows.length;
    });
    if (published > 0) log.debug('outbox flushed', { published });
    return { published, failed: false };
  } catch (error) {
    log.warn('outbox flush failed; events stay queued for the next flush', { error });
    return { published: 0, failed: true };
  }
}

/** Published rows are kept a while for inspection, then removed (by the admin flush). */
export async function pruneOutbox(db: SqlClient, keepDays = 7): Promise<void> {
  await db.query(`DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1::int8::int)`, [keepDays]);
}

export async function countUnpublished(db: SqlClient): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
  return Number(rows[0]?.n ?? 0);
}

/**
 * Runs `work` in a transaction whose `emit` records events in the outbox, then publishes them once
 * the transaction has committed. Every mutating handler goes through here.
 */
export async function changeAndPublish<T>(
  context: { db(): SqlClient; redis(): RedisClient; log: Logger; requestId: string },
  work: (tx: SqlClient, emit: (event: PendingEvent) => Promise<void>) => Promise<T>,
): Promise<T> {
  const result = await transaction(context.db(), (tx) => work(tx, (event) => recordEvent(tx, context.requestId, event)));
  await flushOutbox(context.db(), () => context.redis(), context.log);
  return result;
}
