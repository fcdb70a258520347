import { Book, BookPermissions, Chapter, ChapterContent, Character, Collaborator, CollaboratorList, Scene } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { call, createBook, expectError, expectJson, newUser, startContentApp, type User } from './content-app.ts';

const Permissions = BookPermissions;
const InviteList = z.object({ items: z.array(Collaborator.extend({ bookTitle: z.string() })), nextCursor: z.string().nullable() });

let app: TestApp;
const author = newUser();
const people = {
  author,
  owner: newUser(),
  editor: newUser(),
  reviewer: newUser(),
  viewer: newUser(),
  invitee: newUser(), // invited, never accepted
  stranger: newUser(),
  admin: newUser(['admin']),
  anonymous: null as User | null,
};
type Who = keyof typeof people;
type State = 'private' | 'unlisted' | 'public';
interface BookIds {
  id: string;
  chapterId: string;
  sceneId: string;
  characterId: string;
}
const books: Record<State, BookIds> = {} as Record<State, BookIds>;

async function setUpBook(state: State) {
  const { id, chapterIds } = await createBook(app, author, { title: `A ${state} book`, visibility: state }, 1);
  for (const role of ['owner', 'editor', 'reviewer', 'viewer'] as const) {
    const invite = await expectJson(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: people[role].id, role }), 201, Collaborator);
    expect(invite).toMatchObject({ status: 'pending', role, invitedBy: author.id, acceptedAt: null });
    const accepted = await expectJson(call(app, 'POST', `/invites/${invite.id}/accept`, people[role]), 200, Collaborator);
    expect(accepted.status).toBe('accepted');
  }
  await expectJson(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: people.invitee.id, role: 'editor' }), 201, Collaborator);
  if (state !== 'private') await expectJson(call(app, 'POST', `/books/${id}/publish`, author), 200, Book);
  const scene = await expectJson(call(app, 'POST', `/chapters/${chapterIds[0]}/scenes`, author, { title: 'Opening' }), 201, z.object({ id: z.string() }));
  const character = await expectJson(call(app, 'POST', `/books/${id}/characters`, author, { name: 'Ada' }), 201, z.object({ id: z.string() }));
  books[state] = { id, chapterId: chapterIds[0]!, sceneId: scene.id, characterId: character.id };
}

beforeAll(async () => {
  app = await startContentApp();
  for (const state of ['private', 'unlisted', 'public'] as const) await setUpBook(state);
});
afterAll(async () => {
  await app?.close();
});

const everyone = Object.keys(people) as Who[];
const members: Who[] = ['author', 'owner', 'editor', 'reviewer', 'viewer'];

/** Expected status of reading each book for each caller. */
function readStatus(who: Who, state: State): number {
  if (state !== 'private') return 200;
  return members.includes(who) || who === 'admin' ? 200 : 404;
}

/** Expected status of writing (PATCH a chapter, save content) for each caller. */
function writeStatus(who: Who, state: State): number {
  if (who === 'anonymous') return 401;
  if (['author', 'owner', 'editor'].includes(who)) return 200;
  return readStatus(who, state) === 404 ? 404 : 403;
}

