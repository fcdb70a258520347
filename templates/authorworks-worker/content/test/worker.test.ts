import { fileURLToPath } from 'node:url';
import { createEvent } from '@authorworks/kit/portable';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let app: TestApp;

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
  // The assertions read the worker's info-level log lines.
  app = await startApp({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), env: { SPIN_VARIABLE_LOG_LEVEL: 'info' } });
});
afterAll(() => app?.close());
beforeEach(async () => {
  await app.reset();
  app.logs.lines.splice(0);
});

describe('{{project-name | kebab_case}}-worker on {{project-name | kebab_case}}-jobs', () => {
  it('does a job published on its channel, once', async () => {
    const request = job('job-1', { input: { pages: 3 } });
    await app.publish('{{project-name | kebab_case}}-jobs', JSON.stringify(request));
    await app.publish('{{project-name | kebab_case}}-jobs', JSON.stringify(request));
    expect(workerLog().filter((line) => line.msg === 'job done')).toEqual([expect.objectContaining({ jobId: 'job-1', inputKeys: 1 })]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'event skipped: already handled', eventId: request.id }));
  });

  it('drops a malformed job without failing the trigger', async () => {
    await app.publish('{{project-name | kebab_case}}-jobs', JSON.stringify(job('job-2', { input: 'not an object' })));
    await app.publish('{{project-name | kebab_case}}-jobs', 'not json');
    expect(workerLog().filter((line) => line.msg === 'job done')).toEqual([]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'event dropped: data does not match' }));
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'message dropped: not an event envelope' }));
    expect(app.logs.text('error')).toBe('');
  });
});
