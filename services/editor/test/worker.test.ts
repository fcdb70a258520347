// The editor's event processor (editor-worker) with the editor API and the content service, as
// spin-all.toml composes them: a chapter or book deleted in content takes its live documents (and
// everything cascading from them) out of authorworks_editor, and a deletion the processor missed
// is handled from content-events' event log with a later message.
import { randomUUID } from 'node:crypto';
import { Chapter } from '@authorworks/domain';
import type { SqlClient, TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Committed, EDITOR_DB_ADDRESS, EditorDocument, chapterWith, content, editor, expectJson, newUser, startComposedApp, type User } from './editor-app.ts';

const realBackends = Boolean(process.env.DB_CONNECTION && process.env.REDIS_ADDRESS);

function envelope(type: string, data: unknown, id: string = randomUUID()) {
  return { id, type, source: 'test', time: new Date().toISOString(), subject: randomUUID(), data, correlationId: 'editor-worker-test' };
}

const contentData = (author: User, entity: string, id: string, bookId: string) => ({ entity, id, bookId, authorId: author.id, actorId: author.id, changed: [] as string[] });
const deleted = (author: User, entity: string, id: string, bookId: string) => envelope('content.deleted', contentData(author, entity, id, bookId));

/**
 * A real Redis keeps content-events' event log (up to ~10,000 entries) from earlier runs and other
 * services' tests, which a processor with no stored position works through 100 entries a message
 * before it reaches this test's. Its position starts at now instead (stream ids begin with the
 * time in ms), as if it had read all of that. The embedded Redis starts empty, and numbers its
 * entries 1-0, 2-0, …: nothing to skip there.
 */
async function readLogFromNow(app: TestApp, sql: SqlClient): Promise<void> {
  if (app.app.backends.redis !== 'real') return;
  await sql.query(
    `INSERT INTO event_log_positions (channel, ms, seq) VALUES ('content-events', $1::text::int8, 0)
     ON CONFLICT (channel) DO UPDATE SET ms = EXCLUDED.ms, seq = 0`,
    [String(Date.now())],
  );
}

/** The rows authorworks_editor holds for a chapter: its document and everything cascading from it. */
async function rowsOf(sql: SqlClient, chapterId: string) {
  const count = (table: string) => `(SELECT count(*) FROM ${table} WHERE chapter_id = $1::text::uuid)::int AS ${table}`;
  const { rows } = await sql.query(`SELECT ${['documents', 'snapshots', 'operations', 'checkpoints', 'comments'].map(count).join(', ')}`, [chapterId]);
  return rows[0];
}

const nothing = { documents: 0, snapshots: 0, operations: 0, checkpoints: 0, comments: 0 };

/** A chapter's document opened, edited once, commented on and checkpointed: a row in every table. */
async function editedDocument(app: TestApp, author: User, chapterId: string) {
  const call = editor(app);
  await expectJson(call('GET', `/documents/${chapterId}`, author), 200, EditorDocument);
  await expectJson(call('POST', `/documents/${chapterId}/operations`, author, { baseVersion: 0, ops: [4, 'black '] }), 200, Committed);
  await expectJson(call('POST', `/documents/${chapterId}/comments`, author, { version: 1, range: { start: 4, end: 9 }, body: 'Is it black?' }), 201, z.object({ id: z.string() }));
  await expectJson(call('POST', `/documents/${chapterId}/checkpoints`, author, { name: 'First' }), 201, z.object({ id: z.string() }));
}

/** A second chapter of the book, with its document opened. */
async function secondChapter(app: TestApp, author: User, bookId: string) {
  const chapter = await expectJson(content(app)('POST', `/books/${bookId}/chapters`, author, { title: 'Chapter 2' }), 201, Chapter);
  await expectJson(editor(app)('GET', `/documents/${chapter.id}`, author), 200, EditorDocument);
  return chapter.id;
}

