import { EventEnvelope, UserCreatedEvent, UserDeletedEvent, UserUpdatedEvent } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caller, register, startUserApp } from './user-app.ts';

// The embedded Redis lives inside the runtime and the harness offers no subscription to it yet,
// so the published events are observed on a real Redis (REDIS_ADDRESS, as on CI).
const redisAddress = process.env.REDIS_ADDRESS;

describe.skipIf(!redisAddress)('events on user-events (real Redis)', () => {
  let app: TestApp;
  let subscriber: Redis;
  const received: EventEnvelope[] = [];

  beforeAll(async () => {
    app = await startUserApp();
    subscriber = new Redis(redisAddress!);
    subscriber.on('message', (_channel: string, message: string) => received.push(EventEnvelope.parse(JSON.parse(message))));
    await subscriber.subscribe('user-events');
  });
  afterAll(async () => {
    await subscriber?.quit();
    await app?.close();
  });

  it('publishes user.created, user.updated and user.deleted with the request id as correlation id', async () => {
    const call = caller(app);
    const { tokens } = await register(call);
    const userId = tokens.user.id;
    await call('/me', { method: 'PATCH', token: tokens.accessToken, body: { displayName: 'Renamed' }, headers: { 'x-request-id': 'trace-patch-1' } });
    await call('/me', { method: 'DELETE', token: tokens.accessToken });
    await expect.poll(() => received.filter((event) => event.subject === userId).length, { timeout: 5_000 }).toBe(3);

    const mine = received.filter((event) => event.subject === userId);
    const created = UserCreatedEvent.parse(mine[0]);
    expect(created).toMatchObject({ source: 'user', data: { id: userId, username: tokens.user.username, roles: ['user'] } });
    const updated = UserUpdatedEvent.parse(mine[1]);
    expect(updated).toMatchObject({ correlationId: 'trace-patch-1', data: { displayName: 'Renamed', changed: ['displayName'] } });
    expect(UserDeletedEvent.parse(mine[2]).data).toEqual({ id: userId });
    expect(JSON.stringify(mine)).not.toMatch(/password|\$scrypt/);
  });
});
