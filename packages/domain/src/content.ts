import { z } from 'zod';
import { Id, Page, PageQuery, Timestamp } from './common.ts';
import { eventOf } from './events.ts';

export const ContentType = z.enum(['novel', 'screenplay', 'play', 'graphic_novel']);
export type ContentType = z.infer<typeof ContentType>;

export const Visibility = z.enum(['private', 'unlisted', 'public']);
export type Visibility = z.infer<typeof Visibility>;

export const BookStatus = z.enum(['draft', 'in_progress', 'review', 'published', 'archived']);
export type BookStatus = z.infer<typeof BookStatus>;

export const CollaboratorRole = z.enum(['owner', 'editor', 'reviewer', 'viewer']);
export type CollaboratorRole = z.infer<typeof CollaboratorRole>;

export const ContentFormat = z.enum(['plain', 'markdown']);
export type ContentFormat = z.infer<typeof ContentFormat>;

const Title = z.string().trim().min(1).max(200);
const Description = z.string().max(5000);
const Tag = z.string().trim().min(1).max(40);
/** BCP 47 language tag such as `en` or `pt-BR`. */
const Language = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'Use a language tag such as "en" or "pt-BR"');

/** Position in an ordered list (chapters in a book, scenes in a chapter), starting at 1. */
export const Position = z.number().int().min(1).max(100000);

// ── Books ────────────────────────────────────────────────────────────────

