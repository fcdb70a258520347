import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventEnvelope, UserCreatedEvent, UserDeletedEvent, UserUpdatedEvent } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { buildComponent } from '@authorworks/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB, caller, register, startUserApp } from './user-app.ts';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));
const recorderWasm = join(serviceDir, 'test', 'fixtures', 'dist', 'user-events-recorder.wasm');

/**
 * The user service's own manifest plus a recorder component on user-events, written to a
 * temporary file with absolute sources, so the test sees exactly what a subscriber would.
 */
function manifestWithRecorder(): string {
  const manifest = readFileSync(join(serviceDir, 'spin.toml'), 'utf8')
    .replace('source = "dist/user-api.wasm"', `source = ${JSON.stringify(join(serviceDir, 'dist', 'user-api.wasm'))}`)
    .concat(`
[application.trigger.redis]
address = "{{ redis_address }}"

[[trigger.redis]]
channel = "user-events"
component = "user-events-recorder"

[component.user-events-recorder]
source = ${JSON.stringify(recorderWasm)}
allowed_outbound_hosts = ["redis://*:6379"]

[component.user-events-recorder.variables]
log_level = "info"
redis_address = "{{ redis_address }}"
`);
  const file = join(mkdtempSync(join(tmpdir(), 'user-events-')), 'spin.toml');
  writeFileSync(file, manifest);
  return file;
}

let app: TestApp;

beforeAll(async () => {
  await buildComponent({
    id: 'user-events-recorder',
    entry: fileURLToPath(new URL('./fixtures/user-events-recorder.ts', import.meta.url)),
    world: 'spin-redis',
    outFile: recorderWasm,
  });
  app = await startUserApp({}, manifestWithRecorder());
}, 240_000);
afterAll(() => app?.close());

function recorded(): EventEnvelope[] {
  return app.logs.lines
    .filter((line) => line.text.includes('"msg":"recorded"'))
    .map((line) => EventEnvelope.parse(JSON.parse(line.text.slice(line.text.indexOf('{'))).event));
}

describe('events on user-events', () => {
  it('publishes user.created, user.updated and user.deleted with the request id as correlation id', async () => {
    const call = caller(app);
    const { tokens } = await register(call);
    const userId = tokens.user.id;
    await call('/me', { method: 'PATCH', token: tokens.accessToken, body: { displayName: 'Renamed' }, headers: { 'x-request-id': 'trace-patch-1' } });
    await call('/me', { method: 'DELETE', token: tokens.accessToken });
    await app.waitForIdle();
    await expect.poll(() => recorded().filter((event) => event.subject === userId).length, { timeout: 10_000 }).toBe(3);

    const mine = recorded().filter((event) => event.subject === userId);
    const created = UserCreatedEvent.parse(mine.find((event) => event.type === 'user.created'));
    expect(created).toMatchObject({ source: 'user', data: { id: userId, username: tokens.user.username, roles: ['user'] } });
    const updated = UserUpdatedEvent.parse(mine.find((event) => event.type === 'user.updated'));
    expect(updated).toMatchObject({ correlationId: 'trace-patch-1', data: { displayName: 'Renamed', changed: ['displayName'] } });
    expect(UserDeletedEvent.parse(mine.find((event) => event.type === 'user.deleted')).data).toEqual({ id: userId });
    expect(JSON.stringify(mine)).not.toMatch(/password|\$scrypt/);

    // They went through the outbox: recorded with the change, marked published after the request.
    const db = await app.sql(DB);
    try {
      const { rows } = await db.query('SELECT id::text AS id, published_at IS NOT NULL AS published FROM outbox WHERE subject = $1', [userId]);
      expect(rows).toHaveLength(3);
      expect(rows.every((row) => row.published === true)).toBe(true);
      expect(rows.map((row) => row.id).sort()).toEqual(mine.map((event) => event.id).sort());
    } finally {
      await db.close();
    }
  });
});