describe('editor-worker', () => {
  let app: TestApp;
  let sql: SqlClient;

  beforeAll(async () => {
    app = await startComposedApp(['content-api', 'editor-api', 'editor-worker']);
    sql = await app.sql(EDITOR_DB_ADDRESS);
    await readLogFromNow(app, sql);
  });
  afterAll(async () => {
    await sql?.close();
    await app?.close();
  });

  it("removes a chapter's document and everything under it when content deletes the chapter, and no other", async () => {
    const author = newUser();
    const { bookId, chapterId } = await chapterWith(app, author, 'The cat sat.');
    await editedDocument(app, author, chapterId);
    const sibling = await secondChapter(app, author, bookId);
    expect(await rowsOf(sql, chapterId)).toEqual({ documents: 1, snapshots: 1, operations: 1, checkpoints: 1, comments: 1 });

    // The content service's own content.deleted, through its outbox and content-events.
    expect((await content(app)('DELETE', `/chapters/${chapterId}`, author)).status).toBe(204);
    await app.waitForIdle();
    expect(await rowsOf(sql, chapterId)).toEqual(nothing);
    expect(await rowsOf(sql, sibling)).toMatchObject({ documents: 1 });
  });

  it("removes every document of a deleted book, once per event, and no other book's", async () => {
    const author = newUser();
    const { bookId, chapterId } = await chapterWith(app, author, 'The cat sat.');
    await editedDocument(app, author, chapterId);
    const sibling = await secondChapter(app, author, bookId);
    const other = await chapterWith(app, author, 'Another book.');
    await expectJson(editor(app)('GET', `/documents/${other.chapterId}`, author), 200, EditorDocument);

    const event = deleted(author, 'book', bookId, bookId);
    await app.publish('content-events', JSON.stringify(event));
    await app.publish('content-events', JSON.stringify(event));
    expect(await rowsOf(sql, chapterId)).toEqual(nothing);
    expect(await rowsOf(sql, sibling)).toEqual(nothing);
    expect(await rowsOf(sql, other.chapterId)).toMatchObject({ documents: 1 });
    const marks = await sql.query(`SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'editor-worker' AND event_id = $1`, [event.id]);
    expect(marks.rows[0]).toEqual({ n: 1 });
  });

  it('drops malformed messages and ignores other events and entities, changing nothing, and keeps working', async () => {
    const author = newUser();
    const { bookId, chapterId } = await chapterWith(app, author, 'The cat sat.');
    await editedDocument(app, author, chapterId);
    const before = await rowsOf(sql, chapterId);
    const errorsBefore = app.logs.text('error').length;
    const droppedBefore = app.logs.text().match(/dropped/g)?.length ?? 0;

    await app.publish('content-events', 'not json');
    await app.publish('content-events', JSON.stringify({ hello: 'world' }));
    // The chapter's id, but not the data of a content event (no bookId, authorId, actorId; a bad entity).
    await app.publish('content-events', JSON.stringify(envelope('content.deleted', { entity: 'chapter', id: chapterId })));
    await app.publish('content-events', JSON.stringify(deleted(author, 'page', chapterId, bookId)));
    await app.publish('content-events', JSON.stringify(deleted(author, 'chapter', 'not-a-uuid', bookId)));
    // Well-formed, but not a deletion of this chapter or its book.
    await app.publish('content-events', JSON.stringify(envelope('content.updated', { ...contentData(author, 'chapter', chapterId, bookId), changed: ['title'] })));
    await app.publish('content-events', JSON.stringify(deleted(author, 'scene', chapterId, bookId)));
    await app.publish('content-events', JSON.stringify(deleted(author, 'collaborator', bookId, bookId)));

    expect(await rowsOf(sql, chapterId)).toEqual(before);
    expect(app.logs.text('error').length).toBe(errorsBefore);
    expect((app.logs.text().match(/dropped/g)?.length ?? 0) - droppedBefore).toBeGreaterThanOrEqual(5);
    await app.publish('content-events', JSON.stringify(deleted(author, 'chapter', chapterId, bookId)));
    expect(await rowsOf(sql, chapterId)).toEqual(nothing);
  });

  it('handles a deletion it failed on from the event log, with the next unrelated message', async () => {
    const author = newUser();
    const { chapterId } = await chapterWith(app, author, 'The cat sat.');
    await editedDocument(app, author, chapterId);
    // Deleting this document fails inside the database, as if it were down for it.
    const fn = `fail_for_${chapterId.replaceAll('-', '_')}`;
    await sql.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF OLD.chapter_id = '${chapterId}'::uuid THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN OLD; END $$`);
    await sql.query(`CREATE TRIGGER ${fn} BEFORE DELETE ON documents FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      expect((await content(app)('DELETE', `/chapters/${chapterId}`, author)).status).toBe(204);
      await app.waitForIdle();
      expect(await rowsOf(sql, chapterId)).toMatchObject({ documents: 1 });
    } finally {
      await sql.query(`DROP TRIGGER ${fn} ON documents`);
      await sql.query(`DROP FUNCTION ${fn}()`);
    }
    // A message about something else entirely: the deletion waits in the log until then.
    expect(await rowsOf(sql, chapterId)).toMatchObject({ documents: 1 });
    await app.publish('content-events', JSON.stringify(envelope('platform.tick', {})));
    expect(await rowsOf(sql, chapterId)).toEqual(nothing);
  });
});

// The processor stopped while a chapter is deleted: the deletion is only in the event log, never
// delivered to it. Two apps in turn on the same servers, so this needs real PostgreSQL and Redis
// (the embedded ones live and die with their app); the app above is closed by then.
describe.skipIf(!realBackends)('a stopped editor-worker', () => {
  it('removes the document of a chapter deleted while it was down, with its first message', async () => {
    const author = newUser();
    let chapterId = '';
    const down = await startComposedApp(['content-api', 'editor-api']);
    try {
      const sql = await down.sql(EDITOR_DB_ADDRESS);
      await readLogFromNow(down, sql);
      await sql.close();
      ({ chapterId } = await chapterWith(down, author, 'The cat sat.'));
      await editedDocument(down, author, chapterId);
      expect((await content(down)('DELETE', `/chapters/${chapterId}`, author)).status).toBe(204);
      await down.waitForIdle();
    } finally {
      await down.close();
    }

    const up = await startComposedApp(['content-api', 'editor-api', 'editor-worker']);
    const sql = await up.sql(EDITOR_DB_ADDRESS);
    try {
      expect(await rowsOf(sql, chapterId)).toMatchObject({ documents: 1 });
      await up.publish('content-events', JSON.stringify(envelope('platform.tick', {})));
      expect(await rowsOf(sql, chapterId)).toEqual(nothing);
    } finally {
      await sql.close();
      await up.close();
    }
  });
});
