import { Message } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { fetchAs } from '@authorworks/spin-local/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, direct, expectError, group, newUser, post, startMessagingApp, type User } from './messaging-app.ts';

let app: TestApp;

beforeAll(async () => {
  app = await startMessagingApp();
});
afterAll(async () => {
  await app?.close();
});

interface Frame {
  id: number;
  event: string;
  data: unknown;
}

/** One stream answer, parsed as an EventSource would: its events and its retry hint. */
async function readStream(as: User, lastEventId?: number, query = '') {
  const headers: Record<string, string> = lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) };
  const response = await fetchAs(app, '/v1/messaging')('GET', `/stream${query}`, { as, headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await response.text();
  const frames: Frame[] = [];
  let retry: number | null = null;
  for (const block of text.split('\n\n').filter(Boolean)) {
    const fields = Object.fromEntries(block.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
    if (fields.retry !== undefined) retry = Number(fields.retry);
    else frames.push({ id: Number(fields.id), event: String(fields.event), data: JSON.parse(String(fields.data)) });
  }
  return { frames, retry, more: response.headers.get('x-stream-more') === 'true' };
}

describe('stream', () => {
  it('sends what is pending since Last-Event-ID, then closes with a retry hint', async () => {
    const ada = newUser();
    const bob = newUser();
    const conversation = await direct(app, ada, bob);
    const first = await post(app, ada, conversation.id, 'first');
    const empty = await readStream(newUser());
    expect(empty).toEqual({ frames: [], retry: 3000, more: false });

    const all = await readStream(bob);
    expect(all.frames).toEqual([{ id: 1, event: 'message.created', data: first }]);
    expect(all.retry).toBe(3000);
    await post(app, bob, conversation.id, 'second');
    const next = await readStream(bob, 1);
    expect(next.frames.map((f) => [f.id, f.event, Message.parse(f.data).text])).toEqual([[2, 'message.created', 'second']]);
    expect((await readStream(bob, 2)).frames).toEqual([]);
    // ?since= does the same for clients that cannot set the header; the header wins.
    expect((await readStream(bob, undefined, '?since=1')).frames.map((f) => f.id)).toEqual([2]);
    expect((await readStream(bob, 0, '?since=1')).frames.map((f) => f.id)).toEqual([1, 2]);
  });

  it('delivers each item exactly once to a client that reconnects between interleaved posts, edits and deletes', async () => {
    const ada = newUser();
    const bob = newUser();
    const cy = newUser();
    const pair = await direct(app, ada, bob);
    const trio = await group(app, cy, [ada, bob]);
    const received: Frame[] = [];
    let last: number | undefined;
    const reconnect = async () => {
      const { frames } = await readStream(bob, last);
      received.push(...frames);
      if (frames.length > 0) last = frames[frames.length - 1]!.id;
    };
    const expected: string[] = [];
    for (let round = 0; round < 6; round++) {
      const posts = await Promise.all([
        post(app, ada, pair.id, `pair ${round}`),
        post(app, cy, trio.id, `trio ${round}`),
        post(app, bob, trio.id, `bob ${round}`),
      ]);
      expected.push(...posts.map((m) => `message.created ${m.id}`));
      if (round % 2 === 0) {
        await call(app, 'PATCH', `/messages/${posts[0]!.id}`, ada, { text: `pair ${round} edited` });
        expected.push(`message.updated ${posts[0]!.id}`);
      } else {
        await call(app, 'DELETE', `/messages/${posts[1]!.id}`, cy);
        expected.push(`message.deleted ${posts[1]!.id}`);
      }
      await reconnect();
    }
    await reconnect();
    const ids = received.map((f) => f.id);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
    const items = received.map((f) => `${f.event} ${Message.parse(f.data).id}`);
    expect(items.sort()).toEqual([...expected].sort());
    expect(new Set(items).size).toBe(items.length);
  });

  it('stops telling a removed member about new messages', async () => {
    const admin = newUser();
    const leaver = newUser();
    const conversation = await group(app, admin, [leaver]);
    await post(app, admin, conversation.id, 'before');
    expect((await call(app, 'DELETE', `/conversations/${conversation.id}/members/${leaver.id}`, admin)).status).toBe(204);
    await post(app, admin, conversation.id, 'after');
    const { frames } = await readStream(leaver);
    expect(frames.map((f) => Message.parse(f.data).text)).toEqual(['before']);
  });

  it('refuses a malformed Last-Event-ID or since, and anonymous callers', async () => {
    const ada = newUser();
    const send = fetchAs(app, '/v1/messaging');
    await expectError(send('GET', '/stream', { as: ada, headers: { 'last-event-id': 'abc' } }), 400);
    await expectError(send('GET', '/stream', { as: ada, headers: { 'last-event-id': '9'.repeat(40) } }), 400);
    await expectError(send('GET', '/stream?since=-3', { as: ada }), 400);
    await expectError(send('GET', '/stream'), 401);
  });
});
