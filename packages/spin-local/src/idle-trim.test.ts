import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import { startFixtureApp } from '../test/probe-app.ts';

let app: TestApp;
beforeAll(async () => {
  // One thread, so that every request below runs where the memories were kept and dropped; no
  // Redis workers, whose instances (a message another test file publishes on a real Redis) would
  // leave memories any component may take (memory-images.ts).
  app = await startFixtureApp({ threads: 1, idleTrimMs: 20, components: ['probe', 'hidden'] });
});
afterAll(async () => {
  await app?.close();
});

const stats = () => ({ ...app.app.runtimeStats().instances });

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('an idle executor thread', () => {
  it('lets go of its pooled memories and prepared instances, and the component answers as before on new ones', async () => {
    for (let i = 0; i < 3; i++) expect(await (await app.fetch('/probe/state')).json()).toEqual({ requestsSeen: 1, leftBehind: 1 });
    await app.waitForIdle();
    const before = stats();
    await until(() => stats().idleTrims > before.idleTrims);
    expect(stats().trimmedBytes - before.trimmedBytes).toBeGreaterThan(0);

    const trimmed = stats();
    expect(await (await app.fetch('/probe/state')).json()).toEqual({ requestsSeen: 1, leftBehind: 1 });
    // Nothing was left to reuse: the instance started on a new memory, from the image on disk.
    expect(stats().memoryNew - trimmed.memoryNew).toBe(1);
    expect(stats().memoryReused - trimmed.memoryReused).toBe(0);
  });
});
