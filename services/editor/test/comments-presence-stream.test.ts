import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Committed, EditorDocument, chapterWith, content, editor, expectError, expectJson, newUser, startEditorApp } from './editor-app.ts';

let app: TestApp;
let call: ReturnType<typeof editor>;
beforeAll(async () => {
  app = await startEditorApp({ editor_snapshot_every: '4', editor_retained_ops: '4', editor_requests_per_minute: '30' });
  call = editor(app);
});
afterAll(async () => {
  await app?.close();
});

const author = newUser();
const writer = newUser();
const reviewer = newUser();
const viewer = newUser();
const stranger = newUser();

const Range = z.object({ start: z.number(), end: z.number() });
const Comment = z.object({
  id: z.uuid(),
  chapterId: z.uuid(),
  parentId: z.uuid().nullable(),
  authorId: z.uuid(),
  body: z.string(),
  range: Range.nullable(),
  collapsed: z.boolean(),
  resolved: z.boolean(),
  resolvedBy: z.uuid().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const Thread = Comment.extend({ replies: z.array(Comment) });
const ThreadList = z.object({ version: z.number(), items: z.array(Thread), nextCursor: z.string().nullable() });

async function commit(chapterId: string, baseVersion: number, ops: unknown[], as = author) {
  return expectJson(call('POST', `/documents/${chapterId}/operations`, as, { baseVersion, ops }), 200, Committed);
}

describe('comments', () => {
  it('anchors a range given at a stale version, moves it with edits, collapses it when its text is deleted; reviewers comment, viewers cannot', async () => {
    const { chapterId } = await chapterWith(app, author, 'Hello brave new world', { editor: [writer], reviewer: [reviewer], viewer: [viewer] });
    await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument);
    await commit(chapterId, 0, ['>> ']); // v1: ">> Hello brave new world"
    // The reviewer still sees version 0 and comments on "brave" (6..11 there).
    const brave = await expectJson(call('POST', `/documents/${chapterId}/comments`, reviewer, { version: 0, range: { start: 6, end: 11 }, body: 'Too bold?' }), 201, Comment.extend({ version: z.number() }));
    expect(brave).toMatchObject({ range: { start: 9, end: 14 }, version: 1, collapsed: false, parentId: null });
    const world = await expectJson(call('POST', `/documents/${chapterId}/comments`, writer, { version: 1, range: { start: 19, end: 24 }, body: 'Which world?' }), 201, Comment);
    await expectError(call('POST', `/documents/${chapterId}/comments`, viewer, { version: 1, range: { start: 0, end: 1 }, body: 'x' }), 403, 'forbidden');
    await expectError(call('POST', `/documents/${chapterId}/comments`, stranger, { version: 1, range: { start: 0, end: 1 }, body: 'x' }), 404);
    await expectError(call('POST', `/documents/${chapterId}/comments`, author, { version: 1, range: { start: 20, end: 99 }, body: 'x' }), 400, 'range_out_of_range');
    await expectError(call('POST', `/documents/${chapterId}/comments`, author, { version: 1, range: { start: 5, end: 2 }, body: 'x' }), 400, 'validation_failed');
    await expectError(call('POST', `/documents/${chapterId}/comments`, author, { version: 9, range: { start: 0, end: 1 }, body: 'x' }), 400, 'invalid_version');
    await expectError(call('POST', `/documents/${chapterId}/comments`, author, { version: 1, range: { start: 0, end: 1 }, body: '   ' }), 400, 'validation_failed');

    // Typing at the edges stays outside a range, typing inside grows it.
    await commit(chapterId, 1, [9, '[']); // v2: ">> Hello [brave new world"
    await commit(chapterId, 2, [15, ']']); // v3: ">> Hello [brave] new world"
    await commit(chapterId, 3, [12, 'A']); // v4: ">> Hello [brAave] new world"
    let list = await expectJson(call('GET', `/documents/${chapterId}/comments`, viewer), 200, ThreadList);
    expect(list.version).toBe(4);
    const text = (await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument)).text;
    const anchored = (id: string) => list.items.find((item) => item.id === id)!;
    const braveNow = anchored(brave.id).range!;
    expect(text.slice(braveNow.start, braveNow.end)).toBe('brAave');
    const worldNow = anchored(world.id).range!;
    expect(text.slice(worldNow.start, worldNow.end)).toBe('world');

    // Deleting all of "brAave" and around it collapses the range to where it was.
    await commit(chapterId, 4, [9, { d: 8 }]); // v5: ">> Hello  new world"
    list = await expectJson(call('GET', `/documents/${chapterId}/comments`, author), 200, ThreadList);
    expect(anchored(brave.id)).toMatchObject({ range: { start: 9, end: 9 }, collapsed: true });
    expect(anchored(world.id)).toMatchObject({ range: { start: 14, end: 19 }, collapsed: false });

    // Replies and resolving.
    const reply = await expectJson(call('POST', `/documents/${chapterId}/comments/${brave.id}/replies`, author, { body: 'Gone now.' }), 201, Comment);
    expect(reply).toMatchObject({ parentId: brave.id, range: null });
    // A reply to a reply joins the thread.
    const nested = await expectJson(call('POST', `/documents/${chapterId}/comments/${reply.id}/replies`, reviewer, { body: 'OK' }), 201, Comment);
    expect(nested.parentId).toBe(brave.id);
    await expectError(call('POST', `/documents/${chapterId}/comments/${reply.id}/resolve`, author), 400, 'not_a_thread');
    await expectError(call('POST', `/documents/${chapterId}/comments/${brave.id}/resolve`, viewer), 403);
    const resolved = await expectJson(call('POST', `/documents/${chapterId}/comments/${brave.id}/resolve`, reviewer), 200, Comment);
    expect(resolved).toMatchObject({ resolved: true, resolvedBy: reviewer.id });
    const open = await expectJson(call('GET', `/documents/${chapterId}/comments?resolved=false`, author), 200, ThreadList);
    expect(open.items.map((item) => item.id)).toEqual([world.id]);
    const all = await expectJson(call('GET', `/documents/${chapterId}/comments?limit=1`, author), 200, ThreadList);
    expect(all.items[0]).toMatchObject({ id: brave.id, replies: [{ id: reply.id }, { id: nested.id }] });
    const next = await expectJson(call('GET', `/documents/${chapterId}/comments?limit=1&cursor=${all.nextCursor}`, author), 200, ThreadList);
    expect(next.items.map((item) => item.id)).toEqual([world.id]);
    await expectError(call('GET', `/documents/${chapterId}/comments?cursor=bm9wZQ`, author), 400, 'invalid_cursor');
    await expectError(call('POST', `/documents/${chapterId}/comments/00000000-0000-4000-8000-000000000000/replies`, author, { body: 'x' }), 404);
  });
});

