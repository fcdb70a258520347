import { randomUUID } from 'node:crypto';
import { Book, CollaboratorAcceptedEvent, CollaboratorInvitedEvent, ContentEventData } from '@authorworks/domain';
import type { SqlClient, TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DB_ADDRESS, call, createBook, expectError, expectJson, newUser, startContentApp } from './content-app.ts';
import { allRight, booksTruth, tickUntil } from './self-healing.ts';

const Stats = z.object({
  bookId: z.uuid(),
  wordCount: z.number(),
  readingTimeMinutes: z.number(),
  chapterCount: z.number(),
  revision: z.number(),
  sourceRevision: z.number(),
  stale: z.boolean(),
  computedAt: z.string().nullable(),
});

let app: TestApp;
let sql: SqlClient;
const author = newUser();
const admin = newUser(['admin']);

beforeAll(async () => {
  app = await startContentApp();
  sql = await app.sql(DB_ADDRESS);
});
afterAll(async () => {
  await sql?.close();
  await app?.close();
});

/**
 * The statistics without computedAt: with real Redis, every test file's worker hears every event,
 * and another app's worker may recompute (to the same numbers) after this app is idle.
 */
const numbers = ({ computedAt: _computedAt, ...stats }: z.output<typeof Stats>) => stats;

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

async function save(chapterId: string, content: string) {
  const current = await call(app, 'GET', `/chapters/${chapterId}/content`, author);
  const result = await call(app, 'PUT', `/chapters/${chapterId}/content`, author, { baseVersion: (current.body as { version: number }).version, content });
  expect(result.status).toBe(200);
}

async function book(id: string) {
  await app.waitForIdle();
  return expectJson(call(app, 'GET', `/books/${id}`, author), 200, Book);
}

/** What a content save does in SQL, without its event: as if the message were lost. */
async function editWithoutEvent(bookId: string, chapterId: string, wordCount: number) {
  await sql.query(
    `WITH next AS (SELECT current_version + 1 AS v FROM chapters WHERE id = $1::uuid)
     INSERT INTO chapter_versions (chapter_id, version, content, format, author_id, word_count)
     SELECT $1::uuid, v, $2, 'plain', $3::uuid, $4::int FROM next`,
    [chapterId, words(wordCount), author.id, wordCount],
  );
  await sql.query('UPDATE chapters SET current_version = current_version + 1, word_count = $2::int WHERE id = $1::uuid', [chapterId, wordCount]);
  await sql.query('UPDATE books SET revision = revision + 1 WHERE id = $1::uuid', [bookId]);
}

