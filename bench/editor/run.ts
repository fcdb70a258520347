// The editor service on the local runtime (editor-api with the content-api it asks for
// permissions, as spin-all.toml runs them): operation commit latency (p50) and throughput on one
// document with 1 and with 8 concurrent writers, against a plain authenticated GET of the same
// service in the same run (GET …/operations?since=<head>: the same token check and permission call
// to content, then one indexed read) — the ratio is the figure; and opening a document with
// 10,000 operations in its history.
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-editor bench [rounds]
// Embedded PGlite and Redis by default; the real servers when DB_CONNECTION / REDIS_ADDRESS are set
// (it only adds rows with fresh ids; nothing is reset).
// Build first: `pnpm build --filter editor --filter content`.
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { signAccessToken } from '@authorworks/kit';
import { startApp } from '@authorworks/spin-local';

const rounds = Number(process.argv[2] ?? 60);
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const EDITOR_DB = 'postgres://postgres@127.0.0.1:5432/authorworks_editor';
const HISTORY = 10_000;
const load = () => execSync('uptime').toString().trim().replace(/^.*load average/, 'load average');
console.log(`start: ${load()}`);

const app = await startApp({
  manifest: fileURLToPath(new URL('../../services/editor/test/with-content.spin.toml', import.meta.url)),
  env: {
    SPIN_VARIABLE_AUTH_SECRET: SECRET,
    SPIN_VARIABLE_LOG_LEVEL: 'info',
    SPIN_VARIABLE_EDITOR_REQUESTS_PER_MINUTE: '1000000',
    // Keep the whole seeded history (the default keeps the newest 1,000 operations).
    SPIN_VARIABLE_EDITOR_RETAINED_OPS: String(HISTORY * 2),
  },
  migrate: true,
});