describe('presence', () => {
  it('shows each reader’s cursor and selection, moved through later edits, and hides nothing from other readers', async () => {
    const { chapterId } = await chapterWith(app, author, 'abcdef', { editor: [writer], viewer: [viewer] });
    await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument);
    const Presence = z.object({ version: z.number(), items: z.array(z.object({ userId: z.uuid(), cursor: z.number(), selection: Range.nullable(), expiresAt: z.string() })) });
    await expectJson(call('PUT', `/documents/${chapterId}/presence`, viewer, { version: 0, cursor: 4, selection: { start: 2, end: 4 } }), 200, z.object({ cursor: z.literal(4) }));
    await expectJson(call('PUT', `/documents/${chapterId}/presence`, writer, { version: 0, cursor: 1 }), 200, z.object({ cursor: z.literal(1) }));
    await commit(chapterId, 0, ['XY']); // everything moves right by two
    const seen = await expectJson(call('GET', `/documents/${chapterId}/presence`, author), 200, Presence);
    expect(seen.version).toBe(1);
    expect(seen.items.find((item) => item.userId === viewer.id)).toMatchObject({ cursor: 6, selection: { start: 4, end: 6 } });
    expect(seen.items.find((item) => item.userId === writer.id)).toMatchObject({ cursor: 3, selection: null });
    await expectError(call('PUT', `/documents/${chapterId}/presence`, viewer, { version: 1, cursor: 99 }), 400, 'position_out_of_range');
    await expectError(call('PUT', `/documents/${chapterId}/presence`, viewer, { version: 7, cursor: 0 }), 400, 'invalid_version');
    await expectError(call('PUT', `/documents/${chapterId}/presence`, viewer, { version: 1, cursor: -1 }), 400, 'validation_failed');
    await expectError(call('GET', `/documents/${chapterId}/presence`, stranger), 404);
  });
});

