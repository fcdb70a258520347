import { Collection, CollectionList } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createBook, expectError, expectJson, newUser, startContentApp } from './content-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startContentApp({ components: ['content-api'] });
});
afterAll(async () => {
  await app?.close();
});

describe('collections', () => {
  it('keeps an ordered list of readable books, shows readers only what they may read', async () => {
    const owner = newUser();
    const stranger = newUser();
    const mine = await createBook(app, owner, { title: 'Mine, private' });
    const otherAuthor = newUser();
    const published = await createBook(app, otherAuthor, { title: 'Theirs', visibility: 'public' });
    const theirPrivate = await createBook(app, otherAuthor, { title: 'Not mine' });
    expect((await call(app, 'POST', `/books/${published.id}/publish`, otherAuthor)).status).toBe(200);

    await expectError(call(app, 'POST', '/collections', owner, { name: 'Shelf', bookIds: [theirPrivate.id] }), 422, 'unknown_book');
    await expectError(call(app, 'POST', '/collections', owner, { name: 'Shelf', bookIds: [mine.id, mine.id] }), 422, 'duplicate_book');
    await expectError(call(app, 'POST', '/collections', owner, { name: '' }), 400, 'validation_failed');
    await expectError(call(app, 'POST', '/collections', owner, { name: 'x', bookIds: ['nope'] }), 400, 'validation_failed');

    const shelf = await expectJson(call(app, 'POST', '/collections', owner, { name: 'Shelf', bookIds: [mine.id, published.id] }), 201, Collection);
    expect(shelf).toMatchObject({ ownerId: owner.id, name: 'Shelf', visibility: 'private', bookIds: [mine.id, published.id] });
    await expectError(call(app, 'GET', `/collections/${shelf.id}`, stranger), 404);
    await expectError(call(app, 'PATCH', `/collections/${shelf.id}`, stranger, { name: 'Mine now' }), 404);

    const shown = await expectJson(call(app, 'PATCH', `/collections/${shelf.id}`, owner, { visibility: 'public' }), 200, Collection);
    expect(shown.visibility).toBe('public');
    // The stranger sees the collection but not the private book in it.
    expect((await expectJson(call(app, 'GET', `/collections/${shelf.id}`, stranger), 200, Collection)).bookIds).toEqual([published.id]);
    expect((await expectJson(call(app, 'GET', `/collections/${shelf.id}`, null), 200, Collection)).bookIds).toEqual([published.id]);
    await expectError(call(app, 'PATCH', `/collections/${shelf.id}`, stranger, { name: 'Mine now' }), 403);
    await expectError(call(app, 'DELETE', `/collections/${shelf.id}`, stranger), 403);

    const list = await expectJson(call(app, 'GET', '/collections', owner), 200, CollectionList);
    expect(list.items.map((c) => c.id)).toEqual([shelf.id]);
    expect((await expectJson(call(app, 'GET', '/collections', stranger), 200, CollectionList)).items).toEqual([]);

    // A deleted book leaves the collection.
    expect((await call(app, 'DELETE', `/books/${mine.id}`, owner)).status).toBe(204);
    expect((await expectJson(call(app, 'GET', `/collections/${shelf.id}`, owner), 200, Collection)).bookIds).toEqual([published.id]);
    expect((await call(app, 'DELETE', `/collections/${shelf.id}`, owner)).status).toBe(204);
    await expectError(call(app, 'GET', `/collections/${shelf.id}`, owner), 404);
  });

  it('keeps the order it is given', async () => {
    const owner = newUser();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createBook(app, owner, { title: `B${i}` })).id);
    const ordered = [ids[2]!, ids[0]!, ids[1]!];
    const shelf = await expectJson(call(app, 'POST', '/collections', owner, { name: 'Order', bookIds: ordered }), 201, Collection);
    expect(shelf.bookIds).toEqual(ordered);
    const reordered = await expectJson(call(app, 'PATCH', `/collections/${shelf.id}`, owner, { bookIds: [ids[1]!, ids[2]!] }), 200, Collection);
    expect(reordered.bookIds).toEqual([ids[1], ids[2]]);
  });
});
