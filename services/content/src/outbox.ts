import type { ContentEventData, ContentEventType } from '@authorworks/domain';
import type { PendingEvent, SqlClient } from '@authorworks/kit';

// Events go through the kit's transactional outbox (first written here, now in the kit): each is
// recorded in the transaction of the change it describes, and the kit publishes every unpublished
// row after the handler returns (its own and any a crashed request left behind); the admin flush
// endpoint does the same on demand. Delivery is at least once; the worker skips ids it has seen.

/** A `content.*` event about one entity of a book. */
export function contentEvent(
  type: (typeof ContentEventType)[Exclude<keyof typeof ContentEventType, 'collaboratorInvited' | 'collaboratorAccepted'>],
  data: Omit<ContentEventData, 'changed'> & { changed?: string[] },
): PendingEvent {
  return { type, subject: data.id, data: { ...data, changed: data.changed ?? [] } };
}

export async function countUnpublished(db: SqlClient): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
  return Number(rows[0]?.n ?? 0);
}
