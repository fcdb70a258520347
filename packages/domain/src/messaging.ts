import { z } from 'zod';
import { Id, Page, Timestamp } from './common.ts';

// ── Messaging: conversations, messages, notifications ───────────────────

export const ConversationKind = z.enum(['direct', 'group', 'book']);
export type ConversationKind = z.infer<typeof ConversationKind>;

export const ConversationRole = z.enum(['admin', 'member']);
export type ConversationRole = z.infer<typeof ConversationRole>;

/** A conversation as one of its members sees it (unread counts are theirs). */
export const Conversation = z.object({
  id: Id,
  kind: ConversationKind,
  name: z.string().nullable(),
  bookId: Id.nullable(),
  createdBy: Id,
  memberCount: z.number().int().nonnegative(),
  /** Seq of the newest message (0 when there is none). */
  lastSeq: z.number().int().nonnegative(),
  lastMessageAt: Timestamp.nullable(),
  /** The caller's read position and the messages of others after it. */
  lastReadSeq: z.number().int().nonnegative(),
  unreadCount: z.number().int().nonnegative(),
  createdAt: Timestamp,
});
export type Conversation = z.infer<typeof Conversation>;

export const ConversationMember = z.object({
  userId: Id,
  role: ConversationRole,
  lastReadSeq: z.number().int().nonnegative(),
  joinedAt: Timestamp,
});
export type ConversationMember = z.infer<typeof ConversationMember>;

/** A message; a deleted one keeps its place (and thread) with its text removed. */
export const Message = z.object({
  id: Id,
  conversationId: Id,
  /** Position in its conversation: 1, 2, 3, ... in the order messages were posted. */
  seq: z.number().int().positive(),
  senderId: Id,
  parentId: Id.nullable(),
  text: z.string(),
  edited: z.boolean(),
  deleted: z.boolean(),
  createdAt: Timestamp,
  editedAt: Timestamp.nullable(),
});
export type Message = z.infer<typeof Message>;

export const NotificationType = z.enum([
  'collaborator_invited',
  'invite_accepted',
  'comment_added',
  'job_finished',
  'job_failed',
  'book_published',
]);
export type NotificationType = z.infer<typeof NotificationType>;

export const Notification = z.object({
  id: Id,
  type: NotificationType,
  title: z.string(),
  body: z.string(),
  /** Where the client takes the user, e.g. `/v1/content/invites`. */
  link: z.string().nullable(),
  read: z.boolean(),
  createdAt: Timestamp,
});
export type Notification = z.infer<typeof Notification>;

export const NotificationPreference = z.object({
  type: NotificationType,
  inApp: z.boolean(),
  /** Stored for a later email delivery; nothing sends email yet. */
  email: z.boolean(),
});
export type NotificationPreference = z.infer<typeof NotificationPreference>;

// List answers of the messaging routes.
export const ConversationList = Page(Conversation);
export const ConversationMemberList = Page(ConversationMember);
export const MessageList = Page(Message);
export const NotificationList = Page(Notification);
/** Every notification type with the caller's choice: not paged, there are only a few. */
export const NotificationPreferenceList = z.object({ items: z.array(NotificationPreference) });
/** Answer of `POST /notifications/read-all`: how many were marked. */
export const NotificationsMarked = z.object({ marked: z.number().int().nonnegative() });