describe('stream', () => {
  function events(body: string) {
    return body
      .split('\n\n')
      .filter((block) => block.includes('event: '))
      .map((block) => {
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        return { id: id === undefined ? null : Number(id), event: /^event: (.+)$/m.exec(block)![1]!, data: JSON.parse(/^data: (.+)$/m.exec(block)![1]!) as Record<string, unknown> };
      });
  }

  it('sends what happened after Last-Event-ID (operations and comments in order, then presence) and closes; a reconnect misses nothing', async () => {
    const { chapterId } = await chapterWith(app, author, 'one two', { editor: [writer] });
    const opened = await expectJson(call('GET', `/documents/${chapterId}`, writer), 200, EditorDocument);
    const first = await call('GET', `/documents/${chapterId}/stream`, writer);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(events(String(first.body))).toEqual([
      { id: opened.lastEventId, event: 'ready', data: { version: 0, lastEventId: opened.lastEventId } },
      { id: null, event: 'presence', data: { version: 0, items: [] } },
    ]);
    await commit(chapterId, 0, ['A ']);
    await expectJson(call('POST', `/documents/${chapterId}/comments`, author, { version: 1, range: { start: 2, end: 5 }, body: 'Hm' }), 201, Comment);
    await commit(chapterId, 1, [{ d: 2 }], writer);
    const second = events(String((await call('GET', `/documents/${chapterId}/stream`, writer, undefined, { 'last-event-id': String(opened.lastEventId) })).body));
    expect(second.map((e) => [e.id, e.event])).toEqual([
      [opened.lastEventId + 1, 'operation'],
      [opened.lastEventId + 2, 'comment'],
      [opened.lastEventId + 3, 'operation'],
      [null, 'presence'],
    ]);
    expect(second[0]!.data).toMatchObject({ version: 1, op: ['A '], authorId: author.id });
    expect(second[2]!.data).toMatchObject({ version: 2, op: [{ d: 2 }], authorId: writer.id });
    // Reconnecting from the middle gives the rest, and from the end nothing but presence.
    const resumed = events(String((await call('GET', `/documents/${chapterId}/stream?lastEventId=${opened.lastEventId + 2}`, writer)).body));
    expect(resumed.map((e) => e.event)).toEqual(['operation', 'presence']);
    const caughtUp = events(String((await call('GET', `/documents/${chapterId}/stream`, writer, undefined, { 'last-event-id': String(opened.lastEventId + 3) })).body));
    expect(caughtUp.map((e) => e.event)).toEqual(['presence']);
    await expectError(call('GET', `/documents/${chapterId}/stream`, writer, undefined, { 'last-event-id': 'abc' }), 400, 'validation_failed');
    await expectError(call('GET', `/documents/${chapterId}/stream`, writer, undefined, { 'last-event-id': '99999' }), 400, 'validation_failed');
    await expectError(call('GET', `/documents/${chapterId}/stream`, stranger), 404);
    await expectError(call('GET', `/documents/${chapterId}/stream`, null), 401);

    // After pruning (snapshot every 4, keep 4), a stream from before the kept history says reload.
    for (let version = 2; version < 10; version++) await commit(chapterId, version, ['.'], writer);
    const stale = events(String((await call('GET', `/documents/${chapterId}/stream`, writer, undefined, { 'last-event-id': String(opened.lastEventId) })).body));
    expect(stale.map((e) => e.event)).toEqual(['reload', 'presence']);
  });
});

describe('autosave', () => {
  it('turns a whole text into operations against its base version, keeping what others committed since', async () => {
    const { chapterId } = await chapterWith(app, author, 'The cat sat on the mat.', { editor: [writer] });
    await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument);
    await commit(chapterId, 0, ['Title\n'], writer);
    // The author autosaves from version 0: "cat" → "dog", an emoji added.
    const saved = await expectJson(call('PUT', `/documents/${chapterId}/content`, author, { baseVersion: 0, text: 'The dog sat on the mat 🐕.' }), 200, Committed);
    expect(saved.version).toBe(2);
    expect((await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument)).text).toBe('Title\nThe dog sat on the mat 🐕.');
    const same = await expectJson(call('PUT', `/documents/${chapterId}/content`, author, { baseVersion: 2, text: 'Title\nThe dog sat on the mat 🐕.' }), 200, Committed);
    expect(same.ops).toEqual([]);
    await expectError(call('PUT', `/documents/${chapterId}/content`, viewer, { baseVersion: 2, text: 'x' }), 404);
    await expectError(call('PUT', `/documents/${chapterId}/content`, author, { baseVersion: 2, text: 'a\u0000' }), 400, 'validation_failed');
    await expectError(call('PUT', `/documents/${chapterId}/content`, author, { baseVersion: 2 }), 400, 'validation_failed');
  });
});

