import { z } from 'zod';
import { Id, Page } from './common.ts';

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

// Answers of the editor's routes (`/v1/editor/documents/{chapterId}/...`).

/** A version of a live document: 0 before the first edit, one more per committed operation. */
const DocumentVersion = z.number().int().nonnegative();

/** One component of a text operation: retain n characters, insert a text, or `{ d }` delete (n characters, or this text). */
export const TextOpComponent = z.union([
  z.number().int().positive(),
  z.string().min(1),
  z.object({ d: z.union([z.number().int().positive(), z.string().min(1)]) }),
]);

/** `GET /documents/{chapterId}`: the live text, its version, and what the caller may do. */
export const EditorDocument = z.object({
  chapterId: Id,
  bookId: Id,
  version: DocumentVersion,
  /** Operations from this version on are kept; an older base version must reload. */
  oldestVersion: DocumentVersion,
  text: z.string(),
  /** In code points. */
  length: z.number().int().nonnegative(),
  format: z.string(),
  /** The chapter's content version in the content service this text was loaded from or saved as. */
  contentVersion: z.number().int().nonnegative(),
  /** Resume the event stream after this id. */
  lastEventId: z.number().int().nonnegative(),
  updatedAt: z.string(),
  access: z.object({ canWrite: z.boolean(), canComment: z.boolean() }),
});

/** An edit as committed: `ops` transformed against whatever was committed since its base; `duplicate` when its `opId` was already committed. */
export const CommittedEdit = z.object({ version: DocumentVersion, ops: z.array(TextOpComponent), duplicate: z.boolean() });

/** A committed operation, as `GET /documents/{chapterId}/operations` lists it. */
export const EditorOperation = z.object({
  version: DocumentVersion,
  op: z.array(TextOpComponent),
  authorId: Id,
  baseVersion: DocumentVersion,
  createdAt: z.string(),
});
export const EditorOperationList = z.object({ items: z.array(EditorOperation), nextCursor: z.string().nullable(), version: DocumentVersion });

export const Checkpoint = z.object({
  id: Id,
  chapterId: Id,
  name: z.string(),
  /** The document version it was taken at. */
  version: DocumentVersion,
  /** The chapter content version the content service saved it as. */
  contentVersion: z.number().int().nonnegative(),
  authorId: Id,
  createdAt: z.string(),
});
export const CheckpointList = Page(Checkpoint);

/** A comment: a thread (`parentId` null, anchored to `range`) or a reply in one. */
export const EditorComment = z.object({
  id: Id,
  chapterId: Id,
  parentId: Id.nullable(),
  authorId: Id,
  body: z.string(),
  /** Code points in the current text; null for a reply. */
  range: z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }).nullable(),
  /** The anchored text was deleted. */
  collapsed: z.boolean(),
  resolved: z.boolean(),
  resolvedBy: Id.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** A new thread, with the document version its range is at. */
export const CreatedComment = EditorComment.extend({ version: DocumentVersion });
export const CommentThreadList = z.object({
  version: DocumentVersion,
  items: z.array(EditorComment.extend({ replies: z.array(EditorComment) })),
  nextCursor: z.string().nullable(),
});

/** Someone's cursor and selection in a document, until `expiresAt`. */
export const Presence = z.object({
  userId: Id,
  cursor: z.number().int().nonnegative(),
  selection: z.object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }).nullable(),
  expiresAt: z.string(),
});
export const PresenceAnswer = Presence.extend({ version: DocumentVersion });
export const PresenceList = z.object({ version: DocumentVersion, items: z.array(Presence) });
