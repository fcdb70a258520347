import { z } from 'zod';
import { Id } from './common.ts';

// Events on `editor-events` that other services consume: the editor service publishes them, the
// messaging processor turns them into notifications. One schema, so the two cannot drift apart.

/** `comment.added`: a new comment thread (`parentId` null) or a reply in one. */
export const CommentAddedData = z.object({
  commentId: Id,
  chapterId: Id,
  bookId: Id,
  /** The thread a reply belongs to; null for a new thread. */
  parentId: Id.nullable(),
  /** The commenter. */
  authorId: Id,
  /** Who wrote in the thread before (its author and earlier repliers), the commenter left out. */
  threadParticipantIds: z.array(Id).max(200),
  /** The start of the comment's text, for a notification. */
  excerpt: z.string().max(500),
  /** Where the comment is, in code points of the document at the version it was made. */
  range: z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }).optional(),
});
export type CommentAddedData = z.infer<typeof CommentAddedData>;
