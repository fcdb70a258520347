import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommentAddedData } from '@authorworks/domain';
import { z } from 'zod';
import { Committed, EditorDocument, OperationList, chapterWith, editor, expectError, expectJson, newUser, startEditorApp } from './editor-app.ts';

let app: TestApp;
let call: ReturnType<typeof editor>;
beforeAll(async () => {
  // Small snapshot interval and retention so pruning and the reload answer are reachable.
  app = await startEditorApp({ editor_snapshot_every: '5', editor_retained_ops: '10' });
  call = editor(app);
});
afterAll(async () => {
  await app?.close();
});

const author = newUser();
const editorUser = newUser();
const reviewer = newUser();
const viewer = newUser();
const stranger = newUser();

async function open(chapterId: string, as = author) {
  return expectJson(call('GET', `/documents/${chapterId}`, as), 200, EditorDocument);
}

describe('documents', () => {
  it('is created on first open from the chapter’s newest content version, and reports what the caller may do', async () => {
    const { chapterId, bookId } = await chapterWith(app, author, 'Once upon a time.', { editor: [editorUser], reviewer: [reviewer], viewer: [viewer] });
    const first = await open(chapterId);
    expect(first).toMatchObject({ chapterId, bookId, version: 0, oldestVersion: 0, text: 'Once upon a time.', length: 17, contentVersion: 1, format: 'plain' });
    expect(first.access).toEqual({ canWrite: true, canComment: true });
    expect((await open(chapterId, editorUser)).access).toEqual({ canWrite: true, canComment: true });
    expect((await open(chapterId, reviewer)).access).toEqual({ canWrite: false, canComment: true });
    expect((await open(chapterId, viewer)).access).toEqual({ canWrite: false, canComment: false });
    await expectError(call('GET', `/documents/${chapterId}`, stranger), 404, 'not_found');
    await expectError(call('GET', `/documents/${chapterId}`, null), 401);
    await expectError(call('GET', '/documents/00000000-0000-4000-8000-000000000000', author), 404, 'not_found');
    await expectError(call('GET', '/documents/not-a-uuid', author), 400, 'validation_failed');
  });

  it('opens an empty chapter (never saved) as an empty document', async () => {
    const { chapterId } = await chapterWith(app, author, '');
    expect(await open(chapterId)).toMatchObject({ version: 0, text: '', length: 0, contentVersion: 0 });
  });
});

