{%- assign table = event-type | snake_case | append: "_counts" -%}
import { fileURLToPath } from 'node:url';
import { createEvent } from '@authorworks/kit';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const DB =
  process.env.SPIN_VARIABLE_{{project-name | snake_case | upcase}}_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_{{project-name | snake_case}}';
const CHANNEL = '{{source-channel}}';

let app: TestApp;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  const db = await app.sql(DB);
  try {
    return (await db.query(sql)).rows;
  } finally {
    await db.close();
  }
}

/** The JSON lines {{project-name | kebab_case}}-worker logged (stdout and stderr). */
function workerLog(): Record<string, unknown>[] {
  const prefix = '[{{project-name | kebab_case}}-worker] ';
  return app.logs.lines
    .filter((line) => line.kind === 'guest' && line.text.startsWith(prefix))
    .map((line) => line.text.slice(line.text.indexOf('{')))
    .filter((text) => text.startsWith('{'))
    .map((text) => JSON.parse(text) as Record<string, unknown>);
}

const event = (type: string, subject: string) =>
  createEvent({ type, source: 'test', subject, data: { note: 'from the test' }, correlationId: 'test-request' });

beforeAll(async () => {
  // Some assertions read the worker's info-level log lines.
  app = await startApp({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), env: { SPIN_VARIABLE_LOG_LEVEL: 'info' }, migrate: true });
});
afterAll(() => app?.close());
beforeEach(async () => {
  await app.reset();
  app.logs.lines.splice(0);
});

describe('{{project-name | kebab_case}}-worker on {{source-channel}}', () => {
  it('counts each {{event-type}} event once, even when it arrives twice', async () => {
    const first = event('{{event-type}}', 'subject-1');
    const second = event('{{event-type}}', 'subject-1');
    await app.publish(CHANNEL, JSON.stringify(first));
    await app.publish(CHANNEL, JSON.stringify(first));
    await app.publish(CHANNEL, JSON.stringify(second));

    expect(await rows('SELECT subject, count::int AS count, last_event_id AS "lastEventId" FROM {{table}}')).toEqual([
      { subject: 'subject-1', count: 2, lastEventId: second.id },
    ]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'event skipped: already handled', eventId: first.id }));
  });

  it('ignores other event types and drops what is not an event', async () => {
    await app.publish(CHANNEL, JSON.stringify(event('something.else', 'subject-2')));
    await app.publish(CHANNEL, 'not an event');
    expect(await rows('SELECT subject FROM {{table}}')).toEqual([]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'message dropped: not an event envelope' }));
    expect(app.logs.text('error')).toBe('');
  });
});
