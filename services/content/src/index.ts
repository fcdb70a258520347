// content-api: the route table of /v1/content. Handlers and their SQL live in one file per resource.
import {
  BookListQuery,
  BookParams,
  CatalogQuery,
  ChapterParams,
  ChapterVersionParams,
  CharacterParams,
  CollaboratorParams,
  CollectionParams,
  CreateBookRequest,
  CreateChapterRequest,
  CreateCollectionRequest,
  CreateCharacterRequest,
  CreateSceneRequest,
  InviteCollaboratorRequest,
  InviteParams,
  MoveChapterRequest,
  MoveSceneRequest,
  PageQuery,
  PutChapterContentRequest,
  SceneParams,
  UpdateBookRequest,
  UpdateChapterRequest,
  UpdateCollectionRequest,
  UpdateCharacterRequest,
  UpdateSceneRequest,
} from '@authorworks/domain';
import { createApi, serveHttp } from '@authorworks/kit';
import { version } from '../package.json';
import { BatchQuery, flushOutboxNow, reconcileBooks } from './admin.ts';
import * as books from './books.ts';
import { searchCatalog } from './catalog.ts';
import * as chapters from './chapters.ts';
import * as characters from './characters.ts';
import * as collaborators from './collaborators.ts';
import * as collections from './collections.ts';
import * as scenes from './scenes.ts';

const api = createApi({ service: 'content', base: '/v1/content', version });
const content = { body: PutChapterContentRequest, auth: 'required', maxBodyBytes: chapters.CHAPTER_CONTENT_MAX_BYTES } as const;

api
  // Books
  .post('/books', { body: CreateBookRequest, auth: 'required' }, books.createBook)
  .get('/books', { query: BookListQuery, auth: 'required' }, books.listBooks)
  .get('/books/:id', { params: BookParams, auth: 'optional' }, books.getBook)
  .patch('/books/:id', { params: BookParams, body: UpdateBookRequest, auth: 'required' }, books.updateBook)
  .delete('/books/:id', { params: BookParams, auth: 'required' }, books.deleteBook)
  .post('/books/:id/publish', { params: BookParams, auth: 'required' }, books.publishBook)
  .post('/books/:id/unpublish', { params: BookParams, auth: 'required' }, books.unpublishBook)
  .get('/books/:id/permissions', { params: BookParams, query: books.PermissionsQuery, auth: 'required' }, books.bookPermissions)
  .get('/books/:id/stats', { params: BookParams, auth: 'optional' }, books.getBookStats)
  .post('/books/:id/stats/recompute', { params: BookParams, auth: 'required' }, books.recomputeBookStats)
  // Chapters and their content versions
  .post('/books/:id/chapters', { params: BookParams, body: CreateChapterRequest, auth: 'required' }, chapters.createChapter)
  .get('/books/:id/chapters', { params: BookParams, query: PageQuery, auth: 'optional' }, chapters.listChapters)
  .get('/chapters/:id', { params: ChapterParams, auth: 'optional' }, chapters.getChapter)
  .patch('/chapters/:id', { params: ChapterParams, body: UpdateChapterRequest, auth: 'required' }, chapters.updateChapter)
  .delete('/chapters/:id', { params: ChapterParams, auth: 'required' }, chapters.deleteChapter)
  .put('/chapters/:id/position', { params: ChapterParams, body: MoveChapterRequest, auth: 'required' }, chapters.moveChapter)
  .get('/chapters/:id/content', { params: ChapterParams, auth: 'optional' }, chapters.getChapterContent)
  .put('/chapters/:id/content', { params: ChapterParams, ...content }, chapters.putChapterContent)
  .get('/chapters/:id/versions', { params: ChapterParams, query: PageQuery, auth: 'optional' }, chapters.listChapterVersions)
  .get('/chapters/:id/versions/:version', { params: ChapterVersionParams, auth: 'optional' }, chapters.getChapterVersion)
  // Scenes
  .post('/chapters/:id/scenes', { params: ChapterParams, body: CreateSceneRequest, auth: 'required' }, scenes.createScene)
  .get('/chapters/:id/scenes', { params: ChapterParams, query: PageQuery, auth: 'optional' }, scenes.listScenes)
  .get('/scenes/:id', { params: SceneParams, auth: 'optional' }, scenes.getScene)
  .patch('/scenes/:id', { params: SceneParams, body: UpdateSceneRequest, auth: 'required' }, scenes.updateScene)
  .delete('/scenes/:id', { params: SceneParams, auth: 'required' }, scenes.deleteScene)
  .put('/scenes/:id/position', { params: SceneParams, body: MoveSceneRequest, auth: 'required' }, scenes.moveScene)
  // Characters
  .post('/books/:id/characters', { params: BookParams, body: CreateCharacterRequest, auth: 'required' }, characters.createCharacter)
  .get('/books/:id/characters', { params: BookParams, query: PageQuery, auth: 'optional' }, characters.listCharacters)
  .get('/characters/:id', { params: CharacterParams, auth: 'optional' }, characters.getCharacter)
  .patch('/characters/:id', { params: CharacterParams, body: UpdateCharacterRequest, auth: 'required' }, characters.updateCharacter)
  .delete('/characters/:id', { params: CharacterParams, auth: 'required' }, characters.deleteCharacter)
  // Collaborators and invites
  .get('/books/:id/collaborators', { params: BookParams, query: PageQuery, auth: 'required' }, collaborators.listCollaborators)
  .post('/books/:id/collaborators', { params: BookParams, body: InviteCollaboratorRequest, auth: 'required' }, collaborators.inviteCollaborator)
  .delete('/books/:id/collaborators/:userId', { params: CollaboratorParams, auth: 'required' }, collaborators.removeCollaborator)
  .get('/invites', { query: PageQuery, auth: 'required' }, collaborators.listMyInvites)
  .post('/invites/:id/accept', { params: InviteParams, auth: 'required' }, collaborators.acceptInvite)
  .post('/invites/:id/decline', { params: InviteParams, auth: 'required' }, collaborators.declineInvite)
  // Collections
  .post('/collections', { body: CreateCollectionRequest, auth: 'required' }, collections.createCollection)
  .get('/collections', { query: PageQuery, auth: 'required' }, collections.listCollections)
  .get('/collections/:id', { params: CollectionParams, auth: 'optional' }, collections.getCollection)
  .patch('/collections/:id', { params: CollectionParams, body: UpdateCollectionRequest, auth: 'required' }, collections.updateCollection)
  .delete('/collections/:id', { params: CollectionParams, auth: 'required' }, collections.deleteCollection)
  // Catalog
  .get('/catalog', { query: CatalogQuery, auth: 'optional' }, searchCatalog)
  // Repairs
  .post('/admin/outbox/flush', { query: BatchQuery, auth: 'admin' }, flushOutboxNow)
  .post('/admin/reconcile', { query: BatchQuery, auth: 'admin' }, reconcileBooks);

serveHttp(api);