export const Book = z.object({
  id: Id,
  authorId: Id,
  title: z.string(),
  description: z.string(),
  genre: z.string(),
  tags: z.array(z.string()),
  contentType: ContentType,
  visibility: Visibility,
  status: BookStatus,
  coverFileId: Id.nullable(),
  language: z.string(),
  wordCount: z.number().int().nonnegative(),
  /** Minutes at 250 words per minute, rounded up. */
  readingTimeMinutes: z.number().int().nonnegative(),
  chapterCount: z.number().int().nonnegative(),
  publishedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Book = z.infer<typeof Book>;

export const CreateBookRequest = z.object({
  title: Title,
  description: Description.default(''),
  genre: z.string().trim().max(60).default(''),
  tags: z.array(Tag).max(10).default([]),
  contentType: ContentType.default('novel'),
  visibility: Visibility.default('private'),
  coverFileId: Id.nullable().default(null),
  language: Language.default('en'),
});
export type CreateBookRequest = z.infer<typeof CreateBookRequest>;

/** Publishing goes through `/publish`, so `status` here cannot be `published`. */
export const UpdateBookRequest = z
  .object({
    title: Title,
    description: Description,
    genre: z.string().trim().max(60),
    tags: z.array(Tag).max(10),
    contentType: ContentType,
    visibility: Visibility,
    status: BookStatus.exclude(['published']),
    coverFileId: Id.nullable(),
    language: Language,
  })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one field to change', path: [] });
export type UpdateBookRequest = z.infer<typeof UpdateBookRequest>;

export const BookListQuery = PageQuery.extend({
  /** `mine` = books I author, `shared` = books I collaborate on, default both. */
  scope: z.enum(['mine', 'shared', 'all']).default('all'),
  status: BookStatus.optional(),
  visibility: Visibility.optional(),
  contentType: ContentType.optional(),
});
export type BookListQuery = z.infer<typeof BookListQuery>;

export const BookList = Page(Book);
export type BookList = z.infer<typeof BookList>;

export const BookParams = z.object({ id: Id });

// ── Chapters and their content versions ──────────────────────────────────

export const Chapter = z.object({
  id: Id,
  bookId: Id,
  title: z.string(),
  summary: z.string(),
  position: Position,
  /** Number of the newest content version, 0 before the first save. */
  currentVersion: z.number().int().nonnegative(),
  wordCount: z.number().int().nonnegative(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Chapter = z.infer<typeof Chapter>;

export const CreateChapterRequest = z.object({
  title: Title,
  summary: z.string().max(2000).default(''),
  /** Where to insert; omitted = at the end. Later chapters move down one. */
  position: Position.optional(),
});
export type CreateChapterRequest = z.infer<typeof CreateChapterRequest>;

export const UpdateChapterRequest = z
  .object({ title: Title, summary: z.string().max(2000) })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one field to change', path: [] });
export type UpdateChapterRequest = z.infer<typeof UpdateChapterRequest>;

export const MoveChapterRequest = z.object({ position: Position });
export type MoveChapterRequest = z.infer<typeof MoveChapterRequest>;

export const ChapterList = Page(Chapter);
export type ChapterList = z.infer<typeof ChapterList>;

export const ChapterParams = z.object({ id: Id });

/** One saved state of a chapter's text. Versions are numbered 1, 2, 3, … per chapter. */
export const ChapterVersion = z.object({
  chapterId: Id,
  version: z.number().int().min(1),
  content: z.string(),
  format: ContentFormat,
  authorId: Id,
  wordCount: z.number().int().nonnegative(),
  message: z.string(),
  createdAt: Timestamp,
});
export type ChapterVersion = z.infer<typeof ChapterVersion>;

/** A version in a list, without its text. */
export const ChapterVersionSummary = ChapterVersion.omit({ content: true });
export type ChapterVersionSummary = z.infer<typeof ChapterVersionSummary>;

export const ChapterVersionList = Page(ChapterVersionSummary);
export type ChapterVersionList = z.infer<typeof ChapterVersionList>;

/** Answer of `GET /chapters/{id}/content`: the newest version (version 0 and empty text before any save). */
export const ChapterContent = z.object({
  chapterId: Id,
  version: z.number().int().nonnegative(),
  content: z.string(),
  format: ContentFormat,
  authorId: Id.nullable(),
  updatedAt: Timestamp.nullable(),
});
export type ChapterContent = z.infer<typeof ChapterContent>;

/** `PUT /chapters/{id}/content`: saved only if `baseVersion` is still the newest, else 409. */
export const PutChapterContentRequest = z.object({
  baseVersion: z.number().int().nonnegative(),
  // Characters; the content service also caps the request body (4 MiB of JSON).
  content: z.string().max(4 * 1024 * 1024),
  format: ContentFormat.default('markdown'),
  message: z.string().max(500).default(''),
});
export type PutChapterContentRequest = z.infer<typeof PutChapterContentRequest>;

export const ChapterVersionParams = z.object({ id: Id, version: z.coerce.number().int().min(1) });

// ── Scenes ───────────────────────────────────────────────────────────────

export const Scene = z.object({
  id: Id,
  chapterId: Id,
  bookId: Id,
  title: z.string(),
  summary: z.string(),
  position: Position,
  povCharacterId: Id.nullable(),
  location: z.string(),
  /** Story time as the author writes it ("Dawn, day 3", "1843-05-02"). */
  time: z.string(),
  content: z.string(),
  wordCount: z.number().int().nonnegative(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Scene = z.infer<typeof Scene>;

const SceneFields = z.object({
  title: Title,
  summary: z.string().max(2000),
  povCharacterId: Id.nullable(),
  location: z.string().max(200),
  time: z.string().max(200),
  content: z.string().max(500_000),
});

export const CreateSceneRequest = z.object({
  title: Title,
  summary: SceneFields.shape.summary.default(''),
  povCharacterId: SceneFields.shape.povCharacterId.default(null),
  location: SceneFields.shape.location.default(''),
  time: SceneFields.shape.time.default(''),
  content: SceneFields.shape.content.default(''),
  position: Position.optional(),
});
export type CreateSceneRequest = z.infer<typeof CreateSceneRequest>;

export const UpdateSceneRequest = SceneFields.partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one field to change', path: [] });
export type UpdateSceneRequest = z.infer<typeof UpdateSceneRequest>;

export const MoveSceneRequest = MoveChapterRequest;
export type MoveSceneRequest = MoveChapterRequest;

export const SceneList = Page(Scene);
export type SceneList = z.infer<typeof SceneList>;

export const SceneParams = z.object({ id: Id });

// ── Characters ───────────────────────────────────────────────────────────

export const CharacterRole = z.enum(['protagonist', 'antagonist', 'deuteragonist', 'supporting', 'minor', 'other']);
export type CharacterRole = z.infer<typeof CharacterRole>;

export const CharacterRelationship = z.object({
  characterId: Id,
  /** How this character relates to the other: "sister", "rival", "mentor". */
  kind: z.string().trim().min(1).max(60),
  description: z.string().max(1000).default(''),
});
export type CharacterRelationship = z.infer<typeof CharacterRelationship>;

export const Character = z.object({
  id: Id,
  bookId: Id,
  name: z.string(),
  role: CharacterRole,
  description: z.string(),
  traits: z.array(z.string()),
  relationships: z.array(CharacterRelationship),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Character = z.infer<typeof Character>;

const CharacterFields = z.object({
  name: z.string().trim().min(1).max(120),
  role: CharacterRole,
  description: z.string().max(5000),
  traits: z.array(z.string().trim().min(1).max(60)).max(30),
  relationships: z.array(CharacterRelationship).max(50),
});

export const CreateCharacterRequest = z.object({
  name: CharacterFields.shape.name,
  role: CharacterRole.default('supporting'),
  description: CharacterFields.shape.description.default(''),
  traits: CharacterFields.shape.traits.default([]),
  relationships: CharacterFields.shape.relationships.default([]),
});
export type CreateCharacterRequest = z.infer<typeof CreateCharacterRequest>;

export const UpdateCharacterRequest = CharacterFields.partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one field to change', path: [] });
export type UpdateCharacterRequest = z.infer<typeof UpdateCharacterRequest>;

export const CharacterList = Page(Character);
export type CharacterList = z.infer<typeof CharacterList>;

export const CharacterParams = z.object({ id: Id });

// ── Collaborators and invites ────────────────────────────────────────────

export const InviteStatus = z.enum(['pending', 'accepted', 'declined']);
export type InviteStatus = z.infer<typeof InviteStatus>;

/** A user's role on a book; `id` is the invite id used by accept/decline. */
export const Collaborator = z.object({
  id: Id,
  bookId: Id,
  userId: Id,
  role: CollaboratorRole,
  status: InviteStatus,
  invitedBy: Id,
  invitedAt: Timestamp,
  acceptedAt: Timestamp.nullable(),
});
export type Collaborator = z.infer<typeof Collaborator>;

export const InviteCollaboratorRequest = z.object({
  userId: Id,
  role: CollaboratorRole.default('editor'),
});
export type InviteCollaboratorRequest = z.infer<typeof InviteCollaboratorRequest>;

export const CollaboratorList = Page(Collaborator);
export type CollaboratorList = z.infer<typeof CollaboratorList>;

export const CollaboratorParams = z.object({ id: Id, userId: Id });
export const InviteParams = z.object({ id: Id });

// ── Collections ──────────────────────────────────────────────────────────

export const Collection = z.object({
  id: Id,
  ownerId: Id,
  name: z.string(),
  description: z.string(),
  visibility: Visibility,
  bookIds: z.array(Id),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Collection = z.infer<typeof Collection>;

export const CreateCollectionRequest = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).default(''),
  visibility: Visibility.default('private'),
  bookIds: z.array(Id).max(500).default([]),
});
export type CreateCollectionRequest = z.infer<typeof CreateCollectionRequest>;

export const UpdateCollectionRequest = z
  .object({
    name: z.string().trim().min(1).max(120),
    description: z.string().max(2000),
    visibility: Visibility,
    bookIds: z.array(Id).max(500),
  })
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'Give at least one field to change', path: [] });
export type UpdateCollectionRequest = z.infer<typeof UpdateCollectionRequest>;

export const CollectionList = Page(Collection);
export type CollectionList = z.infer<typeof CollectionList>;

export const CollectionParams = z.object({ id: Id });

// ── Catalog ──────────────────────────────────────────────────────────────

export const CatalogQuery = PageQuery.extend({
  q: z.string().trim().min(1).max(200).optional(),
  genre: z.string().trim().max(60).optional(),
  contentType: ContentType.optional(),
  language: Language.optional(),
});
export type CatalogQuery = z.infer<typeof CatalogQuery>;

/** A published public book as the catalog lists it; `rank` is the search relevance when `q` is given. */
export const CatalogEntry = Book.pick({
  id: true,
  authorId: true,
  title: true,
  description: true,
  genre: true,
  tags: true,
  contentType: true,
  coverFileId: true,
  language: true,
  wordCount: true,
  readingTimeMinutes: true,
  chapterCount: true,
  publishedAt: true,
}).extend({ rank: z.number().nullable() });
export type CatalogEntry = z.infer<typeof CatalogEntry>;

export const CatalogList = Page(CatalogEntry);
export type CatalogList = z.infer<typeof CatalogList>;

// ── Events on content-events ─────────────────────────────────────────────

export const ContentEntity = z.enum(['book', 'chapter', 'scene', 'character', 'collaborator', 'collection']);
export type ContentEntity = z.infer<typeof ContentEntity>;

export const ContentEventType = {
  created: 'content.created',
  updated: 'content.updated',
  published: 'content.published',
  unpublished: 'content.unpublished',
  deleted: 'content.deleted',
  collaboratorInvited: 'collaborator.invited',
  collaboratorAccepted: 'collaborator.accepted',
} as const;

/** `subject` of the envelope is the entity id; `bookId` lets consumers recompute the book's stats. */
export const ContentEventData = z.object({
  entity: ContentEntity,
  id: Id,
  bookId: Id,
  authorId: Id,
  /** The user who made the change. */
  actorId: Id,
  /** Fields that changed (for `content.updated`). */
  changed: z.array(z.string()).default([]),
});
export type ContentEventData = z.infer<typeof ContentEventData>;

export const ContentCreatedEvent = eventOf(ContentEventType.created, ContentEventData);
export const ContentUpdatedEvent = eventOf(ContentEventType.updated, ContentEventData);
export const ContentPublishedEvent = eventOf(ContentEventType.published, ContentEventData);
export const ContentUnpublishedEvent = eventOf(ContentEventType.unpublished, ContentEventData);
export const ContentDeletedEvent = eventOf(ContentEventType.deleted, ContentEventData);

export const CollaboratorInvitedEvent = eventOf(
  ContentEventType.collaboratorInvited,
  z.object({ inviteId: Id, bookId: Id, bookTitle: z.string(), userId: Id, role: CollaboratorRole, invitedBy: Id }),
);
export const CollaboratorAcceptedEvent = eventOf(
  ContentEventType.collaboratorAccepted,
  z.object({ inviteId: Id, bookId: Id, userId: Id, role: CollaboratorRole }),
);

// ── Permissions (asked of the content service by other services) ─────────

/** The caller's relation to a book: its author, an accepted collaborator's role, or none. */
export const BookRole = z.enum(['author', ...CollaboratorRole.options]);
export type BookRole = z.infer<typeof BookRole>;

/** `GET /v1/content/books/{id}/permissions`: what a user may do on a book. */
export const BookPermissions = z.object({
  bookId: Id,
  userId: Id.nullable(),
  role: BookRole.nullable(),
  canRead: z.boolean(),
  canComment: z.boolean(),
  canWrite: z.boolean(),
  canPublish: z.boolean(),
  canManageCollaborators: z.boolean(),
  canDelete: z.boolean(),
});
export type BookPermissions = z.infer<typeof BookPermissions>;

/** `GET /v1/content/chapters/{id}/permissions`: the book's permissions through one of its chapters, with the chapter's content version (the editor service asks this). */
export const ChapterPermissions = BookPermissions.extend({ chapterId: Id, currentVersion: z.number().int().nonnegative() });
export type ChapterPermissions = z.infer<typeof ChapterPermissions>;
