// Latency of the content service on the local runtime (both components, as `pnpm start` runs
// them): p50/p90 of a chapter save (PUT /chapters/{id}/content, ~2,000 words, a new version each
// time) and of a catalog search (GET /catalog?q=) with 1,000 published public books.
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-content bench [rounds]
// Embedded PGlite and Redis by default; the real servers when DB_CONNECTION / REDIS_ADDRESS are set.
// Build first: `pnpm build --filter content`.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { signAccessToken } from '@authorworks/kit';
import { startApp } from '@authorworks/spin-local';

const rounds = Number(process.argv[2] ?? 40);
const BOOKS = 1000;
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const DB = 'postgres://postgres@127.0.0.1:5432/authorworks_content';
const serviceDir = new URL('../../services/content/', import.meta.url);

const app = await startApp({
  manifest: fileURLToPath(new URL('spin.toml', serviceDir)),
  env: { SPIN_VARIABLE_AUTH_SECRET: SECRET, SPIN_VARIABLE_LOG_LEVEL: 'info' },
  migrate: true,
});
const db = await app.sql(DB);
await app.reset();

const author = randomUUID();
const headers = { authorization: `Bearer ${signAccessToken({ sub: author, roles: ['user', 'admin'] }, { secret: SECRET })}`, 'content-type': 'application/json' };
const reader = { authorization: `Bearer ${signAccessToken({ sub: randomUUID(), roles: ['user'] }, { secret: SECRET })}` };

// 1,000 published public books with descriptions drawn from a small vocabulary, inserted in SQL
// (seeding through the API would take minutes and is not what is measured), then the derived
// rows built through the admin reconcile endpoint, exactly as the worker would build them.
const vocabulary = 'storm harbour dragon orchard lantern river empire winter garden mirror falcon desert comet violin glacier meadow fortress whisper ember tide'.split(' ');
const pick = (i: number, k: number) => vocabulary[(i * 7 + k * 13) % vocabulary.length]!;
const seedStarted = performance.now();
for (let batch = 0; batch < BOOKS; batch += 250) {
  const values: string[] = [];
  for (let i = batch; i < batch + 250; i++) {
    values.push(`('${author}', 'Book ${i} of the ${pick(i, 0)}', 'A tale of ${pick(i, 1)} and ${pick(i, 2)} by the ${pick(i, 3)}.', 'fantasy', 'public', 'published', now() - make_interval(secs => ${i}), now())`);
  }
  await db.query(`INSERT INTO books (author_id, title, description, genre, visibility, status, published_at, updated_at) VALUES ${values.join(',')}`);
}
// Batches: on the local runtime a request traps after a few MB of JS allocation (see the report).
const batch = Number(process.env.RECONCILE_BATCH ?? 50);
let repaired = 0;
for (;;) {
  const response = await app.fetch(`/v1/content/admin/reconcile?limit=${batch}`, { method: 'POST', headers });
  if (!response.ok) throw new Error(`reconcile: ${response.status} ${await response.text()}\n${app.logs.text("error")}`);
  const result = (await response.json()) as { repaired: number; more: boolean };
  repaired += result.repaired;
  if (!result.more) break;
}
console.log(`seeded ${BOOKS} published books, ${repaired} statistics/search documents built in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

async function time(label: string, call: (round: number) => Promise<Response>) {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const response = await call(round);
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${label}: ${response.status}`);
    samples.push(performance.now() - started);
    await app.waitForIdle(); // the worker's recompute is not part of the request
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(1);
  console.log(`${label}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${samples[0]!.toFixed(1)} ms (${rounds} requests)`);
}

const book = (await (await app.fetch('/v1/content/books', { method: 'POST', headers, body: JSON.stringify({ title: 'Bench' }) })).json()) as { id: string };
const chapter = (await (await app.fetch(`/v1/content/books/${book.id}/chapters`, { method: 'POST', headers, body: JSON.stringify({ title: 'One' }) })).json()) as { id: string };
const text = Array.from({ length: 2000 }, (_, i) => pick(i, i % 3)).join(' ');
await time('PUT /v1/content/chapters/{id}/content (2,000 words)', (round) =>
  app.fetch(`/v1/content/chapters/${chapter.id}/content`, { method: 'PUT', headers, body: JSON.stringify({ baseVersion: round, content: `${text} ${round}` }) }),
);

const found = (await (await app.fetch('/v1/content/catalog?q=dragon', { headers: reader })).json()) as { items: unknown[] };
if (found.items.length === 0) throw new Error('catalog search found nothing: the seed did not work');
await time(`GET /v1/content/catalog?q=<word> over ${BOOKS} books`, (round) => app.fetch(`/v1/content/catalog?q=${vocabulary[round % vocabulary.length]}`, { headers: reader }));
await time('GET /v1/content/catalog (browse, newest first)', () => app.fetch('/v1/content/catalog', { headers: reader }));

// Time inside the component, from its own request log line (without the runtime's instantiation).
const guest = (path: RegExp) =>
  app.logs.lines
    .map((line) => new RegExp(`"path":"${path.source}","status":200,"ms":([\\d.]+)`).exec(line.text)?.[1])
    .filter((value): value is string => value !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
for (const [label, path] of [['chapter save', /\/v1\/content\/chapters\/[^/]+\/content/], ['catalog', /\/v1\/content\/catalog/]] as const) {
  const ms = guest(path);
  if (ms.length) console.log(`  inside the component, ${label}: median ${ms[Math.floor(ms.length / 2)]} ms`);
}
await db.close();
await app.close();
