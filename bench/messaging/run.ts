// The messaging service on the local runtime (both components, as `pnpm start` runs them), each
// figure beside a baseline measured in the same run, with the machine's load average (`uptime`):
// - post: p50/p90 of POST /conversations/{id}/messages in a direct conversation and in a group of
//   50 (one feed item per member), against GET /health (the runtime's floor per request);
// - stream catch-up: GET /stream with 1,000 pending items, against the same with none pending;
// - processor: collaborator.invited events on content-events turned into notifications, events
//   per second, against as many events of a type it ignores (the floor per message).
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-messaging bench [rounds] [events]
// Embedded PGlite and Redis by default; the real servers when DB_CONNECTION / REDIS_ADDRESS are set.
// Build first: `pnpm build --filter messaging`.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { signAccessToken } from '@authorworks/kit';
import { startApp } from '@authorworks/spin-local';

const rounds = Number(process.argv[2] ?? 40);
const EVENTS = Number(process.argv[3] ?? 200);
const PENDING = 1000;
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const DB = 'postgres://postgres@127.0.0.1:5432/authorworks_messaging';
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim().replace(/^.*load average/, 'load average');

console.log(`start: ${load()}`);
const app = await startApp({
  manifest: fileURLToPath(new URL('../../services/messaging/spin.toml', import.meta.url)),
  env: { SPIN_VARIABLE_AUTH_SECRET: SECRET, SPIN_VARIABLE_LOG_LEVEL: 'warn', SPIN_VARIABLE_MESSAGES_PER_MINUTE: '100000' },
  migrate: true,
});
const db = await app.sql(DB);

const user = () => {
  const id = randomUUID();
  return { id, headers: { authorization: `Bearer ${signAccessToken({ sub: id, roles: ['user'] }, { secret: SECRET })}`, 'content-type': 'application/json' } };
};

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await app.fetch(`/v1/messaging${path}`, init);
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p90: at(0.9), min: sorted[0]! };
}

async function time(label: string, request: (round: number) => Promise<Response>) {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await (await request(round)).arrayBuffer();
    samples.push(performance.now() - started);
  }
  const { p50, p90, min } = summary(samples);
  console.log(`${label}: p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, min ${min.toFixed(1)} ms (${rounds} requests)`);
  return p50;
}

// ── Post ─────────────────────────────────────────────────────────────────
const sender = user();
const friend = user();
const pair = (await (await call('/conversations', { method: 'POST', headers: sender.headers, body: JSON.stringify({ kind: 'direct', userId: friend.id }) })).json()) as { id: string };
const crowd = Array.from({ length: 49 }, () => user().id);
const group = (await (await call('/conversations', { method: 'POST', headers: sender.headers, body: JSON.stringify({ kind: 'group', name: 'Bench', memberIds: crowd }) })).json()) as { id: string };
const health = await time('baseline GET /v1/messaging/health', () => call('/health'));
const direct = await time('POST message, direct conversation (2 feeds)', (round) =>
  call(`/conversations/${pair.id}/messages`, { method: 'POST', headers: sender.headers, body: JSON.stringify({ text: `message ${round}` }) }),
);
const fanout = await time('POST message, group of 50 (50 feeds)', (round) =>
  call(`/conversations/${group.id}/messages`, { method: 'POST', headers: sender.headers, body: JSON.stringify({ text: `message ${round}` }) }),
);
console.log(`  post over the health floor: direct +${(direct - health).toFixed(1)} ms, group of 50 +${(fanout - health).toFixed(1)} ms`);

// ── Stream catch-up ──────────────────────────────────────────────────────
// 1,000 pending items for one reader, written through the API (posts by 10 senders in a group
// with the reader), so each is a real message snapshot in the reader's feed.
const reader = user();
const senders = Array.from({ length: 10 }, () => user());
const room = (await (await call('/conversations', { method: 'POST', headers: senders[0]!.headers, body: JSON.stringify({ kind: 'group', name: 'Catch-up', memberIds: [reader.id, ...senders.slice(1).map((s) => s.id)] }) })).json()) as { id: string };
const seedStarted = performance.now();
const { rows } = await db.query('SELECT last_seq FROM feed_heads WHERE user_id = $1::uuid', [reader.id]);
let pending = Number(rows[0]?.last_seq ?? 0);
for (let i = 0; pending < PENDING; i++, pending++) {
  const from = senders[i % senders.length]!;
  await call(`/conversations/${room.id}/messages`, { method: 'POST', headers: from.headers, body: JSON.stringify({ text: `pending ${i}: a line of text of ordinary length for a chat message` }) });
}
console.log(`seeded ${PENDING} pending items through the API in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
const empty = user();
const none = await time('baseline GET /stream, nothing pending', () => call('/stream', { headers: empty.headers }));
let items = 0;
const full = await time(`GET /stream, ${PENDING} pending`, async () => {
  const response = await call('/stream', { headers: reader.headers });
  const copy = response.clone();
  items = (await copy.text()).split('\n').filter((line) => line.startsWith('id: ')).length;
  return response;
});
if (items !== PENDING) throw new Error(`the stream sent ${items} items, not ${PENDING}`);
console.log(`  catch-up of ${PENDING} items over the empty stream: +${(full - none).toFixed(1)} ms`);

// ── Processor ────────────────────────────────────────────────────────────
const envelope = (type: string, data: unknown) =>
  JSON.stringify({ id: randomUUID(), type, source: 'bench', time: new Date().toISOString(), subject: randomUUID(), data, correlationId: 'bench' });
async function throughput(label: string, make: (i: number) => string) {
  await app.waitForIdle();
  const started = performance.now();
  await Promise.all(Array.from({ length: EVENTS }, (_, i) => app.app.publish('content-events', make(i))));
  await app.waitForIdle();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label}: ${EVENTS} events in ${seconds.toFixed(1)} s = ${(EVENTS / seconds).toFixed(1)} events/s`);
  return seconds;
}
await throughput('baseline: events of a type the processor ignores', () => envelope('bench.ignored', {}));
const invitee = user();
await throughput('collaborator.invited → notification', (i) =>
  envelope('collaborator.invited', { inviteId: randomUUID(), bookId: randomUUID(), bookTitle: `Book ${i}`, userId: invitee.id, role: 'editor', invitedBy: sender.id }),
);
const made = await db.query('SELECT count(*)::int AS n FROM notifications WHERE user_id = $1::uuid', [invitee.id]);
if (Number(made.rows[0]?.n) !== EVENTS) throw new Error(`${String(made.rows[0]?.n)} notifications made, not ${EVENTS}`);
console.log(`  ${EVENTS} notifications made, one per event`);

console.log(`end: ${load()} (backends: ${app.app.backends.postgres} Postgres, ${app.app.backends.redis} Redis)`);
await db.close();
await app.close();
