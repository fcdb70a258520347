import { flushOutbox, json, defineRoute } from '@authorworks/kit';
import { z } from 'zod';
import { reconcileStaleBooks } from './book-stats.ts';
import { countUnpublished } from './outbox.ts';

// Repair endpoints for admins (and cron-like callers holding an admin token): Spin has no
// background loop, so anything a crash or a lost message left behind is fixed on request.

/**
 * Small default batches: on the local runtime a request traps after a few MB of JS allocation,
 * and a recompute costs two statements per book.
 */
export const BatchQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

/** How a flush went: 503 (with the same body) when some events could not be published. */
const OutboxFlushAnswer = z.object({ published: z.number().int(), failed: z.number().int(), remaining: z.number().int() });
const ReconcileAnswer = z.object({ checked: z.number().int(), repaired: z.number().int(), more: z.boolean() });

/** Publishes events a crash (or a Redis outage) left in the outbox. */
export const flushOutboxNow = defineRoute({ query: BatchQuery, auth: 'admin', responses: { 200: OutboxFlushAnswer, 503: OutboxFlushAnswer } }, async (context) => {
  const db = context.db();
  const result = await flushOutbox(db, () => context.redis(), { source: context.service, log: context.log, limit: context.query.limit });
  return json({ published: result.published, failed: result.failed, remaining: await countUnpublished(db) }, { status: result.failed ? 503 : 200 });
});

/** Recomputes statistics and search documents of books whose derived rows are missing or stale. */
export const reconcileBooks = defineRoute({ query: BatchQuery, auth: 'admin', responses: { 200: ReconcileAnswer } }, async (context) => {
  const db = context.db();
  const { checked, repaired, more } = await reconcileStaleBooks(db, context.query.limit);
  context.log.info('reconciled book statistics', { repaired });
  return json({ checked, repaired, more });
});
