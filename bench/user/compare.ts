// Authenticated reads on the local runtime, this checkout against BENCH_BASELINE (another
// checkout of the repository, installed and built), in alternating rounds so the shared
// machine's background load falls on both alike. Each checkout runs with its own spin-local, kit
// and compiled components, loaded by path. Per route: the end-to-end p50 (a request over HTTP)
// and, beside it, the median of the component's own `ms` from its request log — the guest time,
// which is what real Spin would show too. Routes: GET /v1/users/health, GET /v1/users/me,
// GET /v1/content/books/{id} (signed in as its author). BENCH_ROUTES=jobs measures a service with
// a jobs queue instead (audio-api alone, so its rate-limited jobs sweep runs after every request):
// GET /v1/audio/jobs/{id} signed in as the job's owner, and GET /v1/audio/health without a token.
// BENCH_LOG_LEVEL=debug also prints the median of each stage of the kit's `request stages` line
// (request-profile.ts) for a checkout whose kit writes it.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registerBenchAccount } from './bench-account.ts';

interface App {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  reset(): Promise<void>;
  close(): Promise<void>;
  logs: { lines: { text: string }[]; text(kind?: string): string };
}
interface SpinLocal {
  startApp(options: { manifest: string; env: Record<string, string>; migrate: boolean; components?: string[] }): Promise<App>;
}
interface Kit {
  signAccessToken(subject: { sub: string; roles: string[] }, options: { secret: string }): string;
}

const requests = Number(process.argv[2] ?? 100);
const roundsPerCheckout = 3;
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
const routes = process.env.BENCH_ROUTES ?? 'user';
if (routes !== 'user' && routes !== 'jobs') throw new Error(`BENCH_ROUTES is user (the default) or jobs, not ${routes}`);
const env = { SPIN_VARIABLE_AUTH_SECRET: SECRET, SPIN_VARIABLE_LOG_LEVEL: logLevel };
const roots = [
  { label: 'before', dir: resolve(process.env.BENCH_BASELINE as string) },
  { label: 'after', dir: resolve(fileURLToPath(new URL('../..', import.meta.url))) },
];
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const load = <T>(root: string, file: string) => import(pathToFileURL(join(root, file)).href) as Promise<T>;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Figures {
  /** End-to-end p50, ms. */
  e2e: number;
  /** Median of the component's own `ms` (its request log). */
  guest: number | undefined;
  /** Medians of the part of it spent waiting on the database and Redis (the request log's dbMs, redisMs). */
  db: number;
  redis: number;
  /** Medians of the calls made to each (the request log's dbCalls, redisCalls; opens not counted). */
  dbCalls: number;
  redisCalls: number;
  /** Median per stage of the `request stages` lines, when written. */
  stages: Record<string, number>;
}

/** The JSON log lines the component wrote for `path` with `msg`, newest `count`. */
function logRecords(app: App, msg: string, path: string, count: number): Record<string, unknown>[] {
  return app.logs.lines
    .map((line) => line.text)
    .filter((text) => text.includes(`"msg":"${msg}"`) && text.includes(`"path":"${path}"`))
    .slice(-count)
    .map((text) => JSON.parse(text.slice(text.indexOf('{'))) as Record<string, unknown>);
}

async function measureRoute(app: App, path: string, headers: Record<string, string> = {}): Promise<Figures> {
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await app.fetch(path, { headers });
    const body = await response.text();
    if (!response.ok) throw new Error(`${path}: status ${response.status}: ${body.slice(0, 300)}\n${app.logs.text('error').slice(-2000)}`);
    samples.push(performance.now() - started);
  }
  const records = logRecords(app, 'request', path, requests);
  const guest = records.map((record) => record.ms as number);
  const profiles = logRecords(app, 'request stages', path, requests);
  const stages: Record<string, number> = {};
  for (const stage of Object.keys(profiles[0] ?? {}).filter((key) => typeof profiles[0]![key] === 'number')) {
    stages[stage] = median(profiles.map((profile) => (profile[stage] as number | undefined) ?? 0));
  }
  const backend = (field: string) => (records.length > 0 ? median(records.map((record) => (record[field] as number | undefined) ?? 0)) : 0);
  return { e2e: median(samples), guest: guest.length > 0 ? median(guest) : undefined, db: backend('dbMs'), redis: backend('redisMs'), dbCalls: backend('dbCalls'), redisCalls: backend('redisCalls'), stages };
}

/** Signed in as a new user, creates a resource by POSTing `body` to `path`: its id, and the user's headers. */
async function createAsNewUser(app: App, signAccessToken: Kit['signAccessToken'], path: string, body: unknown): Promise<{ id: string; headers: Record<string, string> }> {
  const headers = { authorization: `Bearer ${signAccessToken({ sub: crypto.randomUUID(), roles: ['user'] }, { secret: SECRET })}` };
  const created = await app.fetch(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!created.ok) throw new Error(`POST ${path}: ${created.status} ${await created.text()}`);
  return { id: ((await created.json()) as { id: string }).id, headers };
}

