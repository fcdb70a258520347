import { Book, BookList, CatalogList } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createBook, expectError, expectJson, newUser, startContentApp } from './content-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startContentApp();
});
afterAll(async () => {
  await app?.close();
});

describe('books', () => {
  it('creates, reads, updates and deletes a book', async () => {
    const author = newUser();
    const created = await expectJson(
      call(app, 'POST', '/books', author, { title: '  The Salt Road ', description: 'Smugglers and tides', tags: ['sea', 'history'], genre: 'historical' }),
      201,
      Book,
    );
    expect(created).toMatchObject({
      authorId: author.id,
      title: 'The Salt Road',
      tags: ['sea', 'history'],
      contentType: 'novel',
      visibility: 'private',
      status: 'draft',
      wordCount: 0,
      chapterCount: 0,
      publishedAt: null,
      language: 'en',
    });
    expect(await expectJson(call(app, 'GET', `/books/${created.id}`, author), 200, Book)).toEqual(created);

    const updated = await expectJson(call(app, 'PATCH', `/books/${created.id}`, author, { title: 'Salt Road', status: 'in_progress', tags: [] }), 200, Book);
    expect(updated).toMatchObject({ title: 'Salt Road', status: 'in_progress', tags: [], description: 'Smugglers and tides' });

    expect((await call(app, 'DELETE', `/books/${created.id}`, author)).status).toBe(204);
    await expectError(call(app, 'GET', `/books/${created.id}`, author), 404, 'not_found');
  });

  it('refuses bad input with 4xx and field paths', async () => {
    const author = newUser();
    const missing = await expectError(call(app, 'POST', '/books', author, {}), 400, 'validation_failed');
    expect(missing.details.map((d) => d.path)).toContain('body.title');
    const tooManyTags = await expectError(call(app, 'POST', '/books', author, { title: 'x', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }), 400);
    expect(tooManyTags.details[0]?.path).toBe('body.tags');
    await expectError(call(app, 'POST', '/books', author, { title: 'x', contentType: 'poem' }), 400, 'validation_failed');
    await expectError(call(app, 'POST', '/books', author, '{"title": '), 400, 'malformed_json');
    const wrongType = await app.fetch('/v1/content/books', { method: 'POST', headers: { ...author.headers, 'content-type': 'text/plain' }, body: '{}' });
    expect(wrongType.status).toBe(415);
    await expectError(call(app, 'POST', '/books', null, { title: 'x' }), 401);
    await expectError(call(app, 'GET', '/books/not-a-uuid', author), 400, 'validation_failed');
    const { id } = await createBook(app, author);
    await expectError(call(app, 'PATCH', `/books/${id}`, author, {}), 400, 'validation_failed');
    await expectError(call(app, 'PATCH', `/books/${id}`, author, { status: 'published' }), 400, 'validation_failed');
    await expectError(call(app, 'PATCH', `/books/${id}`, author, { owner: 'me' }), 400, 'validation_failed');
    await expectError(call(app, 'GET', '/books?limit=0', author), 400, 'validation_failed');
    await expectError(call(app, 'GET', '/books?cursor=garbage', author), 400, 'invalid_cursor');
  });

  it('lists my books newest first with filters and cursor pagination', async () => {
    const author = newUser();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createBook(app, author, { title: `Book ${i}`, contentType: i % 2 ? 'play' : 'novel' })).id);
    await createBook(app, newUser(), { title: 'Someone else' });

    const first = await expectJson(call(app, 'GET', '/books?limit=2', author), 200, BookList);
    expect(first.items.map((b) => b.id)).toEqual([ids[4], ids[3]]);
    expect(first.nextCursor).not.toBeNull();
    const second = await expectJson(call(app, 'GET', `/books?limit=2&cursor=${first.nextCursor}`, author), 200, BookList);
    expect(second.items.map((b) => b.id)).toEqual([ids[2], ids[1]]);
    const third = await expectJson(call(app, 'GET', `/books?limit=2&cursor=${second.nextCursor}`, author), 200, BookList);
    expect(third.items.map((b) => b.id)).toEqual([ids[0]]);
    expect(third.nextCursor).toBeNull();

    const plays = await expectJson(call(app, 'GET', '/books?contentType=play', author), 200, BookList);
    expect(plays.items.map((b) => b.id)).toEqual([ids[3], ids[1]]);
    await call(app, 'PATCH', `/books/${ids[0]}`, author, { status: 'review' });
    const inReview = await expectJson(call(app, 'GET', '/books?status=review', author), 200, BookList);
    expect(inReview.items.map((b) => b.id)).toEqual([ids[0]]);
    expect((await expectJson(call(app, 'GET', '/books?scope=shared', author), 200, BookList)).items).toEqual([]);
  });

  it('publishes and unpublishes; a private book cannot be published', async () => {
    const author = newUser();
    const { id } = await createBook(app, author, { title: 'Quiet' });
    await expectError(call(app, 'POST', `/books/${id}/publish`, author), 422, 'book_private');
    await call(app, 'PATCH', `/books/${id}`, author, { visibility: 'public' });
    const published = await expectJson(call(app, 'POST', `/books/${id}/publish`, author), 200, Book);
    expect(published.status).toBe('published');
    expect(published.publishedAt).not.toBeNull();
    const again = await expectJson(call(app, 'POST', `/books/${id}/publish`, author), 200, Book);
    expect(again.publishedAt).toBe(published.publishedAt);
    const unpublished = await expectJson(call(app, 'POST', `/books/${id}/unpublish`, author), 200, Book);
    expect(unpublished).toMatchObject({ status: 'draft', publishedAt: null });
  });

  it('deleting a book removes its chapters, versions, scenes, characters and collaborators', async () => {
    const author = newUser();
    const { id, chapterIds } = await createBook(app, author, {}, 2);
    const chapterId = chapterIds[0]!;
    await call(app, 'PUT', `/chapters/${chapterId}/content`, author, { baseVersion: 0, content: 'Once upon a time' });
    const character = await call(app, 'POST', `/books/${id}/characters`, author, { name: 'Ada' });
    const scene = await call(app, 'POST', `/chapters/${chapterId}/scenes`, author, { title: 'Opening' });
    await call(app, 'POST', `/books/${id}/collaborators`, author, { userId: newUser().id, role: 'editor' });
    expect([character.status, scene.status]).toEqual([201, 201]);
    await app.waitForIdle();

    expect((await call(app, 'DELETE', `/books/${id}`, author)).status).toBe(204);
    await app.waitForIdle();
    const sql = await app.sql('postgres://postgres@127.0.0.1:5432/authorworks_content');
    try {
      const { rows } = await sql.query(
        `SELECT (SELECT count(*) FROM chapters WHERE book_id = $1::uuid)::int AS chapters,
                (SELECT count(*) FROM chapter_versions WHERE chapter_id = ANY ($2::uuid[]))::int AS versions,
                (SELECT count(*) FROM scenes WHERE book_id = $1::uuid)::int AS scenes,
                (SELECT count(*) FROM characters WHERE book_id = $1::uuid)::int AS characters,
                (SELECT count(*) FROM collaborators WHERE book_id = $1::uuid)::int AS collaborators,
                (SELECT count(*) FROM book_stats WHERE book_id = $1::uuid)::int AS stats`,
        [id, `{${chapterIds.join(',')}}`],
      );
      expect(rows[0]).toEqual({ chapters: 0, versions: 0, scenes: 0, characters: 0, collaborators: 0, stats: 0 });
    } finally {
      await sql.close();
    }
    await expectError(call(app, 'GET', `/chapters/${chapterId}`, author), 404);
    await expectError(call(app, 'GET', `/scenes/${(scene.body as { id: string }).id}`, author), 404);
  });
});