describe('content worker', () => {
  it('keeps word count, reading time and chapter count through a sequence of edits', async () => {
    const { id, chapterIds } = await createBook(app, author, { title: 'Counting' }, 3);
    expect(await book(id)).toMatchObject({ chapterCount: 3, wordCount: 0, readingTimeMinutes: 0 });
    await save(chapterIds[0]!, words(300));
    await save(chapterIds[1]!, words(200));
    await save(chapterIds[2]!, words(51));
    expect(await book(id)).toMatchObject({ chapterCount: 3, wordCount: 551, readingTimeMinutes: 3 });
    await save(chapterIds[0]!, words(10));
    expect(await book(id)).toMatchObject({ wordCount: 261, readingTimeMinutes: 2 });
    expect((await call(app, 'DELETE', `/chapters/${chapterIds[1]}`, author)).status).toBe(204);
    expect(await book(id)).toMatchObject({ chapterCount: 2, wordCount: 61, readingTimeMinutes: 1 });
    const stats = await expectJson(call(app, 'GET', `/books/${id}/stats`, author), 200, Stats);
    expect(stats).toMatchObject({ wordCount: 61, chapterCount: 2, stale: false });
    expect(stats.sourceRevision).toBe(stats.revision);
  });

  it('changes nothing when the same event arrives twice', async () => {
    const { id, chapterIds } = await createBook(app, author, { title: 'Twice' }, 1);
    await save(chapterIds[0]!, words(40));
    const before = await expectJson(call(app, 'GET', `/books/${id}/stats`, author), 200, Stats);
    const { rows } = await sql.query(
      `SELECT id::text AS id, type, subject, data::text AS data, correlation_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time
         FROM outbox WHERE data->>'bookId' = $1 AND published_at IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
      [id],
    );
    const row = rows[0]!;
    const envelope = { id: row.id, type: row.type, source: 'content', time: row.time, subject: row.subject, data: JSON.parse(String(row.data)), correlationId: row.correlation_id };
    await app.publish('content-events', JSON.stringify(envelope));
    await app.publish('content-events', JSON.stringify(envelope));
    const after = await expectJson(call(app, 'GET', `/books/${id}/stats`, author), 200, Stats);
    expect(numbers(after)).toEqual(numbers(before));
    const marks = await sql.query(`SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'content-worker' AND event_id = $1`, [row.id]);
    expect(marks.rows[0]).toEqual({ n: 1 });
  });

  it('repairs a book whose event was lost: on demand, by the next event, and by the admin reconcile', async () => {
    const { id, chapterIds } = await createBook(app, author, { title: 'Lost' }, 2);
    await save(chapterIds[0]!, words(100));
    expect(await book(id)).toMatchObject({ wordCount: 100 });

    await editWithoutEvent(id, chapterIds[1]!, 500);
    expect(await book(id)).toMatchObject({ wordCount: 100 }); // the worker never heard of it
    const repaired = await expectJson(call(app, 'GET', `/books/${id}/stats`, author), 200, Stats);
    expect(repaired).toMatchObject({ wordCount: 600, readingTimeMinutes: 3, chapterCount: 2, stale: false });

    await editWithoutEvent(id, chapterIds[1]!, 300);
    await expectError(call(app, 'POST', `/books/${id}/stats/recompute`, newUser()), 404);
    const forced = await expectJson(call(app, 'POST', `/books/${id}/stats/recompute`, author), 200, Stats);
    expect(forced).toMatchObject({ wordCount: 400, readingTimeMinutes: 2, stale: false });

    await editWithoutEvent(id, chapterIds[1]!, 50);
    await call(app, 'PATCH', `/chapters/${chapterIds[0]}`, author, { summary: 'an unrelated change' });
    expect(await book(id)).toMatchObject({ wordCount: 150 });

    const other = await createBook(app, author, { title: 'Also lost' }, 1);
    await app.waitForIdle();
    await editWithoutEvent(id, chapterIds[0]!, 1000);
    await editWithoutEvent(other.id, other.chapterIds[0]!, 7);
    await expectError(call(app, 'POST', '/admin/reconcile', author), 403);
    const reconciled = await expectJson(call(app, 'POST', '/admin/reconcile', admin), 200, z.object({ checked: z.number(), repaired: z.number(), more: z.boolean() }));
    // At least these two (with real servers, other test files' books may be stale for a moment too).
    expect(reconciled.repaired).toBeGreaterThanOrEqual(2);
    expect(await book(id)).toMatchObject({ wordCount: 1050, readingTimeMinutes: 5 });
    expect(await book(other.id)).toMatchObject({ wordCount: 7 });
  });

  it('ignores events it does not know and messages that are not events', async () => {
    const { id, chapterIds } = await createBook(app, author, { title: 'Noise' }, 1);
    await save(chapterIds[0]!, words(12));
    const before = await expectJson(call(app, 'GET', `/books/${id}/stats`, author), 200, Stats);
    const failuresBefore = app.logs.text('request').split('\n').filter((l) => /content-worker (?!ok)/.test(l)).length;
    await app.publish('content-events', 'not json');
    await app.publish('content-events', JSON.stringify({ hello: 'world' }));
    const base = { source: 'user', time: new Date().toISOString(), subject: id, correlationId: 'test' };
    await app.publish('content-events', JSON.stringify({ ...base, id: randomUUID(), type: 'user.created', data: { userId: id } }));
    await app.publish('content-events', JSON.stringify({ ...base, id: randomUUID(), type: 'content.updated', data: { entity: 'book' } }));
    // A known event for a book that no longer exists is handled without effect.
    const gone = randomUUID();
    await app.publish('content-events', JSON.stringify({ ...base, id: randomUUID(), type: 'content.deleted', data: { entity: 'book', id: gone, bookId: gone, authorId: author.id, actorId: author.id } }));
    expect(numbers(await expectJson(call(app, 'GET', `/books/${id}/stats`, author), 200, Stats))).toEqual(numbers(before));
    const failuresAfter = app.logs.text('request').split('\n').filter((l) => /content-worker (?!ok)/.test(l)).length;
    expect(failuresAfter).toBe(failuresBefore);
  });
});

describe('outbox', () => {
  it('records events in the transaction of the change, and nothing for a change that failed', async () => {
    const { id } = await createBook(app, author, { title: 'Outboxed' });
    await expectError(call(app, 'POST', `/books/${id}/publish`, author), 422);
    await call(app, 'PATCH', `/books/${id}`, author, { description: 'now with a blurb' });
    await app.waitForIdle();
    const { rows } = await sql.query(`SELECT type, data->>'entity' AS entity, published_at IS NOT NULL AS published FROM outbox WHERE subject = $1 ORDER BY created_at`, [id]);
    expect(rows).toEqual([
      { type: 'content.created', entity: 'book', published: true },
      { type: 'content.updated', entity: 'book', published: true },
    ]);
  });

  it('describes each change with the right type and data, in commit order', async () => {
    const editor = newUser();
    const { id, chapterIds } = await createBook(app, author, { title: 'Events', visibility: 'public' }, 1);
    await save(chapterIds[0]!, 'Some words here.');
    await call(app, 'POST', `/books/${id}/publish`, author);
    const invite = await call(app, 'POST', `/books/${id}/collaborators`, author, { userId: editor.id, role: 'editor' });
    await call(app, 'POST', `/invites/${(invite.body as { id: string }).id}/accept`, editor);
    await call(app, 'DELETE', `/chapters/${chapterIds[0]}`, editor);
    await app.waitForIdle();
    const { rows } = await sql.query(
      `SELECT type, subject, data::text AS data, published_at IS NOT NULL AS published FROM outbox
        WHERE data->>'bookId' = $1 ORDER BY created_at, id`,
      [id],
    );
    expect(rows.map((row) => row.type)).toEqual([
      'content.created',
      'content.created',
      'content.updated',
      'content.published',
      'collaborator.invited',
      'collaborator.accepted',
      'content.deleted',
    ]);
    expect(rows.every((row) => row.published === true)).toBe(true);
    const data = rows.map((row) => JSON.parse(String(row.data)) as unknown);
    expect(ContentEventData.parse(data[0])).toMatchObject({ entity: 'book', id, bookId: id, authorId: author.id, actorId: author.id });
    expect(ContentEventData.parse(data[1])).toMatchObject({ entity: 'chapter', id: chapterIds[0], bookId: id });
    expect(ContentEventData.parse(data[2])).toMatchObject({ entity: 'chapter', changed: ['content'] });
    expect(ContentEventData.parse(data[3])).toMatchObject({ entity: 'book', changed: ['status'] });
    expect(CollaboratorInvitedEvent.shape.data.parse(data[4])).toMatchObject({ bookId: id, bookTitle: 'Events', userId: editor.id, role: 'editor', invitedBy: author.id });
    expect(CollaboratorAcceptedEvent.shape.data.parse(data[5])).toMatchObject({ bookId: id, userId: editor.id, role: 'editor' });
    expect(ContentEventData.parse(data[6])).toMatchObject({ entity: 'chapter', actorId: editor.id, authorId: author.id });
  });

  it('publishes events a crash left behind with the next change, or through the admin flush', async () => {
    const { id } = await createBook(app, author, { title: 'Crashed' }, 1);
    await app.waitForIdle();
    const leftover = async () => {
      const { rows } = await sql.query(
        `INSERT INTO outbox (channel, type, subject, data, correlation_id)
         VALUES ('content-events', 'content.updated', $1, jsonb_build_object('entity', 'book', 'id', $1::text, 'bookId', $1::text, 'authorId', $2::text, 'actorId', $2::text, 'changed', '[]'::jsonb), 'crashed-request')
         RETURNING id::text AS id`,
        [id, author.id],
      );
      return String(rows[0]!.id);
    };
    const handled = async (eventId: string) =>
      (await sql.query(`SELECT count(*)::int AS n FROM processed_events WHERE event_id = $1`, [eventId])).rows[0];

    const first = await leftover();
    await call(app, 'POST', '/books', author, { title: 'Any later change' });
    await app.waitForIdle();
    expect(await handled(first)).toEqual({ n: 1 });

    const second = await leftover();
    await expectError(call(app, 'POST', '/admin/outbox/flush', author), 403);
    const flushed = await expectJson(call(app, 'POST', '/admin/outbox/flush', admin), 200, z.object({ published: z.number(), failed: z.boolean(), remaining: z.number() }));
    expect(flushed).toEqual({ published: 1, failed: false, remaining: 0 });
    await app.waitForIdle();
    expect(await handled(second)).toEqual({ n: 1 });
  });
});

// Issue 18 item 5: stale statistics and outbox rows a crash left behind converge with nothing but
// the deployment's clock (platform.tick on content-events, as the compose ticker publishes).
describe('self-healing content (ticks only)', () => {
  it('recomputes stale statistics and publishes left-over outbox rows without any request', async () => {
    const books = [await createBook(app, author, {}, 2), await createBook(app, author, {}, 1), await createBook(app, author, {}, 1)];
    await app.waitForIdle();
    const ids = books.map((book) => book.id);
    // A crash after the commit and before the event reached the worker: the chapters changed,
    // the book's revision moved on, the statistics did not.
    for (const [index, book] of books.entries()) {
      await sql.query('UPDATE chapters SET word_count = $2::int WHERE id = $1::uuid', [book.chapterIds[0], 100 + index]);
      await sql.query('UPDATE books SET revision = revision + 1, updated_at = now() WHERE id = $1::uuid', [book.id]);
    }
    // ... and an event committed a minute ago whose request was killed before publishing it.
    const { rows } = await sql.query(
      `INSERT INTO outbox (channel, type, subject, data, correlation_id, created_at)
       VALUES ('content-events', 'content.updated', $1::text, '{}'::jsonb, 'killed-request', now() - interval '1 minute')
       RETURNING id::text AS id`,
      [ids[0]!],
    );
    const leftOver = String(rows[0]!.id);
    const before = await booksTruth(sql, ids);
    expect(before.map((book) => book.fresh)).toEqual([false, false, false]);
    expect(before.map((book) => book.truth).sort()).toEqual([100, 101, 102]);

    const published = async () => (await sql.query('SELECT published_at IS NOT NULL AS done FROM outbox WHERE id = $1::uuid', [leftOver])).rows[0]?.done === true;
    const after = await tickUntil(
      app,
      async () => ({ books: await booksTruth(sql, ids), published: await published() }),
      (state) => allRight(state.books) && state.published,
    );
    expect(after.books.map((book) => [book.shown, book.fresh])).toEqual(after.books.map((book) => [book.truth, true]));
    expect(after.books.map((book) => book.truth).sort()).toEqual([100, 101, 102]);
    expect(after.published, app.logs.text('guest').split('\n').filter((line) => /outbox|stale|maint/.test(line)).join('\n').slice(-3000)).toBe(true);
  }, 150_000);
});
