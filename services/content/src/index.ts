// content-api: the route table of /v1/content. Each route (its spec and handler) lives with its
// resource, in one file per resource with its SQL.
import { createApi, serveHttp } from '@authorworks/kit/spin';
import { version } from '../package.json';
import { flushOutboxNow, reconcileBooks } from './admin.ts';
import * as books from './books.ts';
import { searchCatalog } from './catalog.ts';
import * as chapters from './chapters.ts';
import * as characters from './characters.ts';
import * as collaborators from './collaborators.ts';
import * as collections from './collections.ts';
import * as scenes from './scenes.ts';

const api = createApi({ service: 'content', base: '/v1/content', version, outboxSweep: { everySeconds: 10, olderThanSeconds: 5 } });

api
  // Books
  .post('/books', books.createBook)
  .get('/books', books.listBooks)
  .get('/books/:id', books.getBook)
  .patch('/books/:id', books.updateBook)
  .delete('/books/:id', books.deleteBook)
  .post('/books/:id/publish', books.publishBook)
  .post('/books/:id/unpublish', books.unpublishBook)
  .get('/books/:id/permissions', books.bookPermissions)
  .get('/books/:id/stats', books.getBookStats)
  .post('/books/:id/stats/recompute', books.recomputeBookStats)
  // Chapters and their content versions
  .post('/books/:id/chapters', chapters.createChapter)
  .get('/books/:id/chapters', chapters.listChapters)
  .get('/chapters/:id', chapters.getChapter)
  .get('/chapters/:id/permissions', chapters.chapterPermissions)
  .patch('/chapters/:id', chapters.updateChapter)
  .delete('/chapters/:id', chapters.deleteChapter)
  .put('/chapters/:id/position', chapters.moveChapter)
  .get('/chapters/:id/content', chapters.getChapterContent)
  .put('/chapters/:id/content', chapters.putChapterContent)
  .get('/chapters/:id/versions', chapters.listChapterVersions)
  .get('/chapters/:id/versions/:version', chapters.getChapterVersion)
  // Scenes
  .post('/chapters/:id/scenes', scenes.createScene)
  .get('/chapters/:id/scenes', scenes.listScenes)
  .get('/scenes/:id', scenes.getScene)
  .patch('/scenes/:id', scenes.updateScene)
  .delete('/scenes/:id', scenes.deleteScene)
  .put('/scenes/:id/position', scenes.moveScene)
  // Characters
  .post('/books/:id/characters', characters.createCharacter)
  .get('/books/:id/characters', characters.listCharacters)
  .get('/characters/:id', characters.getCharacter)
  .patch('/characters/:id', characters.updateCharacter)
  .delete('/characters/:id', characters.deleteCharacter)
  // Collaborators and invites
  .get('/books/:id/collaborators', collaborators.listCollaborators)
  .post('/books/:id/collaborators', collaborators.inviteCollaborator)
  .delete('/books/:id/collaborators/:userId', collaborators.removeCollaborator)
  .get('/invites', collaborators.listMyInvites)
  .post('/invites/:id/accept', collaborators.acceptInvite)
  .post('/invites/:id/decline', collaborators.declineInvite)
  // Collections
  .post('/collections', collections.createCollection)
  .get('/collections', collections.listCollections)
  .get('/collections/:id', collections.getCollection)
  .patch('/collections/:id', collections.updateCollection)
  .delete('/collections/:id', collections.deleteCollection)
  // Catalog
  .get('/catalog', searchCatalog)
  // Repairs
  .post('/admin/outbox/flush', flushOutboxNow)
  .post('/admin/reconcile', reconcileBooks);

serveHttp(api);