describe('catalog', () => {
  it('finds a published public book by a word of its description, never a private or unlisted one', async () => {
    const author = newUser();
    const word = `zephyrine${Date.now().toString(36)}`;
    const open = await createBook(app, author, { title: 'Open Book', description: `A tale of ${word} winds`, visibility: 'public', genre: 'fantasy' });
    const hidden = await createBook(app, author, { title: 'Hidden Book', description: `Also about ${word}`, visibility: 'private' });
    const unlisted = await createBook(app, author, { title: 'Unlisted Book', description: `More ${word}`, visibility: 'unlisted' });
    const draft = await createBook(app, author, { title: 'Draft Book', description: `Draft ${word}`, visibility: 'public' });
    await call(app, 'POST', `/books/${open.id}/publish`, author);
    await call(app, 'POST', `/books/${unlisted.id}/publish`, author);
    await app.waitForIdle();

    const reader = newUser();
    for (const as of [reader, null]) {
      const found = await expectJson(call(app, 'GET', `/catalog?q=${word}`, as), 200, CatalogList);
      expect(found.items.map((b) => b.id)).toEqual([open.id]);
      expect(found.items[0]!.rank).toBeGreaterThan(0);
    }
    const all = await expectJson(call(app, 'GET', '/catalog?limit=100', reader), 200, CatalogList);
    const ids = all.items.map((b) => b.id);
    expect(ids).toContain(open.id);
    expect(ids).not.toContain(hidden.id);
    expect(ids).not.toContain(unlisted.id);
    expect(ids).not.toContain(draft.id);
    expect((await expectJson(call(app, 'GET', `/catalog?q=${word}&genre=romance`, reader), 200, CatalogList)).items).toEqual([]);
    // Stemming: the plural finds the singular.
    expect((await expectJson(call(app, 'GET', `/catalog?q=${word}%20wind`, reader), 200, CatalogList)).items).toHaveLength(1);

    await call(app, 'POST', `/books/${open.id}/unpublish`, author);
    await app.waitForIdle();
    expect((await expectJson(call(app, 'GET', `/catalog?q=${word}`, reader), 200, CatalogList)).items).toEqual([]);
    await expectError(call(app, 'GET', '/catalog?limit=500', reader), 400, 'validation_failed');
  });
});