const user = () => {
  const id = randomUUID();
  return { id, headers: { authorization: `Bearer ${signAccessToken({ sub: id, roles: ['user'] }, { secret: SECRET })}`, 'content-type': 'application/json' } };
};
async function call<T>(method: string, path: string, as: { headers: Record<string, string> }, body?: unknown): Promise<T> {
  const response = await app.fetch(path, { method, headers: as.headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}\n${app.logs.text('error').slice(-2000)}`);
  return JSON.parse(text) as T;
}

const author = user();
const writers = [author, ...Array.from({ length: 7 }, user)];
const words = 'storm harbour dragon orchard lantern river empire winter garden mirror falcon desert comet violin glacier meadow'.split(' ');
const chapterText = Array.from({ length: 2000 }, (_, i) => words[(i * 7) % words.length]).join(' ');

async function chapter(text: string): Promise<string> {
  const book = await call<{ id: string }>('POST', '/v1/content/books', author, { title: 'Bench' });
  const made = await call<{ id: string }>('POST', `/v1/content/books/${book.id}/chapters`, author, { title: 'One' });
  await call('PUT', `/v1/content/chapters/${made.id}/content`, author, { baseVersion: 0, content: text, format: 'plain' });
  for (const writer of writers.slice(1)) {
    const invite = await call<{ id: string }>('POST', `/v1/content/books/${book.id}/collaborators`, author, { userId: writer.id, role: 'editor' });
    await call('POST', `/v1/content/invites/${invite.id}/accept`, writer);
  }
  return made.id;
}

const p = (samples: number[], q: number) => [...samples].sort((a, b) => a - b)[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const chapterId = await chapter(chapterText);
const opened = await call<{ version: number; length: number }>('GET', `/v1/editor/documents/${chapterId}`, author);
let head = opened.version;

// Warm both paths (first instantiation, caches).
for (let i = 0; i < 3; i++) {
  head = (await call<{ version: number }>('POST', `/v1/editor/documents/${chapterId}/operations`, author, { baseVersion: head, ops: [10, 'w'] })).version;
  await call('GET', `/v1/editor/documents/${chapterId}/operations?since=${head}`, author);
}

// 1 writer vs 1 reader, alternating so both see the same load.
const commitOne: number[] = [];
const getOne: number[] = [];
let started = performance.now();
for (let round = 0; round < rounds; round++) {
  commitOne.push(
    await timed(async () => {
      head = (await call<{ version: number }>('POST', `/v1/editor/documents/${chapterId}/operations`, author, { baseVersion: head, ops: [1 + ((round * 37) % 9000), 'x'] })).version;
    }),
  );
  getOne.push(await timed(() => call('GET', `/v1/editor/documents/${chapterId}/operations?since=${head}`, author)));
}
const oneWallSeconds = (performance.now() - started) / 1000;

// 8 concurrent writers (each from the version its last commit returned: stale bases, transformed),
// then 8 concurrent readers.
const perWriter = Math.max(5, Math.floor(rounds / 4));
const commitEight: number[] = [];
started = performance.now();
await Promise.all(
  writers.map(async (writer, w) => {
    let base = head;
    for (let i = 0; i < perWriter; i++) {
      commitEight.push(
        await timed(async () => {
          base = (await call<{ version: number }>('POST', `/v1/editor/documents/${chapterId}/operations`, writer, { baseVersion: base, ops: [1 + ((w * 1000 + i * 13) % 9000), 'y'] })).version;
        }),
      );
    }
  }),
);
const eightCommitSeconds = (performance.now() - started) / 1000;
const getEight: number[] = [];
started = performance.now();
await Promise.all(writers.map(async (writer) => {
  for (let i = 0; i < perWriter; i++) getEight.push(await timed(() => call('GET', `/v1/editor/documents/${chapterId}/operations?since=${head}`, writer)));
}));
const eightGetSeconds = (performance.now() - started) / 1000;
console.log(`after the commit runs: ${load()}`);

const sumOne = commitOne.reduce((a, b) => a + b, 0) / 1000;
const getSumOne = getOne.reduce((a, b) => a + b, 0) / 1000;
console.log(`1 writer:  commit p50 ${fmt(p(commitOne, 0.5))} (p90 ${fmt(p(commitOne, 0.9))}), ${(rounds / sumOne).toFixed(1)} ops/s | GET p50 ${fmt(p(getOne, 0.5))}, ${(rounds / getSumOne).toFixed(1)} req/s | ratio commit/GET p50 ${(p(commitOne, 0.5) / p(getOne, 0.5)).toFixed(2)}× (${rounds} each, ${oneWallSeconds.toFixed(1)} s)`);
const totalEight = writers.length * perWriter;
console.log(`8 writers: commit p50 ${fmt(p(commitEight, 0.5))} (p90 ${fmt(p(commitEight, 0.9))}), ${(totalEight / eightCommitSeconds).toFixed(1)} ops/s | 8 readers GET p50 ${fmt(p(getEight, 0.5))}, ${(totalEight / eightGetSeconds).toFixed(1)} req/s | ratio p50 ${(p(commitEight, 0.5) / p(getEight, 0.5)).toFixed(2)}×, throughput GET/commit ${((totalEight / eightGetSeconds) / (totalEight / eightCommitSeconds)).toFixed(2)}× (${totalEight} each)`);
const final = await call<{ version: number; text: string }>('GET', `/v1/editor/documents/${chapterId}`, author);
if (final.version !== head + totalEight) throw new Error(`expected version ${head + totalEight}, got ${final.version}`);

// A document with 10,000 operations of history, seeded in SQL exactly as commits write it (one
// word appended per operation, a snapshot every 100 versions): seeding 10,000 commits through the
// API would take longer than the measurement is worth.
const historyChapter = await chapter('Start.');
await call('GET', `/v1/editor/documents/${historyChapter}`, author);
const db = await app.sql(EDITOR_DB);
let text = 'Start.';
const seedStarted = performance.now();
for (let from = 1; from <= HISTORY; from += 500) {
  const values: string[] = [];
  const snapshots: string[] = [];
  for (let version = from; version < from + 500 && version <= HISTORY; version++) {
    const word = ` ${words[version % words.length]}`;
    const op = JSON.stringify([text.length, word]);
    text += word;
    values.push(`('${historyChapter}', ${version}, ${version}, '${op}', ${text.length}, '${author.id}', ${version - 1})`);
    if (version % 100 === 0) snapshots.push(`('${historyChapter}', ${version}, '${text}', ${text.length})`);
  }
  await db.query(`INSERT INTO operations (chapter_id, version, seq, op, length_after, author_id, base_version) VALUES ${values.join(',')}`);
  if (snapshots.length) await db.query(`INSERT INTO snapshots (chapter_id, version, text, length) VALUES ${snapshots.join(',')}`);
}
await db.query('UPDATE documents SET version = $2::int4, seq = $2::int4, text = $3::text, length = $4::int4 WHERE chapter_id = $1::uuid', [historyChapter, HISTORY, text, text.length]);
await db.close();
console.log(`seeded ${HISTORY} operations in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s (${text.length} characters)`);
const openBig: number[] = [];
const openSmall: number[] = [];
const catchUp: number[] = [];
for (let round = 0; round < Math.max(10, rounds / 3); round++) {
  openBig.push(await timed(() => call('GET', `/v1/editor/documents/${historyChapter}`, author)));
  openSmall.push(await timed(() => call('GET', `/v1/editor/documents/${chapterId}`, author)));
  catchUp.push(await timed(() => call('GET', `/v1/editor/documents/${historyChapter}/operations?since=${HISTORY - 100}`, author)));
}
const check = await call<{ version: number; text: string }>('GET', `/v1/editor/documents/${historyChapter}`, author);
if (check.version !== HISTORY || check.text !== text) throw new Error('the seeded document did not open as seeded');
console.log(`open, ${HISTORY} ops of history: p50 ${fmt(p(openBig, 0.5))} | open, ${final.version} ops: p50 ${fmt(p(openSmall, 0.5))} | catch up 100 ops of the long one: p50 ${fmt(p(catchUp, 0.5))}`);
console.log(`end: ${load()}`);
await app.close();
