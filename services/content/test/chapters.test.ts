import {
  Chapter,
  ChapterContent,
  ChapterList,
  ChapterVersion,
  ChapterVersionList,
  ChapterVersionSummary,
  Character,
  CharacterList,
  ErrorEnvelope,
  Scene,
  SceneList,
} from '@authorworks/domain';
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

const owner = newUser();

async function titlesInOrder(bookId: string): Promise<{ titles: string[]; positions: number[] }> {
  const list = await expectJson(call(app, 'GET', `/books/${bookId}/chapters?limit=100`, owner), 200, ChapterList);
  return { titles: list.items.map((c) => c.title), positions: list.items.map((c) => c.position) };
}

describe('chapters', () => {
  it('creates chapters at the end or at a position, lists them in order and pages through them', async () => {
    const { id } = await createBook(app, owner, {}, 3);
    const inserted = await expectJson(call(app, 'POST', `/books/${id}/chapters`, owner, { title: 'Prologue', position: 1 }), 201, Chapter);
    expect(inserted).toMatchObject({ position: 1, currentVersion: 0, wordCount: 0, summary: '' });
    await expectJson(call(app, 'POST', `/books/${id}/chapters`, owner, { title: 'Epilogue', position: 99 }), 201, Chapter);
    expect(await titlesInOrder(id)).toEqual({
      titles: ['Prologue', 'Chapter 1', 'Chapter 2', 'Chapter 3', 'Epilogue'],
      positions: [1, 2, 3, 4, 5],
    });
    const page1 = await expectJson(call(app, 'GET', `/books/${id}/chapters?limit=2`, owner), 200, ChapterList);
    const page2 = await expectJson(call(app, 'GET', `/books/${id}/chapters?limit=2&cursor=${page1.nextCursor}`, owner), 200, ChapterList);
    const page3 = await expectJson(call(app, 'GET', `/books/${id}/chapters?limit=2&cursor=${page2.nextCursor}`, owner), 200, ChapterList);
    expect([...page1.items, ...page2.items, ...page3.items].map((c) => c.position)).toEqual([1, 2, 3, 4, 5]);
    expect(page3.nextCursor).toBeNull();
  });

  it('updates, moves and deletes without gaps or duplicates', async () => {
    const { id, chapterIds } = await createBook(app, owner, {}, 5);
    const [c1, c2, , c4, c5] = chapterIds as [string, string, string, string, string];
    const renamed = await expectJson(call(app, 'PATCH', `/chapters/${c1}`, owner, { title: 'Beginnings', summary: 'Where it starts' }), 200, Chapter);
    expect(renamed).toMatchObject({ title: 'Beginnings', summary: 'Where it starts', position: 1 });
    await expectError(call(app, 'PATCH', `/chapters/${c1}`, owner, {}), 400, 'validation_failed');

    const moved = await expectJson(call(app, 'PUT', `/chapters/${c5}/position`, owner, { position: 2 }), 200, Chapter);
    expect(moved.position).toBe(2);
    expect((await titlesInOrder(id)).titles).toEqual(['Beginnings', 'Chapter 5', 'Chapter 2', 'Chapter 3', 'Chapter 4']);
    await expectJson(call(app, 'PUT', `/chapters/${c2}/position`, owner, { position: 50 }), 200, Chapter);
    expect((await titlesInOrder(id)).titles).toEqual(['Beginnings', 'Chapter 5', 'Chapter 3', 'Chapter 4', 'Chapter 2']);
    await expectError(call(app, 'PUT', `/chapters/${c2}/position`, owner, { position: 0 }), 400, 'validation_failed');
    await expectError(call(app, 'PUT', `/chapters/${c2}/position`, owner, { position: 'first' }), 400, 'validation_failed');

    expect((await call(app, 'DELETE', `/chapters/${c4}`, owner)).status).toBe(204);
    expect(await titlesInOrder(id)).toEqual({ titles: ['Beginnings', 'Chapter 5', 'Chapter 3', 'Chapter 2'], positions: [1, 2, 3, 4] });
    await expectError(call(app, 'GET', `/chapters/${c4}`, owner), 404);
  });

  it('keeps positions a permutation under concurrent moves', async () => {
    const { id, chapterIds } = await createBook(app, owner, {}, 6);
    const moves = [
      call(app, 'PUT', `/chapters/${chapterIds[0]}/position`, owner, { position: 6 }),
      call(app, 'PUT', `/chapters/${chapterIds[5]}/position`, owner, { position: 1 }),
      call(app, 'PUT', `/chapters/${chapterIds[2]}/position`, owner, { position: 4 }),
      call(app, 'PUT', `/chapters/${chapterIds[3]}/position`, owner, { position: 2 }),
    ];
    const results = await Promise.all(moves);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const { titles, positions } = await titlesInOrder(id);
    expect(positions).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...titles].sort()).toEqual(['Chapter 1', 'Chapter 2', 'Chapter 3', 'Chapter 4', 'Chapter 5', 'Chapter 6']);
  });
});

