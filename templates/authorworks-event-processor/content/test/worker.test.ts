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

const event = (type: string, subject: string) =>
  createEvent({ type, source: 'test', subject, data: { note: 'from the test' }, correlationId: 'test-request' });

beforeAll(async () => {
  // The assertions read the worker's info-level log lines.
  app = await startApp({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), env: { SPIN_VARIABLE_LOG_LEVEL: 'info' } });
});
afterAll(() => app?.close());
beforeEach(async () => {
  await app.reset();
  app.logs.lines.splice(0);
});

describe('{{project-name | kebab_case}}-worker on {{source-channel}}', () => {
  it('handles each {{event-type}} event once, even when it arrives twice', async () => {
    const first = event('{{event-type}}', 'subject-1');
    await app.publish('{{source-channel}}', JSON.stringify(first));
    await app.publish('{{source-channel}}', JSON.stringify(first));
    await app.publish('{{source-channel}}', JSON.stringify(event('{{event-type}}', 'subject-1')));

    const counted = workerLog().filter((line) => line.msg === '{{event-type}} counted');
    expect(counted.map((line) => line.count)).toEqual([1, 2]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'event skipped: already handled', eventId: first.id }));
  });

  it('ignores other event types and drops what is not an event', async () => {
    await app.publish('{{source-channel}}', JSON.stringify(event('something.else', 'subject-2')));
    await app.publish('{{source-channel}}', 'not an event');
    expect(workerLog().filter((line) => line.msg === '{{event-type}} counted')).toEqual([]);
    expect(workerLog()).toContainEqual(expect.objectContaining({ msg: 'message dropped: not an event envelope' }));
    expect(app.logs.text('error')).toBe('');
  });
});