describe('the access matrix', () => {
  for (const state of ['private', 'unlisted', 'public'] as const) {
    describe(`on a ${state} book`, () => {
      it.each(everyone)('reading as %s', async (who) => {
        const { id, chapterId, sceneId, characterId } = books[state];
        const expected = readStatus(who, state);
        const paths = [
          `/books/${id}`,
          `/books/${id}/chapters`,
          `/chapters/${chapterId}`,
          `/chapters/${chapterId}/content`,
          `/chapters/${chapterId}/versions`,
          `/chapters/${chapterId}/scenes`,
          `/scenes/${sceneId}`,
          `/books/${id}/characters`,
          `/characters/${characterId}`,
        ];
        for (const path of paths) {
          const result = await call(app, 'GET', path, people[who]);
          expect({ path, status: result.status }).toEqual({ path, status: expected });
        }
        if (expected !== 200) return;
        // What a reader gets is the entity and nothing more (no column of the access check).
        const exactly = { [`/books/${id}`]: Book, [`/chapters/${chapterId}`]: Chapter, [`/chapters/${chapterId}/content`]: ChapterContent, [`/scenes/${sceneId}`]: Scene, [`/characters/${characterId}`]: Character };
        for (const [path, schema] of Object.entries(exactly)) {
          const parsed = schema.strict().safeParse((await call(app, 'GET', path, people[who])).body);
          expect({ path, issues: parsed.error?.issues ?? [] }).toEqual({ path, issues: [] });
        }
      });

      it.each(everyone)('writing as %s', async (who) => {
        const { chapterId } = books[state];
        const expected = writeStatus(who, state);
        const patch = await call(app, 'PATCH', `/chapters/${chapterId}`, people[who], { summary: `by ${who}` });
        expect(patch.status).toBe(expected);
        const current = await call(app, 'GET', `/chapters/${chapterId}/content`, author);
        const save = await call(app, 'PUT', `/chapters/${chapterId}/content`, people[who], {
          baseVersion: (current.body as { version: number }).version,
          content: `Text by ${who}`,
        });
        expect(save.status).toBe(expected);
        const character = await call(app, 'POST', `/books/${books[state].id}/characters`, people[who], { name: `Made by ${who}` });
        expect(character.status).toBe(expected === 200 ? 201 : expected);
      });

      it.each(everyone)('publishing, managing collaborators and deleting as %s', async (who) => {
        const { id } = books[state];
        const caller = people[who];
        const readable = readStatus(who, state) === 200;
        const denied = who === 'anonymous' ? 401 : readable ? 403 : 404;
        const governs = who === 'author' || who === 'owner';
        const publish = await call(app, 'POST', `/books/${id}/${state === 'private' ? 'unpublish' : 'publish'}`, caller);
        expect(publish.status).toBe(governs ? 200 : denied);
        const collaborators = await call(app, 'GET', `/books/${id}/collaborators`, caller);
        expect(collaborators.status).toBe(members.includes(who) || who === 'admin' ? 200 : denied);
        const invite = await call(app, 'POST', `/books/${id}/collaborators`, caller, { userId: newUser().id, role: 'viewer' });
        expect(invite.status).toBe(governs ? 201 : denied);
        if (who !== 'author' && who !== 'admin') {
          const temporary = newUser();
          await expectJson(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: temporary.id, role: 'viewer' }), 201, Collaborator);
          const remove = await call(app, 'DELETE', `/books/${id}/collaborators/${temporary.id}`, caller);
          expect(remove.status).toBe(governs ? 204 : denied);
          const remove2 = await call(app, 'DELETE', `/books/${id}`, caller);
          expect(remove2.status).toBe(denied);
        }
      });

      it.each(everyone)('asking what %s may do', async (who) => {
        const { id } = books[state];
        const caller = people[who];
        const result = await call(app, 'GET', `/books/${id}/permissions`, caller);
        if (who === 'anonymous') return expect(result.status).toBe(401);
        if (readStatus(who, state) === 404) return expect(result.status).toBe(404);
        const permissions = Permissions.parse(result.body);
        const role = members.includes(who) ? who : null;
        expect(permissions).toEqual({
          bookId: id,
          userId: caller!.id,
          role,
          canRead: true,
          canComment: ['author', 'owner', 'editor', 'reviewer'].includes(who),
          canWrite: ['author', 'owner', 'editor'].includes(who),
          canPublish: ['author', 'owner'].includes(who),
          canManageCollaborators: ['author', 'owner'].includes(who),
          canDelete: who === 'author' || who === 'admin',
        });
      });

      it.each(everyone)('asking what %s may do on a chapter (for the editor service)', async (who) => {
        const { id, chapterId } = books[state];
        const caller = people[who];
        const result = await call(app, 'GET', `/chapters/${chapterId}/permissions`, caller);
        if (who === 'anonymous') return expect(result.status).toBe(401);
        if (readStatus(who, state) === 404) return expect(result.status).toBe(404);
        const byBook = Permissions.parse((await call(app, 'GET', `/books/${id}/permissions`, caller)).body);
        const byChapter = Permissions.extend({ chapterId: z.uuid(), currentVersion: z.number().int() }).parse(result.body);
        expect(byChapter).toEqual({ ...byBook, chapterId, currentVersion: expect.any(Number) });
        const content = await call(app, 'GET', `/chapters/${chapterId}/content`, caller);
        expect(byChapter.currentVersion).toBe((content.body as { version: number }).version);
        await expectError(call(app, 'GET', `/chapters/00000000-0000-4000-8000-000000000000/permissions`, caller), 404, 'not_found');
      });
    });
  }

  it('lets only an admin ask about another user, and answers for that user', async () => {
    const { id } = books.private;
    await expectError(call(app, 'GET', `/books/${id}/permissions?userId=${people.editor.id}`, people.stranger), 403);
    await expectError(call(app, 'GET', `/books/${id}/permissions?userId=${people.editor.id}`, people.viewer), 403);
    const editor = await expectJson(call(app, 'GET', `/books/${id}/permissions?userId=${people.editor.id}`, people.admin), 200, Permissions);
    expect(editor).toMatchObject({ role: 'editor', canWrite: true, canDelete: false });
    const stranger = await expectJson(call(app, 'GET', `/books/${id}/permissions?userId=${people.stranger.id}`, people.admin), 200, Permissions);
    expect(stranger).toMatchObject({ role: null, canRead: false, canWrite: false });
  });

  it('hides private books from lists of people who are not on them', async () => {
    const shared = await expectJson(call(app, 'GET', '/books?scope=shared', people.editor), 200, z.object({ items: z.array(Book) }));
    expect(shared.items.map((b) => b.id).sort()).toEqual(Object.values(books).map((b) => b.id).sort());
    const strangers = await expectJson(call(app, 'GET', '/books', people.stranger), 200, z.object({ items: z.array(Book) }));
    expect(strangers.items).toEqual([]);
  });
});

