import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import { type Attempt, callProbe, redisAddress, startFixtureApp } from '../test/probe-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startFixtureApp();
});
afterAll(async () => {
  await app?.close();
});

async function received(worker: 'a' | 'b'): Promise<string[]> {
  const { results } = await callProbe<{ results: Attempt<string[]>[] }>(app, 'redis', { address: redisAddress, ops: [['smembers', `received:${worker}`]] });
  return (results[0]?.ok ?? []).sort();
}

describe(`Redis trigger (${process.env.REDIS_ADDRESS ? 'real server' : 'embedded'})`, () => {
  const tag = `${process.pid}-${Date.now()}`;

  it('delivers each message to every component bound to the channel', async () => {
    await app.publish('jobs', `first-${tag}`);
    expect(await received('a')).toContain(`first-${tag}`);
    expect(await received('b')).toContain(`first-${tag}`);
    expect(app.logs.text('request')).toMatch(/REDIS jobs -> worker-a ok/);
    expect(app.logs.text('request')).toMatch(/REDIS jobs -> worker-b ok/);
  });

  it("triggers on a component's own publish through outbound Redis", async () => {
    const payload = new TextEncoder().encode(`from-guest-${tag}`);
    await callProbe(app, 'redis', { address: redisAddress, ops: [['publish', 'jobs', payload]] });
    await app.waitForIdle();
    expect(await received('a')).toContain(`from-guest-${tag}`);
    expect(await received('b')).toContain(`from-guest-${tag}`);
  });

  it('logs a failing handler with its component id and keeps running', async () => {
    await app.publish('jobs', 'fail');
    const errors = app.logs.text('error');
    expect(errors).toContain('component "worker-a" failed on route "redis channel "jobs""');
    expect(errors).toContain('component "worker-b" failed on route "redis channel "jobs""');
    await app.publish('jobs', `after-${tag}`);
    expect(await received('a')).toContain(`after-${tag}`);
    expect((await app.fetch('/probe/health')).status).toBe(200);
  });

  it('ignores channels nobody is bound to', async () => {
    await app.publish('elsewhere', 'nobody listens');
    expect(app.logs.text('request')).not.toMatch(/REDIS elsewhere/);
  });
});
