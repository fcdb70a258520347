{%- assign table = job-kind | snake_case | append: "_jobs" -%}
import { fileURLToPath } from 'node:url';
import { JobEventType, createEvent, enqueueJob, recordEvent, transaction, type SqlClient } from '@authorworks/kit';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const DB =
  process.env.SPIN_VARIABLE_{{project-name | snake_case | upcase}}_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_{{project-name | snake_case}}';
const QUEUE = '{{project-name | kebab_case}}-jobs';

let app: TestApp;

async function rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const db = await app.sql(DB);
  try {
    return (await db.query(sql, params)).rows;
  } finally {
    await db.close();
  }
}

/** Enqueues a job as a route of this service would (row and nudge in one transaction), then sends the nudge. */
async function enqueue(payload: unknown): Promise<string> {
  const client = await app.sql(DB);
  const db: SqlClient = { query: (sql, params = []) => client.query(sql, [...params]) };
  const requestId = 'test-request';
  const events = {
    record: (tx: SqlClient, channel: string, type: string, subject: string, data: unknown) =>
      recordEvent(tx, { channel, type, subject, data, correlationId: requestId }),
  };
  try {
    const id = await transaction(db, (tx) => enqueueJob(tx, { events, requestId }, { queue: QUEUE, kind: '{{job-kind | snake_case}}', payload }));
    // What the API's outbox flush would publish after the commit.
    await app.publish(QUEUE, JSON.stringify(createEvent({ type: JobEventType.requested, source: 'test', subject: id, data: {}, correlationId: requestId })));
    return id;
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  app = await startApp({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), env: { SPIN_VARIABLE_LOG_LEVEL: 'info' }, migrate: true });
});
afterAll(() => app?.close());
beforeEach(async () => {
  await app.reset();
  app.logs.lines.splice(0);
});

describe('{{project-name | kebab_case}}-worker on {{project-name | kebab_case}}-jobs', () => {
  it('does an enqueued job once, records its outcome and publishes job.completed', async () => {
    const id = await enqueue({ input: { pages: 3 } });
    await app.publish(QUEUE, JSON.stringify(createEvent({ type: JobEventType.sweep, source: 'test', subject: QUEUE, data: {}, correlationId: 'again' })));

    expect(await rows(`SELECT id, (result->>'inputKeys')::int AS "inputKeys" FROM {{table}}`)).toEqual([{ id, inputKeys: 1 }]);
    expect(await rows('SELECT state, attempts FROM jobs WHERE id = $1::uuid', [id])).toEqual([{ state: 'succeeded', attempts: 1 }]);
    expect(await rows("SELECT channel, published_at IS NOT NULL AS published FROM outbox WHERE type = 'job.completed'")).toEqual([
      { channel: '{{project-name | kebab_case}}-events', published: true },
    ]);
  });

  it('fails a job whose payload does not match at once, and drops messages that are not nudges', async () => {
    const id = await enqueue({ input: 'not an object' });
    await app.publish(QUEUE, 'not json');
    expect(await rows('SELECT state, attempts FROM jobs WHERE id = $1::uuid', [id])).toEqual([{ state: 'failed', attempts: 1 }]);
    expect(await rows('SELECT id FROM {{table}}')).toEqual([]);
    expect(app.logs.text()).toContain('message dropped: not an event envelope');
  });
});
