// content-worker: the Redis-triggered component on content-events. Every content event names its
// book; the worker recomputes that book's statistics and search document from the tables, so the
// same event twice, or an event after a lost one, leaves the book right. Event ids already seen
// are skipped (idempotency 'postgres': the processed_events mark commits with the recompute);
// events of other types (collaborator.*, anything else) are ignored; malformed messages are logged
// and dropped. After every message (a content event, the deployment's `platform.tick`, anything),
// at most once per interval across replicas: outbox rows a crash left behind are published, and
// books whose statistics or search document are stale are recomputed (`reconcileStaleBooks`), so
// a crash mid-burst converges without an admin call.
import { ContentEventData, ContentEventType } from '@authorworks/domain';
import { on } from '@authorworks/kit';
import { createEventConsumer } from '@authorworks/kit/spin';
import { reconcileStaleBooks, recomputeBook } from './book-stats.ts';

const recompute = on(ContentEventData, async (event, context) => {
  const found = await recomputeBook(context.db(), event.data.bookId);
  context.log.info(found ? 'book statistics recomputed' : 'event handled: the book is gone', { bookId: event.data.bookId });
});

export const inboundRedis = createEventConsumer({
  consumer: 'content-worker',
  idempotency: 'postgres',
  maintenance: {
    outbox: { everySeconds: 10, olderThanSeconds: 5 },
    everySeconds: 10,
    run: async (context) => {
      const repaired = await reconcileStaleBooks(context.db(), 100);
      if (repaired.checked > 0) context.log.warn('stale book statistics reconciled', { ...repaired });
    },
  },
  handlers: {
    [ContentEventType.created]: recompute,
    [ContentEventType.updated]: recompute,
    [ContentEventType.published]: recompute,
    [ContentEventType.unpublished]: recompute,
    [ContentEventType.deleted]: recompute,
  },
});
