{%- assign table = job-kind | snake_case | append: "_jobs" -%}
import { fileURLToPath } from 'node:url';
import { createEvent } from '@authorworks/kit';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const DB =
  process.env.SPIN_VARIABLE_{{project-name | snake_case | upcase}}_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_{{project-name | snake_case}}';
const CHANNEL = '{{project-name | kebab_case}}-jobs';

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

const job = (id: string, data: unknown) =>
  createEvent({ type: '{{job-kind | snake_case}}.requested', source: 'test', subject: id, data, correlationId: 'test-request' });

beforeAll(async () => {
  // Some assertions read the worker's info-level log lines.
  app = await startApp({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), env: { SPIN_VARIABLE_LOG_LEVEL: 'info' }, migrate: true });
});
afterAll(() => app?.close());
beforeEach(async () => {
  await app.reset();
  app.logs.lines.splice(0);
});

describe('{{project-name | kebab_case}}-worker on {{project-name | kebab_case}}-jobs', () => {
  it('does a job published on its channel, once even when the message arrives twice', async () => {
    const request = job('job-1', { input: { pages: 3 } });
    await app.publish(CHANNEL, JSON.stringify(request));
    await app.publish(CHANNEL, JSON.stringify(request));

    expect(await rows(`SELECT id, requested_by AS "requestedBy", (result->>'inputKeys')::int AS "inputKeys" FROM {{table}}`)).toEqual([
      { id: 'job-1', requestedBy: 'test', inputKeys: 1 },
    ]);
    expect(await rows('SELECT event_id AS "eventId" FROM processed_events')).toEqual([{ eventId: request.id }]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'event skipped: already handled', eventId: request.id }));
  });

  it('drops a malformed job without failing the trigger', async () => {
    await app.publish(CHANNEL, JSON.stringify(job('job-2', { input: 'not an object' })));
    await app.publish(CHANNEL, 'not json');
    expect(await rows('SELECT id FROM {{table}}')).toEqual([]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'event dropped: data does not match' }));
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'message dropped: not an event envelope' }));
    expect(app.logs.text('error')).toBe('');
  });
});