describe('chapter content versions', () => {
  it('saves numbered versions with author, format and word count; reads any version', async () => {
    const { chapterIds } = await createBook(app, owner, {}, 1);
    const chapterId = chapterIds[0]!;
    const empty = await expectJson(call(app, 'GET', `/chapters/${chapterId}/content`, owner), 200, ChapterContent);
    expect(empty).toEqual({ chapterId, version: 0, content: '', format: 'markdown', authorId: null, updatedAt: null });

    const v1 = await expectJson(call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 0, content: 'It was a dark night.', format: 'plain', message: 'first draft' }), 200, ChapterVersionSummary);
    expect(v1).toMatchObject({ version: 1, format: 'plain', authorId: owner.id, wordCount: 5, message: 'first draft' });
    const v2 = await expectJson(call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 1, content: '# One\n\nIt was a *dark* and stormy night.' }), 200, ChapterVersionSummary);
    expect(v2).toMatchObject({ version: 2, format: 'markdown', wordCount: 8 });

    const current = await expectJson(call(app, 'GET', `/chapters/${chapterId}/content`, owner), 200, ChapterContent);
    expect(current).toMatchObject({ version: 2, content: '# One\n\nIt was a *dark* and stormy night.', authorId: owner.id });
    const first = await expectJson(call(app, 'GET', `/chapters/${chapterId}/versions/1`, owner), 200, ChapterVersion);
    expect(first.content).toBe('It was a dark night.');
    await expectError(call(app, 'GET', `/chapters/${chapterId}/versions/3`, owner), 404);
    await expectError(call(app, 'GET', `/chapters/${chapterId}/versions/zero`, owner), 400);

    const list = await expectJson(call(app, 'GET', `/chapters/${chapterId}/versions?limit=1`, owner), 200, ChapterVersionList);
    expect(list.items.map((v) => v.version)).toEqual([2]);
    const rest = await expectJson(call(app, 'GET', `/chapters/${chapterId}/versions?limit=1&cursor=${list.nextCursor}`, owner), 200, ChapterVersionList);
    expect(rest.items.map((v) => v.version)).toEqual([1]);
    expect((await expectJson(call(app, 'GET', `/chapters/${chapterId}`, owner), 200, Chapter))).toMatchObject({ currentVersion: 2, wordCount: 8 });
  });

  it('answers a stale baseVersion with 409 carrying the current version', async () => {
    const { chapterIds } = await createBook(app, owner, {}, 1);
    const chapterId = chapterIds[0]!;
    await call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 0, content: 'Alpha' });
    await call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 1, content: 'Alpha beta' });
    const stale = await call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 1, content: 'Alpha gamma' });
    expect(stale.status).toBe(409);
    const conflict = ErrorEnvelope.extend({ error: ErrorEnvelope.shape.error.extend({ current: ChapterContent }) }).parse(stale.body);
    expect(conflict.error.code).toBe('version_conflict');
    expect(conflict.error.details[0]?.path).toBe('body.baseVersion');
    expect(conflict.error.current).toMatchObject({ version: 2, content: 'Alpha beta' });
    await expectError(call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 7, content: 'x' }), 409, 'version_conflict');

    // Two saves on the same base: exactly one wins.
    const racing = await Promise.all([
      call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 2, content: 'left' }),
      call(app, 'PUT', `/chapters/${chapterId}/content`, owner, { baseVersion: 2, content: 'right' }),
    ]);
    expect(racing.map((r) => r.status).sort()).toEqual([200, 409]);
    const after = await expectJson(call(app, 'GET', `/chapters/${chapterId}/content`, owner), 200, ChapterContent);
    expect(after.version).toBe(3);
  });

  it('refuses bad content bodies', async () => {
    const { chapterIds } = await createBook(app, owner, {}, 1);
    const path = `/chapters/${chapterIds[0]}/content`;
    await expectError(call(app, 'PUT', path, owner, { content: 'no base' }), 400, 'validation_failed');
    await expectError(call(app, 'PUT', path, owner, { baseVersion: -1, content: 'x' }), 400, 'validation_failed');
    await expectError(call(app, 'PUT', path, owner, { baseVersion: 0, content: 'x', format: 'html' }), 400, 'validation_failed');
    const tooLarge = await app.fetch(`/v1/content${path}`, {
      method: 'PUT',
      headers: { ...owner.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ baseVersion: 0, content: 'word '.repeat(900_000) }),
    });
    expect(tooLarge.status).toBe(413);
  });

  it('saves and reads back a 2 MiB chapter', async () => {
    const { chapterIds } = await createBook(app, owner, {}, 1);
    const path = `/chapters/${chapterIds[0]}/content`;
    // 2 MiB of text, not all ASCII, so a byte or character slip would show.
    const content = 'Ünïcode wörds, and plain ones. '.repeat(80_000).slice(0, 2 * 1024 * 1024);
    expect(new TextEncoder().encode(content).byteLength).toBeGreaterThan(2 * 1024 * 1024);
    const saved = await expectJson(call(app, 'PUT', path, owner, { baseVersion: 0, content }), 200, ChapterVersionSummary);
    expect(saved.version).toBe(1);
    expect(saved.wordCount).toBeGreaterThan(300_000);
    const read = await expectJson(call(app, 'GET', path, owner), 200, ChapterContent);
    expect(read.version).toBe(1);
    expect(read.content.length).toBe(content.length);
    expect(read.content === content).toBe(true);
  });
});

