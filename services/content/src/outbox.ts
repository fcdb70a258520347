import { Channel, ContentEventType, type ContentEventData } from '@authorworks/domain';
import { transaction, type RequestContext, type SqlClient } from '@authorworks/kit/portable';

// Events go through the kit's transactional outbox (first written here, now in the kit): each is
// recorded in the transaction of the change it describes, and the kit publishes every unpublished
// row after the handler returns (its own and any a crashed request left behind); the admin flush
// endpoint does the same on demand. Delivery is at least once; the worker skips ids it has seen.

export interface PendingEvent {
  type: string;
  subject: string;
  data: unknown;
  channel?: string;
}

/** A `content.*` event about one entity of a book. */
export function contentEvent(
  type: (typeof ContentEventType)[Exclude<keyof typeof ContentEventType, 'collaboratorInvited' | 'collaboratorAccepted'>],
  data: Omit<ContentEventData, 'changed'> & { changed?: string[] },
): PendingEvent {
  return { type, subject: data.id, data: { ...data, changed: data.changed ?? [] } };
}

/**
 * Runs `work` in one transaction whose `emit` records events in the outbox: the change and its
 * events commit together or not at all. Every mutating handler goes through here.
 */
export async function changeWithEvents<T>(
  context: Pick<RequestContext, 'db' | 'events'>,
  work: (tx: SqlClient, emit: (event: PendingEvent) => Promise<void>) => Promise<T>,
): Promise<T> {
  return transaction(context.db(), (tx) =>
    work(tx, (event) => context.events.record(tx, event.channel ?? Channel.contentEvents, event.type, event.subject, event.data)),
  );
}

export async function countUnpublished(db: SqlClient): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
  return Number(rows[0]?.n ?? 0);
}
