import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
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

  // Spin's `run_listener` awaits each message's handling before taking the next
  // (crates/trigger-redis/src/lib.rs), so a burst is handled one message at a time.
  it('handles a burst one message at a time, every message reaching both workers', async () => {
    const burst = Array.from({ length: 6 }, (_, i) => `burst-${i}-${tag}`);
    await Promise.all(burst.map((message) => app.app.publish('jobs', message)));
    await app.waitForIdle();
    expect(await received('a')).toEqual(expect.arrayContaining(burst));
    expect(await received('b')).toEqual(expect.arrayContaining(burst));
    expect(app.app.runtimeStats().redisTrigger.maxMessagesInFlight).toBe(1);
  });

  it('ignores channels nobody is bound to', async () => {
    await app.publish('elsewhere', 'nobody listens');
    expect(app.logs.text('request')).not.toMatch(/REDIS elsewhere/);
  });
});

// `spin up --component-id` keeps the named components and only their triggers (v4.0.2
// src/commands/up.rs, crates/app/src/lib.rs `retain_components`): the Redis workers can run in a
// process of their own, which is how the deployment keeps HTTP up through a Redis restart.
describe('a Redis-only component selection (--component-id)', () => {
  let worker: TestApp;
  beforeAll(async () => {
    worker = await startFixtureApp({ components: ['worker-a'] });
  });
  afterAll(async () => {
    await worker?.close();
  });

  it('runs only the selected worker, with no HTTP listener', async () => {
    expect(worker.url).toBe('');
    await worker.publish('jobs', `selected-${process.pid}`);
    expect(worker.logs.text('request')).toMatch(/REDIS jobs -> worker-a ok/);
    expect(worker.logs.text('request')).not.toMatch(/worker-b/);
    // No HTTP component runs here: the instance memory counted is the Redis message's.
    expect(worker.app.runtimeStats().instances.peakGuestMemoryBytes).toBeGreaterThan(1024 * 1024);
  });
});

// Spin's Redis trigger ends with "disconnected from <server>" when its connection drops and
// `spin up` then stops every trigger (crates/trigger-redis/src/lib.rs `run_listener`,
// src/commands/up.rs). spin-local logs the loss, reconnects and subscribes again. Only a real
// server can drop a connection: the test kills this app's own subscriber (CLIENT KILL ID), by the
// connection name it sets, so other test files sharing the server are untouched.
describe.runIf(process.env.REDIS_ADDRESS)('a lost Redis trigger connection (real Redis)', () => {
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(redisAddress);
  });
  afterAll(async () => {
    await admin?.quit();
  });

  it('is logged, reconnected and subscribed again, and messages flow afterwards', async () => {
    const name = app.app.runtimeStats().redisTrigger.connection;
    expect(name).toMatch(/^spin-local-trigger-/);
    const clients = String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const id = /(?:^|\s)id=(\d+)\s.*\bname=(\S+)/gm;
    const ours = [...clients.matchAll(id)].find((m) => m[2] === name)?.[1];
    expect(ours).toBeDefined();
    expect(await admin.call('CLIENT', 'KILL', 'ID', ours ?? '')).toBe(1);
    // Bounded wait for the reconnect the host reports (not a timing assertion).
    for (let i = 0; i < 400 && !app.logs.text('info').includes('redis trigger: reconnected'); i++) await sleep(25);
    expect(app.logs.text('error')).toMatch(/redis trigger: lost the connection to redis:\/\/.+; reconnecting \(Spin's `spin up` would stop every trigger here\)/);
    expect(app.logs.text('info')).toContain('redis trigger: reconnected to');
    expect(app.logs.text('info')).toContain('subscribed again to "jobs"');
    const tag = `after-reconnect-${process.pid}-${Date.now()}`;
    await app.publish('jobs', tag);
    expect(await received('a')).toContain(tag);
    expect((await app.fetch('/probe/health')).status).toBe(200);
  });
});