describe('operations', () => {
  it('commits from the current version, and transforms an edit from a stale version against what was committed since', async () => {
    const { chapterId } = await chapterWith(app, author, 'The cat sat.', { editor: [editorUser] });
    await open(chapterId);
    // Author: "The black cat sat." at version 0 → 1.
    const a = await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: [4, 'black '] }), 200, Committed);
    expect(a).toEqual({ version: 1, ops: [4, 'black '], duplicate: false });
    // The editor still at version 0 replaces "sat" with "slept": shifted past the author's insert.
    const b = await expectJson(call('POST', `/documents/${chapterId}/operations`, editorUser, { baseVersion: 0, ops: [8, { d: 3 }, 'slept'] }), 200, Committed);
    expect(b).toEqual({ version: 2, ops: [14, { d: 3 }, 'slept'], duplicate: false });
    expect(await open(chapterId, editorUser)).toMatchObject({ version: 2, text: 'The black cat slept.', length: 20 });

    const log = await expectJson(call('GET', `/documents/${chapterId}/operations?since=0`, editorUser), 200, OperationList);
    expect(log.version).toBe(2);
    expect(log.items.map((item) => [item.version, item.op, item.authorId, item.baseVersion])).toEqual([
      [1, [4, 'black '], author.id, 0],
      [2, [14, { d: 3 }, 'slept'], editorUser.id, 0],
    ]);
    const since1 = await expectJson(call('GET', `/documents/${chapterId}/operations?since=1`, author), 200, OperationList);
    expect(since1.items.map((item) => item.version)).toEqual([2]);
    const paged = await expectJson(call('GET', `/documents/${chapterId}/operations?since=0&limit=1`, author), 200, OperationList);
    const rest = await expectJson(call('GET', `/documents/${chapterId}/operations?cursor=${paged.nextCursor}`, author), 200, OperationList);
    expect([...paged.items, ...rest.items].map((item) => item.version)).toEqual([1, 2]);
    expect(rest.nextCursor).toBeNull();
  });

  it('orders two inserts at one place the same way for everyone (the later commit lands first)', async () => {
    const { chapterId } = await chapterWith(app, author, 'ab', { editor: [editorUser] });
    await open(chapterId);
    await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: [1, 'X'] }), 200, Committed);
    const second = await expectJson(call('POST', `/documents/${chapterId}/operations`, editorUser, { baseVersion: 0, ops: [1, 'Y'] }), 200, Committed);
    expect(second.ops).toEqual([1, 'Y']);
    expect((await open(chapterId)).text).toBe('aYXb');
  });

  it('counts positions in code points: an emoji is one character and is never split', async () => {
    const { chapterId } = await chapterWith(app, author, 'a😀b');
    expect((await open(chapterId)).length).toBe(3);
    await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: [2, '🎉'] }), 200, Committed);
    await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 1, ops: [1, { d: 1 }] }), 200, Committed);
    expect(await open(chapterId)).toMatchObject({ text: 'a🎉b', length: 3, version: 2 });
  });

  it('applies a retried request (same opId) once and answers the retry with the first commit', async () => {
    const { chapterId } = await chapterWith(app, author, 'x');
    await open(chapterId);
    const opId = crypto.randomUUID();
    const first = await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: ['!'], opId }), 200, Committed);
    const again = await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: ['!'], opId }), 200, Committed);
    expect(first).toEqual({ version: 1, ops: ['!'], duplicate: false });
    expect(again).toEqual({ version: 1, ops: ['!'], duplicate: true });
    expect(await open(chapterId)).toMatchObject({ text: '!x', version: 1 });
  });

  it('lets only the author, owners and editors write: reviewer and viewer 403, stranger 404, no token 401', async () => {
    const { chapterId } = await chapterWith(app, author, 'text', { editor: [editorUser], reviewer: [reviewer], viewer: [viewer] });
    await open(chapterId);
    const body = { baseVersion: 0, ops: ['x'] };
    await expectError(call('POST', `/documents/${chapterId}/operations`, reviewer, body), 403, 'forbidden');
    await expectError(call('POST', `/documents/${chapterId}/operations`, viewer, body), 403, 'forbidden');
    await expectError(call('POST', `/documents/${chapterId}/operations`, stranger, body), 404, 'not_found');
    await expectError(call('POST', `/documents/${chapterId}/operations`, null, body), 401);
    await expectError(call('POST', `/documents/${chapterId}/operations`, 'not.a.token' as never, body), 401);
    await expectError(call('GET', `/documents/${chapterId}/operations?since=0`, stranger), 404);
    expect((await open(chapterId)).version).toBe(0);
    await expectJson(call('GET', `/documents/${chapterId}/operations?since=0`, viewer), 200, OperationList);
  });

  it('refuses malformed operations with 400 and leaves the document unchanged', async () => {
    const { chapterId } = await chapterWith(app, author, 'hello');
    await open(chapterId);
    const bad: [unknown, string][] = [
      [{ baseVersion: 0, ops: [6, 'x'] }, 'operation_out_of_range'], // retain past the end
      [{ baseVersion: 0, ops: [{ d: 6 }] }, 'operation_out_of_range'], // delete past the end
      [{ baseVersion: 0, ops: [-1, 'x'] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [0, 'x'] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [1.5, 'x'] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [''] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [{ d: 0 }] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [{ d: -2 }] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [{ i: 'x' }] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [{ d: 1, extra: true }] }, 'validation_failed'],
      [{ baseVersion: 0, ops: [null] }, 'validation_failed'],
      [{ baseVersion: 0, ops: 'insert x' }, 'validation_failed'],
      [{ baseVersion: -1, ops: ['x'] }, 'validation_failed'],
      [{ baseVersion: 1e12, ops: ['x'] }, 'validation_failed'],
      [{ baseVersion: 5, ops: ['x'] }, 'invalid_base_version'],
      [{ ops: ['x'] }, 'validation_failed'],
      [{ baseVersion: 0, ops: ['a\u0000b'] }, 'validation_failed'],
      [{ baseVersion: 0, ops: ['\ud800'] }, 'validation_failed'],
      [{ baseVersion: 0, ops: ['x'], opId: 'not-a-uuid' }, 'validation_failed'],
    ];
    for (const [body, code] of bad) {
      const error = await expectError(call('POST', `/documents/${chapterId}/operations`, author, body), 400);
      expect({ body, code: error.code }).toEqual({ body, code });
    }
    await expectError(call('POST', `/documents/${chapterId}/operations`, author, '{"baseVersion":0,"ops":['), 400);
    await expectError(call('POST', `/documents/${chapterId}/operations`, author, `{"baseVersion":0,"ops":${'['.repeat(500)}${']'.repeat(500)}}`), 400);
    expect(await open(chapterId)).toMatchObject({ text: 'hello', version: 0 });
    // Trailing retains and split retains are merely not canonical: accepted and normalised.
    const ok = await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: [2, 3, '!'] }), 200, Committed);
    expect(ok.ops).toEqual([5, '!']);
    expect((await open(chapterId)).text).toBe('hello!');
  });

  it('answers 413 for too many components, too much inserted text, or a document past the chapter limit', async () => {
    const { chapterId } = await chapterWith(app, author, 'abc');
    await open(chapterId);
    const manyComponents = Array.from({ length: 1001 }, (_, i) => (i % 2 === 0 ? 'x' : { d: 1 }));
    await expectError(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: manyComponents }), 413, 'operation_too_large');
    await expectError(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: ['x'.repeat(256 * 1024 + 1)] }), 413, 'operation_too_large');
    // 2 MiB of UTF-8 is the limit: three inserts of 690,000 bytes (230,000 three-byte characters) fit, a fourth does not.
    let version = 0;
    const chunk = 'あ'.repeat(230_000);
    for (let i = 0; i < 3; i++) {
      const commit = await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: version, ops: [chunk] }), 200, Committed);
      version = commit.version;
    }
    await expectError(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: version, ops: [chunk] }), 413, 'document_too_large');
    const document = await open(chapterId);
    expect(document.version).toBe(3);
    expect(document.length).toBe(3 * 230_000 + 3);
  });

  it('prunes operations past the retention, keeps answering from the kept history, and tells a client behind it to reload (409)', async () => {
    const { chapterId } = await chapterWith(app, author, '');
    await open(chapterId);
    for (let version = 0; version < 23; version++) {
      await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: version, ops: [version, String.fromCharCode(97 + (version % 26))].filter((c) => c !== 0) }), 200, Committed);
    }
    // Snapshots at 0, 5, 10, 15, 20; at version 20 the history kept starts at the newest snapshot ≤ 20 - 10.
    const document = await open(chapterId);
    expect(document).toMatchObject({ version: 23, oldestVersion: 10, text: 'abcdefghijklmnopqrstuvw' });
    const error = await expectError(call('GET', `/documents/${chapterId}/operations?since=9`, author), 409, 'reload_required');
    expect(error.details).toEqual([expect.objectContaining({ path: 'query.since' })]);
    await expectError(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 9, ops: ['x'] }), 409, 'reload_required');
    const kept = await expectJson(call('GET', `/documents/${chapterId}/operations?since=10`, author), 200, OperationList);
    expect(kept.items.map((item) => item.version)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
    // A stale base inside the kept history still transforms: insert at the start as of version 10.
    const late = await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 10, ops: [10, '|'] }), 200, Committed);
    expect(late.ops).toEqual([10, '|']);
    expect((await open(chapterId)).text).toBe('abcdefghij|klmnopqrstuvw');
  });
});