describe('invites', () => {
  it('lists my pending invites; only the invitee may accept or decline, once', async () => {
    const { id } = await createBook(app, author, { title: 'Invites' });
    const guest = newUser();
    const invite = await expectJson(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: guest.id, role: 'reviewer' }), 201, Collaborator);
    await expectError(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: guest.id, role: 'editor' }), 409, 'already_invited');
    await expectError(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: author.id }), 422, 'already_author');
    await expectError(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: 'nobody' }), 400, 'validation_failed');
    await expectError(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: guest.id, role: 'boss' }), 400, 'validation_failed');

    const mine = await expectJson(call(app, 'GET', '/invites', guest), 200, InviteList);
    expect(mine.items.map((i) => [i.id, i.bookTitle])).toEqual([[invite.id, 'Invites']]);
    await expectError(call(app, 'GET', `/books/${id}`, guest), 404);
    await expectError(call(app, 'POST', `/invites/${invite.id}/accept`, people.stranger), 404);
    await expectError(call(app, 'POST', `/invites/${invite.id}/accept`, author), 404);

    const declined = await expectJson(call(app, 'POST', `/invites/${invite.id}/decline`, guest), 200, Collaborator);
    expect(declined).toMatchObject({ status: 'declined', acceptedAt: null });
    await expectError(call(app, 'POST', `/invites/${invite.id}/accept`, guest), 409, 'invite_not_pending');
    await expectError(call(app, 'GET', `/books/${id}`, guest), 404);
    expect((await expectJson(call(app, 'GET', '/invites', guest), 200, InviteList)).items).toEqual([]);

    // A declined invite can be renewed, then accepted; the collaborator may leave on their own.
    const renewed = await expectJson(call(app, 'POST', `/books/${id}/collaborators`, author, { userId: guest.id, role: 'editor' }), 201, Collaborator);
    expect(renewed).toMatchObject({ id: invite.id, status: 'pending', role: 'editor' });
    const accepted = await expectJson(call(app, 'POST', `/invites/${invite.id}/accept`, guest), 200, Collaborator);
    expect(accepted.acceptedAt).not.toBeNull();
    const list = await expectJson(call(app, 'GET', `/books/${id}/collaborators`, guest), 200, CollaboratorList);
    expect(list.items.map((c) => [c.userId, c.role, c.status])).toEqual([[guest.id, 'editor', 'accepted']]);
    expect((await call(app, 'DELETE', `/books/${id}/collaborators/${guest.id}`, guest)).status).toBe(204);
    await expectError(call(app, 'GET', `/books/${id}`, guest), 404);
    await expectError(call(app, 'DELETE', `/books/${id}/collaborators/${guest.id}`, author), 404);
  });

  it('lets the author and an admin delete a book, nobody else', async () => {
    const { id } = await createBook(app, author, { title: 'Doomed' });
    expect((await call(app, 'DELETE', `/books/${id}`, people.admin)).status).toBe(204);
    await expectError(call(app, 'GET', `/books/${id}`, author), 404);
    const second = await createBook(app, author, { title: 'Doomed too' });
    expect((await call(app, 'DELETE', `/books/${second.id}`, author)).status).toBe(204);
  });
});
