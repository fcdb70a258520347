import { fileURLToPath } from 'node:url';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const manifest = fileURLToPath(new URL('../spin.toml', import.meta.url));
let app: TestApp;

/** The JSON lines {{project-name | kebab_case}}-worker logged (stdout and stderr) since the last reset. */
function workerLog(): Record<string, unknown>[] {
  const prefix = '[{{project-name | kebab_case}}-worker] ';
  return app.logs.lines
    .filter((line) => line.kind === 'guest' && line.text.startsWith(prefix))
    .map((line) => line.text.slice(line.text.indexOf('{')))
    .filter((text) => text.startsWith('{'))
    .map((text) => JSON.parse(text) as Record<string, unknown>);
}

beforeAll(async () => {
  app = await startApp({ manifest });
});
afterAll(() => app?.close());
beforeEach(async () => {
  await app.reset();
  app.logs.lines.splice(0);
});

describe('{{project-name | kebab_case}}-worker on {{project-name | kebab_case}}-jobs', () => {
  it('handles a job published on its channel', async () => {
    await app.publish('{{project-name | kebab_case}}-jobs', JSON.stringify({ id: 'job-1', kind: '{{job-kind | snake_case}}', input: { pages: 3 } }));
    expect(workerLog()).toContainEqual(expect.objectContaining({ status: 'done', jobId: 'job-1' }));
  });

  it('rejects a malformed job without failing the trigger', async () => {
    await app.publish('{{project-name | kebab_case}}-jobs', JSON.stringify({ id: '', kind: 'other' }));
    await app.publish('{{project-name | kebab_case}}-jobs', 'not json');
    expect(workerLog().filter((entry) => entry.status === 'rejected')).toHaveLength(2);
    expect(app.logs.text('error')).toBe('');
  });
});
