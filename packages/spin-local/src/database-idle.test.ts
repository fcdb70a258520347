// A persisted embedded database closes once idle; how soon depends on who used it since it opened
// (app.ts, DEFAULT_BACKGROUND_DATABASE_IDLE_CLOSE_MS): a worker's use alone lets it go after 5 s,
// a request's keeps it 10 s. Real Postgres has no embedded databases to close.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import { type Attempt, callProbe, startFixtureApp } from '../test/probe-app.ts';

const real = Boolean(process.env.DB_CONNECTION);
let app: TestApp;
let dataDir: string;
beforeAll(async () => {
  if (real) return;
  dataDir = await mkdtemp(join(tmpdir(), 'spin-local-idle-'));
  app = await startFixtureApp({ backends: { dataDir } });
}, 120_000);
afterAll(async () => {
  await app?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(real)('embedded databases left idle', () => {
  it('closes a database only workers used sooner than one a request used', async () => {
    const { results } = await callProbe<{ results: Attempt<unknown>[] }>(app, 'pg', { address: 'postgres://postgres@127.0.0.1:5432/asked', statements: [['query', 'SELECT 1']] });
    expect(results[0]?.err).toBeUndefined();
    await app.publish('jobs', 'pg postgres://postgres@127.0.0.1:5432/upkeep');
    await app.waitForIdle();
    expect(app.app.runtimeStats().openDatabases.sort()).toEqual(['asked', 'upkeep']);
    // Used again by a request: its 10 s start now, however long the worker's first open took.
    await callProbe(app, 'pg', { address: 'postgres://postgres@127.0.0.1:5432/asked', statements: [['query', 'SELECT 1']] });
    const idleSince = Date.now();
    while (app.app.runtimeStats().openDatabases.includes('upkeep') && Date.now() - idleSince < 9_500) await sleep(100);
    const closedAfter = Date.now() - idleSince;
    expect(app.app.runtimeStats().openDatabases).toEqual(['asked']);
    expect(closedAfter).toBeGreaterThanOrEqual(4_500);
    expect(closedAfter).toBeLessThan(9_500);
  }, 60_000);
});
