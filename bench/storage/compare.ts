// A direct upload and download through the storage service against a direct PUT/GET of the same
// bytes to the same S3 server, for this checkout and BENCH_BASELINE (another checkout of the
// repository, installed and built) in alternating rounds, so the shared machine's load falls on
// both alike. Each checkout runs with its own spin-local, kit and compiled component, loaded by
// path; s3rver runs in one child process for both. Per path: the end-to-end p50, the ratio to the
// direct transfer of the same round, and the component's own `ms` with its db/Redis part and call
// counts from its request log (the guest time, which real Spin would show too).
//   BENCH_BASELINE=<checkout> pnpm --filter @authorworks/bench-storage bench [transfers per round]
// Without BENCH_BASELINE (BENCH_ONLY=compare) this checkout alone. BENCH_SIZES=1,20 (MiB),
// BENCH_ROUNDS=3 per checkout. BENCH_LOG_LEVEL=debug also prints the medians of the kit's
// `request stages` line and of the service's debug lines (`upload stored`, …); BENCH_SETTLE_MS a
// pause before each timed request; BENCH_SAMPLES=1 every sample.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface App {
  readonly url: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
  logs: { lines: { kind: string; text: string }[]; text(kind?: string): string };
}
interface SpinLocal {
  startApp(options: { manifest: string; components?: string[]; env: Record<string, string>; migrate: boolean }): Promise<App>;
}
interface Kit {
  signAccessToken(subject: { sub: string; roles: string[] }, options: { secret: string }): string;
  signS3Request(request: { method: string; url: string; accessKeyId: string; secretAccessKey: string; region: string; time: number }): Promise<{ url: string; headers: Headers }>;
}

/**
 * A timed request as a client of the server sees it: the harness's own `fetch` also waits for
 * what the guest does after answering (FetchEvent.waitUntil), which no client waits for.
 */
const client = (app: App, path: string, init?: RequestInit) => fetch(new URL(path, app.url), init);

const transfers = Number(process.argv[2] ?? 15);
const roundsPerCheckout = Number(process.env.BENCH_ROUNDS ?? 3);
const sizes = (process.env.BENCH_SIZES ?? '1,20').split(',').map((mib) => Number(mib) * 1024 * 1024);
const logLevel = process.env.BENCH_LOG_LEVEL ?? 'info';
/** A pause before each timed request, so none pays for the runtime's work after the one before (instances prepared ahead, collections). */
const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 0);
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const MiB = 1024 * 1024;
const roots = [
  ...(process.env.BENCH_BASELINE ? [{ label: 'before', dir: resolve(process.env.BENCH_BASELINE) }] : []),
  { label: process.env.BENCH_BASELINE ? 'after' : 'this', dir: resolve(fileURLToPath(new URL('../..', import.meta.url))) },
];
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const load = <T>(root: string, file: string) => import(pathToFileURL(join(root, file)).href) as Promise<T>;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const r1 = (n: number) => Math.round(n * 10) / 10;