async function measure(root: string): Promise<Record<string, Figures>> {
  const { startApp } = await load<SpinLocal>(root, 'packages/spin-local/src/index.ts');
  const { signAccessToken } = await load<Kit>(root, 'packages/kit/src/index.ts');
  if (routes === 'jobs') return measureJobs(root, startApp, signAccessToken);
  const figures: Record<string, Figures> = {};
  const users = await startApp({ manifest: join(root, 'services/user/spin.toml'), env, migrate: true });
  try {
    await users.reset();
    const accessToken = await registerBenchAccount(users);
    await measureRoute(users, '/v1/users/health'); // warm-up: V8's lazy compilation, prepared instances
    figures['GET /v1/users/health'] = await measureRoute(users, '/v1/users/health');
    figures['GET /v1/users/me'] = await measureRoute(users, '/v1/users/me', { authorization: `Bearer ${accessToken}` });
  } finally {
    await users.close();
  }
  const content = await startApp({ manifest: join(root, 'services/content/spin.toml'), env, migrate: true, components: ['content-api'] });
  try {
    await content.reset();
    const { id, headers } = await createAsNewUser(content, signAccessToken, '/v1/content/books', { title: 'Bench', description: 'A book to read back', tags: ['bench'] });
    await measureRoute(content, `/v1/content/books/${id}`, headers); // warm-up
    figures['GET /v1/content/books/{id}'] = await measureRoute(content, `/v1/content/books/${id}`, headers);
  } finally {
    await content.close();
  }
  return figures;
}

/** A queued audio job read back by its owner; no worker runs, so it stays as it was made. */
async function measureJobs(root: string, startApp: SpinLocal['startApp'], signAccessToken: Kit['signAccessToken']): Promise<Record<string, Figures>> {
  const figures: Record<string, Figures> = {};
  const audio = await startApp({ manifest: join(root, 'services/audio/spin.toml'), env, migrate: true, components: ['audio-api'] });
  try {
    await audio.reset();
    const { id, headers } = await createAsNewUser(audio, signAccessToken, '/v1/audio/jobs', { kind: 'probe', payload: { fileId: crypto.randomUUID() } });
    await measureRoute(audio, `/v1/audio/jobs/${id}`, headers); // warm-up
    figures['GET /v1/audio/jobs/{id}'] = await measureRoute(audio, `/v1/audio/jobs/${id}`, headers);
    await measureRoute(audio, '/v1/audio/health'); // warm-up
    figures['GET /v1/audio/health'] = await measureRoute(audio, '/v1/audio/health');
  } finally {
    await audio.close();
  }
  return figures;
}

const format = (figures: Figures) =>
  `p50 ${figures.e2e.toFixed(1)} ms${figures.guest === undefined ? '' : ` (guest ${figures.guest} ms${figures.db || figures.redis ? `, of which db ${figures.db}, Redis ${figures.redis}; calls ${figures.dbCalls} / ${figures.redisCalls}` : ''})`}`;
const results = new Map<string, Map<string, Figures[]>>();
console.log(`${requests} requests per route and round, ${roundsPerCheckout} rounds per checkout, routes ${routes}, log_level ${logLevel}, backends: ${process.env.DB_CONNECTION ? 'real' : 'embedded'}`);
for (let round = 1; round <= roundsPerCheckout; round++) {
  for (const root of roots) {
    const loadBefore = loadAverage();
    const figures = await measure(root.dir);
    const byRoute = results.get(root.label) ?? new Map<string, Figures[]>();
    for (const [route, value] of Object.entries(figures)) byRoute.set(route, [...(byRoute.get(route) ?? []), value]);
    results.set(root.label, byRoute);
    const summary = Object.entries(figures).map(([route, value]) => `${route} ${format(value)}`).join('; ');
    console.log(`round ${round} ${root.label}: ${summary} (load ${loadBefore} → ${loadAverage()})`);
  }
}

console.log('\nmedians over the rounds (end-to-end p50 | guest ms):');
const before = results.get('before')!;
for (const [route, afterRounds] of results.get('after')!) {
  const beforeRounds = before.get(route)!;
  const row = (rounds: Figures[]) => ({
    e2e: median(rounds.map((r) => r.e2e)),
    guest: median(rounds.map((r) => r.guest ?? Number.NaN)),
    backends: `db ${median(rounds.map((r) => r.db))}, Redis ${median(rounds.map((r) => r.redis))}; calls ${median(rounds.map((r) => r.dbCalls))} / ${median(rounds.map((r) => r.redisCalls))}`,
  });
  const [b, a] = [row(beforeRounds), row(afterRounds)];
  console.log(
    `${route}: before ${b.e2e.toFixed(1)} | ${b.guest} ms (${b.backends}), after ${a.e2e.toFixed(1)} | ${a.guest} ms (${a.backends})` +
      ` (after/before: end to end ×${(a.e2e / b.e2e).toFixed(2)}${b.guest > 0 ? `, guest ×${(a.guest / b.guest).toFixed(2)}` : ''})`,
  );
  for (const [label, rounds] of [['before', beforeRounds], ['after', afterRounds]] as const) {
    const stageNames = Object.keys(rounds[0]!.stages);
    if (stageNames.length === 0) continue;
    console.log(`  ${label} stages (ms): ${stageNames.map((stage) => `${stage} ${median(rounds.map((r) => r.stages[stage] ?? 0))}`).join(', ')}`);
  }
}