describe('checkpoints', () => {
  const Checkpoint = z.object({ id: z.uuid(), chapterId: z.uuid(), name: z.string(), version: z.number(), contentVersion: z.number(), authorId: z.uuid(), createdAt: z.string() });
  const CheckpointList = z.object({ items: z.array(Checkpoint), nextCursor: z.string().nullable() });

  it('saves the text as a chapter content version, lists checkpoints newest first, and reverts as a new operation', async () => {
    const { chapterId } = await chapterWith(app, author, 'Draft one.', { editor: [writer], viewer: [viewer] });
    await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument);
    await commit(chapterId, 0, [6, { d: 3 }, 'two'], writer); // "Draft two."
    const first = await expectJson(call('POST', `/documents/${chapterId}/checkpoints`, writer, { name: 'Second draft' }), 201, Checkpoint);
    expect(first).toMatchObject({ name: 'Second draft', version: 1, contentVersion: 2, authorId: writer.id });
    // In the content service: version 2 holds the editor's text.
    const Version = z.object({ version: z.number(), content: z.string(), message: z.string(), authorId: z.uuid() });
    const saved = await expectJson(content(app)('GET', `/chapters/${chapterId}/versions/2`, viewer), 200, Version);
    expect(saved).toMatchObject({ content: 'Draft two.', message: 'Checkpoint: Second draft', authorId: writer.id });

    await commit(chapterId, 1, [{ d: 5 }, 'Final'], author); // "Final two."
    const second = await expectJson(call('POST', `/documents/${chapterId}/checkpoints`, author, { name: 'Final' }), 201, Checkpoint);
    expect(second).toMatchObject({ version: 2, contentVersion: 3 });
    const list = await expectJson(call('GET', `/documents/${chapterId}/checkpoints?limit=1`, viewer), 200, CheckpointList);
    const rest = await expectJson(call('GET', `/documents/${chapterId}/checkpoints?limit=1&cursor=${list.nextCursor}`, viewer), 200, CheckpointList);
    expect([...list.items, ...rest.items].map((c) => c.name)).toEqual(['Final', 'Second draft']);

    await commit(chapterId, 2, [10, ' More.'], writer); // "Final two. More."
    const reverted = await expectJson(call('POST', `/documents/${chapterId}/checkpoints/${first.id}/revert`, author), 200, Committed);
    expect(reverted.version).toBe(4);
    expect((await expectJson(call('GET', `/documents/${chapterId}`, writer), 200, EditorDocument)).text).toBe('Draft two.');
    // The revert is an ordinary operation in the log: collaborators follow it.
    const log = await expectJson(call('GET', `/documents/${chapterId}/operations?since=3`, writer), 200, z.object({ items: z.array(z.object({ version: z.number(), authorId: z.uuid() })) }));
    expect(log.items).toEqual([expect.objectContaining({ version: 4, authorId: author.id })]);

    await expectError(call('POST', `/documents/${chapterId}/checkpoints`, viewer, { name: 'Mine' }), 403);
    await expectError(call('POST', `/documents/${chapterId}/checkpoints/${first.id}/revert`, viewer), 403);
    await expectError(call('POST', `/documents/${chapterId}/checkpoints`, author, { name: '' }), 400, 'validation_failed');
    await expectError(call('POST', `/documents/${chapterId}/checkpoints/00000000-0000-4000-8000-000000000000/revert`, author), 404);
    await expectError(call('GET', `/documents/${chapterId}/checkpoints`, stranger), 404);
  });
});

describe('limits', () => {
  it('throttles each user’s writes (editor_requests_per_minute, here 30) with 429 and Retry-After, others unaffected', async () => {
    const busy = newUser();
    const calm = newUser();
    const { chapterId } = await chapterWith(app, author, 'x', { editor: [busy, calm] });
    await expectJson(call('GET', `/documents/${chapterId}`, busy), 200, EditorDocument);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await call('PUT', `/documents/${chapterId}/presence`, busy, { version: 0, cursor: 0 })).status);
    expect(statuses.slice(0, 30).every((status) => status === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    const refused = await call('POST', `/documents/${chapterId}/operations`, busy, { baseVersion: 0, ops: ['y'] });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectError(Promise.resolve(refused), 429, 'too_many_requests');
    await expectJson(call('POST', `/documents/${chapterId}/operations`, calm, { baseVersion: 0, ops: ['z'] }), 200, Committed);
    // Reading is not throttled.
    await expectJson(call('GET', `/documents/${chapterId}`, busy), 200, EditorDocument);
  });

  it('publishes its route table as OpenAPI', async () => {
    const document = await expectJson(call('GET', '/openapi.json', null), 200, z.object({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }));
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/documents/{chapterId}/operations', '/documents/{chapterId}/stream', '/documents/{chapterId}/checkpoints/{checkpointId}/revert']));
  });
});