describe('scenes and characters', () => {
  it('manages characters with relationships inside one book', async () => {
    const { id } = await createBook(app, owner);
    const ada = await expectJson(call(app, 'POST', `/books/${id}/characters`, owner, { name: 'Ada', role: 'protagonist', traits: ['curious'] }), 201, Character);
    const bo = await expectJson(
      call(app, 'POST', `/books/${id}/characters`, owner, { name: 'Bo', relationships: [{ characterId: ada.id, kind: 'sister' }] }),
      201,
      Character,
    );
    expect(bo).toMatchObject({ role: 'supporting', relationships: [{ characterId: ada.id, kind: 'sister', description: '' }] });
    const other = await createBook(app, owner);
    await expectError(
      call(app, 'POST', `/books/${other.id}/characters`, owner, { name: 'Cy', relationships: [{ characterId: ada.id, kind: 'rival' }] }),
      422,
      'unknown_character',
    );
    await expectError(call(app, 'POST', `/books/${id}/characters`, owner, { name: '' }), 400, 'validation_failed');
    await expectError(call(app, 'POST', `/books/${id}/characters`, owner, { name: 'X', role: 'hero' }), 400, 'validation_failed');

    const updated = await expectJson(call(app, 'PATCH', `/characters/${ada.id}`, owner, { description: 'Engineer', traits: ['curious', 'stubborn'] }), 200, Character);
    expect(updated).toMatchObject({ name: 'Ada', description: 'Engineer', traits: ['curious', 'stubborn'] });
    await expectError(call(app, 'PATCH', `/characters/${ada.id}`, owner, { relationships: [{ characterId: ada.id, kind: 'self' }] }), 422);
    const list = await expectJson(call(app, 'GET', `/books/${id}/characters`, owner), 200, CharacterList);
    expect(list.items.map((c) => c.name)).toEqual(['Ada', 'Bo']);

    expect((await call(app, 'DELETE', `/characters/${ada.id}`, owner)).status).toBe(204);
    await expectError(call(app, 'GET', `/characters/${ada.id}`, owner), 404);
    expect((await expectJson(call(app, 'GET', `/characters/${bo.id}`, owner), 200, Character)).relationships).toEqual([]);
  });

  it('manages ordered scenes in a chapter with a POV character', async () => {
    const { id, chapterIds } = await createBook(app, owner, {}, 1);
    const chapterId = chapterIds[0]!;
    const pov = await expectJson(call(app, 'POST', `/books/${id}/characters`, owner, { name: 'Narrator' }), 201, Character);
    const s1 = await expectJson(
      call(app, 'POST', `/chapters/${chapterId}/scenes`, owner, { title: 'Harbour', povCharacterId: pov.id, location: 'Lisbon', time: 'Dawn, day 1', content: 'Gulls over the quay.' }),
      201,
      Scene,
    );
    expect(s1).toMatchObject({ bookId: id, chapterId, position: 1, povCharacterId: pov.id, location: 'Lisbon', time: 'Dawn, day 1', wordCount: 4 });
    const s0 = await expectJson(call(app, 'POST', `/chapters/${chapterId}/scenes`, owner, { title: 'Before', position: 1 }), 201, Scene);
    const s2 = await expectJson(call(app, 'POST', `/chapters/${chapterId}/scenes`, owner, { title: 'After' }), 201, Scene);
    expect([s0.position, s2.position]).toEqual([1, 3]);
    const strangerCharacter = await expectJson(call(app, 'POST', `/books/${(await createBook(app, owner)).id}/characters`, owner, { name: 'Elsewhere' }), 201, Character);
    await expectError(call(app, 'POST', `/chapters/${chapterId}/scenes`, owner, { title: 'Bad', povCharacterId: strangerCharacter.id }), 422, 'unknown_character');

    const edited = await expectJson(call(app, 'PATCH', `/scenes/${s1.id}`, owner, { content: 'Gulls. Rain. Ropes creak.', povCharacterId: null }), 200, Scene);
    expect(edited).toMatchObject({ wordCount: 4, povCharacterId: null, location: 'Lisbon' });
    await expectJson(call(app, 'PUT', `/scenes/${s2.id}/position`, owner, { position: 1 }), 200, Scene);
    const ordered = await expectJson(call(app, 'GET', `/chapters/${chapterId}/scenes`, owner), 200, SceneList);
    expect(ordered.items.map((s) => [s.title, s.position])).toEqual([['After', 1], ['Before', 2], ['Harbour', 3]]);
    expect((await call(app, 'DELETE', `/scenes/${s0.id}`, owner)).status).toBe(204);
    const remaining = await expectJson(call(app, 'GET', `/chapters/${chapterId}/scenes`, owner), 200, SceneList);
    expect(remaining.items.map((s) => [s.title, s.position])).toEqual([['After', 1], ['Harbour', 2]]);
    await expectError(call(app, 'PATCH', `/scenes/${s1.id}`, owner, { unknown: 1 }), 400);
  });
});