const s3 = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('s3-server.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((done) => s3.stdout.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim()))));
const endpoint = `http://127.0.0.1:${port}`;

/** Samples per path: end to end (ms), and the JSON log lines the component wrote for it. */
type Samples = Map<string, { e2e: number[]; lines: Record<string, unknown>[] }>;

async function measure(root: string, samples: Samples): Promise<void> {
  const { startApp } = await load<SpinLocal>(root, 'packages/spin-local/src/index.ts');
  const kit = await load<Kit>(root, 'packages/kit/src/index.ts');
  const app = await startApp({
    manifest: join(root, 'services/storage/spin.toml'),
    // The API alone, as run.ts: the storage worker hashes every streamed upload after its answer
    // (~1.1 s of guest time for 20 MiB in a SPIN_LOCAL_TRACE_FILE report; digests.ts measures that
    // path) and would do it beside the download that follows.
    components: ['storage-api'],
    env: {
      SPIN_VARIABLE_AUTH_SECRET: SECRET,
      SPIN_VARIABLE_LOG_LEVEL: logLevel,
      SPIN_VARIABLE_STORAGE_QUOTA_BYTES: String(64 * 1024 * MiB),
      MINIO_ENDPOINT: endpoint,
      MINIO_ACCESS_KEY: 'S3RVER',
      MINIO_SECRET_KEY: 'S3RVER',
    },
    migrate: true,
  });
  const headers = { authorization: `Bearer ${kit.signAccessToken({ sub: randomUUID(), roles: ['user'] }, { secret: SECRET })}` };
  const direct = async (method: 'PUT' | 'GET', key: string, body?: Uint8Array<ArrayBuffer>) => {
    const signed = await kit.signS3Request({ method, url: `${endpoint}/authorworks/bench/${key}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1', time: Date.now() });
    return fetch(signed.url, { method, headers: signed.headers, ...(body ? { body } : {}) });
  };
  async function timed(label: string, call: () => Promise<Response>, record: boolean): Promise<Uint8Array> {
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    const from = app.logs.lines.length;
    const started = performance.now();
    const response = await call();
    const body = new Uint8Array(await response.arrayBuffer());
    const ms = performance.now() - started;
    if (!response.ok) throw new Error(`${label}: ${response.status} ${new TextDecoder().decode(body.subarray(0, 300))}\n${app.logs.text('error').slice(-2000)}`);
    if (!record) return body;
    const entry = samples.get(label) ?? { e2e: [], lines: [] };
    entry.e2e.push(ms);
    for (const line of app.logs.lines.slice(from)) {
      const start = line.text.indexOf('{');
      if (line.kind === 'guest' && start >= 0) entry.lines.push(JSON.parse(line.text.slice(start)) as Record<string, unknown>);
    }
    samples.set(label, entry);
    return body;
  }
  try {
    for (const size of sizes) {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) & 0xff;
      const sha256 = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
      const mib = `${size / MiB} MiB`;
      // Three of each first, not counted: V8's lazy compilation, prepared instances. The
      // sequence is run.ts's: upload, download, direct PUT, direct GET, delete.
      for (let i = -3; i < transfers; i++) {
        const record = i >= 0;
        const upload = JSON.parse(new TextDecoder().decode(await timed(`upload ${mib}`, () => client(app, '/v1/storage/files?filename=bench.bin', { method: 'POST', headers, body: bytes }), record))) as { id: string };
        const got = await timed(`download ${mib}`, () => client(app, `/v1/storage/files/${upload.id}/content`, { headers }), record);
        if (got.byteLength !== size) throw new Error(`downloaded ${got.byteLength} of ${size}`);
        await timed(`direct PUT ${mib}`, () => direct('PUT', `${size}-${i}`, bytes), record);
        await timed(`direct GET ${mib}`, () => direct('GET', `${size}-${i}`), record);
        await app.fetch(`/v1/storage/files/${upload.id}`, { method: 'DELETE', headers });
      }
      if (size > 4 * MiB) continue;
      // The other direct path (read whole, verified against a declared checksum), and a record's GET.
      for (let i = -3; i < transfers; i++) {
        const record = i >= 0;
        const checked = JSON.parse(
          new TextDecoder().decode(await timed(`upload ${mib}, X-Checksum-SHA256`, () => client(app, '/v1/storage/files?filename=bench.bin', { method: 'POST', headers: { ...headers, 'x-checksum-sha256': sha256 }, body: bytes }), record)),
        ) as { id: string };
        await timed('GET /files/{id}', () => client(app, `/v1/storage/files/${checked.id}`, { headers }), record);
        await app.fetch(`/v1/storage/files/${checked.id}`, { method: 'DELETE', headers });
      }
    }
  } finally {
    await app.close();
  }
}

const results = new Map<string, Samples>(roots.map((root) => [root.label, new Map()]));
console.log(`${transfers} transfers per size, path and round, ${roundsPerCheckout} rounds per checkout, log_level ${logLevel}, ${settleMs} ms pause before each, backends: ${process.env.DB_CONNECTION ? 'real' : 'embedded'}`);
for (let round = 1; round <= roundsPerCheckout; round++) {
  for (const root of roots) {
    const before = loadAverage();
    await measure(root.dir, results.get(root.label)!);
    console.log(`round ${round} ${root.label} (${root.dir}): load ${before} → ${loadAverage()}`);
  }
}

/** Medians of the numeric fields of the lines with message `msg`. */
function lineMedians(lines: Record<string, unknown>[], msg: string): string {
  const matching = lines.filter((line) => line.msg === msg);
  if (matching.length === 0) return '';
  const fields = [...new Set(matching.flatMap((line) => Object.keys(line).filter((key) => typeof line[key] === 'number')))];
  return fields.map((field) => `${field} ${Math.round(median(matching.map((line) => (line[field] as number | undefined) ?? 0)) * 100) / 100}`).join(', ');
}

for (const [label, samples] of results) {
  console.log(`\n${label}: p50 end to end (ratio to the direct transfer) | guest ms, of which db / Redis (calls)`);
  for (const [path, { e2e, lines }] of samples) {
    if (process.env.BENCH_SAMPLES) console.log(`  ${path}: ${e2e.map((ms) => ms.toFixed(0)).join(' ')}`);
    if (process.env.BENCH_SAMPLES === 'lines') for (const line of lines) console.log(`    ${JSON.stringify(Object.fromEntries(Object.entries(line).filter(([key, value]) => typeof value === 'number' || key === 'msg')))}`);
    if (path.startsWith('direct')) continue;
    const size = /(\d+) MiB/.exec(path)?.[1];
    const direct = path.startsWith('upload') ? samples.get(`direct PUT ${size} MiB`) : path.startsWith('download') ? samples.get(`direct GET ${size} MiB`) : undefined;
    const requests = lines.filter((line) => line.msg === 'request');
    const guest = (field: string) => r1(median(requests.map((line) => (line[field] as number | undefined) ?? 0)));
    console.log(
      `  ${path.padEnd(32)} ${r1(median(e2e)).toString().padStart(6)} ms${direct ? ` (${(median(e2e) / median(direct.e2e)).toFixed(2)}× ${r1(median(direct.e2e))})` : ''}` +
        ` | ${guest('ms')} ms, db ${guest('dbMs')} (${guest('dbCalls')}), Redis ${guest('redisMs')} (${guest('redisCalls')})`,
    );
    if (logLevel === 'debug') {
      for (const msg of new Set(lines.map((line) => String(line.msg)))) if (msg !== 'request') console.log(`      ${msg}: ${lineMedians(lines, msg)}`);
    }
  }
}
s3.kill('SIGTERM');
