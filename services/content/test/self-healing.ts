// What the self-healing tests share: the statistics of books as shown against the truth in the
// tables, and the deployment's clock (the compose `ticker`) played by the test.
import type { SqlClient, TestApp } from '@authorworks/spin-local';

export interface BookTruth {
  id: string;
  shown: number | null;
  truth: number;
  fresh: boolean;
}

/** Each book's shown word count, the sum over its chapters, and whether the stats row is current. */
export async function booksTruth(sql: SqlClient, ids: readonly string[]): Promise<BookTruth[]> {
  const { rows } = await sql.query(
    `SELECT b.id::text AS id, s.word_count AS shown,
            COALESCE((SELECT sum(c.word_count) FROM chapters c WHERE c.book_id = b.id), 0)::int AS truth,
            COALESCE(s.source_revision >= b.revision, false) AS fresh
       FROM books b LEFT JOIN book_stats s ON s.book_id = b.id
      WHERE b.id::text = ANY($1::text[])
      ORDER BY b.id`,
    [[...ids]],
  );
  return rows.map((row) => ({ id: String(row.id), shown: row.shown === null ? null : Number(row.shown), truth: Number(row.truth), fresh: row.fresh === true }));
}

export const allRight = (books: readonly BookTruth[]) => books.every((book) => book.fresh && book.shown === book.truth);

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ticker's message (docker-compose.yml): a fresh envelope id every time. */
export function tick(): string {
  return JSON.stringify({
    id: crypto.randomUUID(),
    type: 'platform.tick',
    source: 'ticker',
    time: new Date().toISOString(),
    subject: 'content-events',
    data: {},
    correlationId: 'ticker',
  });
}

/**
 * Plays the ticker (one tick a second) until `done`, for at most `rounds` ticks; no request and no
 * admin call is made. Returns the last observation.
 */
export async function tickUntil<T>(app: TestApp, observe: () => Promise<T>, done: (value: T) => boolean, rounds = 90): Promise<T> {
  let last = await observe();
  for (let round = 0; round < rounds && !done(last); round++) {
    await app.publish('content-events', tick());
    await app.waitForIdle();
    await pause(1000);
    last = await observe();
  }
  return last;
}
