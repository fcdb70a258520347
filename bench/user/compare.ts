// GET /v1/users/health and GET /v1/users/me p50 on the local runtime, this checkout against
// BENCH_BASELINE (another checkout of the repository, installed and built), in alternating rounds
// so the shared machine's background load falls on both alike. Each checkout runs with its own
// spin-local, kit and compiled user-api.wasm, loaded by path.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registerBenchAccount } from './bench-account.ts';

interface App {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  sql(address: string): Promise<{ close(): Promise<void> }>;
  reset(): Promise<void>;
  close(): Promise<void>;
  logs: { text(level: string): string };
}
interface SpinLocal {
  startApp(options: { manifest: string; env: Record<string, string> }): Promise<App>;
}
interface Migrations {
  loadMigrations(files: { fileName: string; sql: string }[]): unknown;
  runMigrations(client: unknown, migrations: unknown): Promise<unknown>;
}

const requests = Number(process.argv[2] ?? 100);
const roundsPerCheckout = 3;
const DB = 'postgres://postgres@127.0.0.1:5432/authorworks_users';
const roots = [
  { label: 'before', dir: resolve(process.env.BENCH_BASELINE as string) },
  { label: 'after', dir: resolve(fileURLToPath(new URL('../..', import.meta.url))) },
];
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const load = <T>(root: string, file: string) => import(pathToFileURL(join(root, file)).href) as Promise<T>;

async function p50(app: App, call: () => Promise<Response>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await call();
    const body = await response.text();
    if (!response.ok) throw new Error(`status ${response.status}: ${body.slice(0, 300)}\n${app.logs.text('error').slice(-2000)}`);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

async function measure(root: string): Promise<{ health: number; me: number }> {
  const { startApp } = await load<SpinLocal>(root, 'packages/spin-local/src/index.ts');
  const { loadMigrations, runMigrations } = await load<Migrations>(root, 'packages/kit/src/migrations.ts');
  const app = await startApp({
    manifest: join(root, 'services/user/spin.toml'),
    env: { SPIN_VARIABLE_AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-00', SPIN_VARIABLE_LOG_LEVEL: 'warn' },
  });
  try {
    const migrationsDir = join(root, 'services/user/migrations');
    const db = await app.sql(DB);
    await runMigrations(db, loadMigrations(readdirSync(migrationsDir).map((fileName) => ({ fileName, sql: readFileSync(join(migrationsDir, fileName), 'utf8') }))));
    await db.close();
    await app.reset();
    const accessToken = await registerBenchAccount(app);
    await p50(app, () => app.fetch('/v1/users/health')); // warm-up: V8's lazy compilation, prepared instances
    const health = await p50(app, () => app.fetch('/v1/users/health'));
    const me = await p50(app, () => app.fetch('/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } }));
    return { health, me };
  } finally {
    await app.close();
  }
}

const results = new Map<string, { health: number[]; me: number[] }>();
for (let round = 1; round <= roundsPerCheckout; round++) {
  for (const root of roots) {
    const loadBefore = loadAverage();
    const { health, me } = await measure(root.dir);
    const entry = results.get(root.label) ?? { health: [], me: [] };
    entry.health.push(health);
    entry.me.push(me);
    results.set(root.label, entry);
    console.log(`round ${round} ${root.label}: GET /v1/users/health p50 ${health.toFixed(1)} ms, GET /v1/users/me p50 ${me.toFixed(1)} ms (${requests} each; load ${loadBefore} → ${loadAverage()})`);
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const [label, entry] of results) {
  console.log(`${label}: health p50 median ${median(entry.health).toFixed(1)} ms, /me p50 median ${median(entry.me).toFixed(1)} ms over ${roundsPerCheckout} rounds`);
}