describe('events', () => {
  it('records document.updated batched (the first commit, then not again within 30 s or 50 versions) and comment.added, and publishes them', async () => {
    const { chapterId, bookId } = await chapterWith(app, author, 'abc');
    await open(chapterId);
    for (let version = 0; version < 8; version++) {
      await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: version, ops: ['.'] }), 200, Committed);
    }
    await expectJson(call('POST', `/documents/${chapterId}/comments`, author, { version: 8, range: { start: 0, end: 2 }, body: 'Dots?' }), 201, z.object({ id: z.uuid() }));
    const sql = await app.sql('postgres://postgres@127.0.0.1:5432/authorworks_editor');
    const { rows } = await sql.query(
      `SELECT channel, type, data::text AS data, published_at IS NOT NULL AS published FROM outbox WHERE data->>'chapterId' = $1 ORDER BY created_at`,
      [chapterId],
    );
    await sql.close();
    expect(rows.map((row) => [row.channel, row.type, row.published])).toEqual([
      ['editor-events', 'document.updated', true],
      ['editor-events', 'comment.added', true],
    ]);
    expect(JSON.parse(String(rows[0]!.data))).toMatchObject({ chapterId, bookId, version: 1, fromVersion: 0, actorId: author.id });
    const added = CommentAddedData.parse(JSON.parse(String(rows[1]!.data)));
    expect(added).toMatchObject({ chapterId, bookId, authorId: author.id, parentId: null, range: { start: 0, end: 2 }, threadParticipantIds: [], excerpt: 'Dots?' });
  });

  it('names the earlier writers of a thread in a reply’s comment.added, the replier left out', async () => {
    const critic = newUser();
    const { chapterId } = await chapterWith(app, author, 'abc', { reviewer: [critic] });
    await open(chapterId);
    const thread = await expectJson(call('POST', `/documents/${chapterId}/comments`, critic, { version: 0, range: { start: 0, end: 1 }, body: 'Why "a"?' }), 201, z.object({ id: z.uuid() }));
    await expectJson(call('POST', `/documents/${chapterId}/comments/${thread.id}/replies`, author, { body: 'Because ' + '🙂'.repeat(250) }), 201, z.object({ id: z.uuid() }));
    await expectJson(call('POST', `/documents/${chapterId}/comments/${thread.id}/replies`, critic, { body: 'Fair.' }), 201, z.object({ id: z.uuid() }));
    const sql = await app.sql('postgres://postgres@127.0.0.1:5432/authorworks_editor');
    const { rows } = await sql.query(`SELECT data::text AS data FROM outbox WHERE type = 'comment.added' AND data->>'chapterId' = $1 ORDER BY created_at`, [chapterId]);
    await sql.close();
    const [opened, reply, answer] = rows.map((row) => CommentAddedData.parse(JSON.parse(String(row.data))));
    expect(opened).toMatchObject({ parentId: null, authorId: critic.id, threadParticipantIds: [] });
    expect(reply).toMatchObject({ parentId: thread.id, authorId: author.id, threadParticipantIds: [critic.id] });
    expect(answer).toMatchObject({ parentId: thread.id, authorId: critic.id, threadParticipantIds: [author.id], excerpt: 'Fair.' });
    // Cut between code points: 199 of them and an ellipsis, no half emoji.
    expect(Array.from(reply!.excerpt)).toHaveLength(200);
    expect(reply!.excerpt.endsWith('🙂…')).toBe(true);
  });
});
