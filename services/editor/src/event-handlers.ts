import { ContentEventData, ContentEventType } from '@authorworks/domain';
import { on, type EventHandler } from '@authorworks/kit';
import type { z } from 'zod';

// What the editor's event processor does with the content service's events (worker.ts binds these
// to Spin's Redis trigger): a chapter or book deleted there takes its live documents with it here
// (snapshots, operations, checkpoints and comments cascade from the document), so a deleted
// chapter's text does not outlive it. The handler runs in the transaction that also records the
// event id as processed; a DELETE of what is already gone changes nothing, so an event handled
// twice is harmless either way. Data that does not match its schema is dropped by the kit.

const documentsDeleted = on(ContentEventData, async (event, context) => {
  const { entity, id } = event.data;
  // Other entities (scenes, characters, collaborators, collections) have no document of their own.
  if (entity !== 'chapter' && entity !== 'book') return;
  const column = entity === 'chapter' ? 'chapter_id' : 'book_id';
  const { rows } = await context.db().query(`DELETE FROM documents WHERE ${column} = $1::text::uuid RETURNING chapter_id::text AS "chapterId"`, [id]);
  if (rows.length > 0) context.log.info('documents of deleted content removed', { entity, id, documents: rows.length });
});

/** The processor's handlers by event type; other types are ignored. */
export const eventHandlers: Record<string, EventHandler<z.ZodType>> = {
  [ContentEventType.deleted]: documentsDeleted,
};

/** The channels the processor listens on (spin.toml has one Redis trigger per channel). */
export const CONSUMED_CHANNELS = ['content-events'] as const;
