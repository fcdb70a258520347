// The storage service's transfer cost on the local runtime: upload (POST /files) and download
// (GET /files/{id}/content) of 1 MiB and 20 MiB files against a direct PUT/GET of the same bytes
// to the same S3 server in the same run (the ratio is the figure; target ≤ 2×), and the runtime
// process's peak RSS during a 20 MiB upload (target: it rises by less than 3× the file).
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-storage bench [rounds]
// s3rver runs in a child process so this process is the runtime (and the bench's client).
// Embedded PGlite and Redis by default; the real servers when DB_CONNECTION / REDIS_ADDRESS are set.
// Build first: `pnpm build --filter storage`.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signAccessToken, signS3Request } from '@authorworks/kit';
import { startApp } from '@authorworks/spin-local';

const rounds = Number(process.argv[2] ?? 7);
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const MiB = 1024 * 1024;

process.setMaxListeners(0);
const s3 = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('s3-server.ts', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => s3.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
const endpoint = `http://127.0.0.1:${port}`;

const app = await startApp({
  manifest: fileURLToPath(new URL('../../services/storage/spin.toml', import.meta.url)),
  env: {
    SPIN_VARIABLE_AUTH_SECRET: SECRET,
    SPIN_VARIABLE_LOG_LEVEL: 'warn',
    SPIN_VARIABLE_STORAGE_QUOTA_BYTES: String(64 * 1024 * MiB),
    MINIO_ENDPOINT: endpoint,
    MINIO_ACCESS_KEY: 'S3RVER',
    MINIO_SECRET_KEY: 'S3RVER',
  },
  migrate: true,
});
const headers = { authorization: `Bearer ${signAccessToken({ sub: randomUUID(), roles: ['user'] }, { secret: SECRET })}` };

const direct = async (method: 'PUT' | 'GET', key: string, body?: Uint8Array<ArrayBuffer>) => {
  const signed = await signS3Request({ method, url: `${endpoint}/authorworks/bench/${key}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1', time: Date.now() });
  return fetch(signed.url, { method, headers: signed.headers, ...(body ? { body } : {}) });
};

async function timed(call: () => Promise<Response>): Promise<{ ms: number; body: Uint8Array; bytes: number }> {
  const started = performance.now();
  const response = await call();
  const body = new Uint8Array(await response.arrayBuffer());
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`${response.status} ${new TextDecoder().decode(body.subarray(0, 500))} ${app.logs.text('error').slice(-2000)}`);
  return { ms, body, bytes: body.byteLength };
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const line = (label: string, size: number, service: number[], plain: number[]) => {
  const mbps = (ms: number) => (size / MiB / (ms / 1000)).toFixed(1);
  console.log(
    `${label.padEnd(22)} service p50 ${median(service).toFixed(0).padStart(5)} ms (${mbps(median(service)).padStart(6)} MiB/s)   direct p50 ${median(plain).toFixed(0).padStart(5)} ms (${mbps(median(plain)).padStart(6)} MiB/s)   ratio ${(median(service) / median(plain)).toFixed(2)}×`,
  );
};

console.log(`load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}; ${rounds} rounds per figure`);
for (const size of [1 * MiB, 20 * MiB]) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) & 0xff;
  const up: number[] = [];
  const down: number[] = [];
  const directUp: number[] = [];
  const directDown: number[] = [];
  // One warm-up of each, not counted.
  for (let round = -1; round < rounds; round++) {
    const upload = await timed(() => app.fetch('/v1/storage/files?filename=bench.bin', { method: 'POST', headers, body: bytes }));
    const fileId = (JSON.parse(new TextDecoder().decode(upload.body)) as { id: string }).id;
    const download = await timed(() => app.fetch(`/v1/storage/files/${fileId}/content`, { headers }));
    if (download.bytes !== size) throw new Error(`downloaded ${download.bytes} of ${size}`);
    const key = `${size}-${round}`;
    const put = await timed(() => direct('PUT', key, bytes));
    const get = await timed(() => direct('GET', key));
    if (get.bytes !== size) throw new Error(`direct GET ${get.bytes} of ${size}`);
    if (round >= 0) {
      up.push(upload.ms);
      down.push(download.ms);
      directUp.push(put.ms);
      directDown.push(get.ms);
    }
    await app.fetch(`/v1/storage/files/${fileId}`, { method: 'DELETE', headers });
  }
  line(`upload ${size / MiB} MiB`, size, up, directUp);
  line(`download ${size / MiB} MiB`, size, down, directDown);

  // The service's other paths for the same bytes: a presigned PUT (+ the request for it and the
  // completion that reads the object back to verify it), and ?redirect=1 then the presigned GET.
  const sha256 = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
  const presignedUp: number[] = [];
  const redirectDown: number[] = [];
  const metadata: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const started = performance.now();
    const ticket = (await (
      await app.fetch('/v1/storage/uploads', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'b.bin', size, sha256 }) })
    ).json()) as { uploadUrl: string; file: { id: string } };
    await (await fetch(ticket.uploadUrl, { method: 'PUT', body: bytes })).arrayBuffer();
    const completed = await app.fetch(`/v1/storage/uploads/${ticket.file.id}/complete`, { method: 'POST', headers });
    if (!completed.ok) throw new Error(`complete: ${completed.status} ${await completed.text()}`);
    const uploaded = performance.now() - started;
    const meta = await timed(() => app.fetch(`/v1/storage/files/${ticket.file.id}`, { headers }));
    const downStarted = performance.now();
    const redirect = await app.fetch(`/v1/storage/files/${ticket.file.id}/content?redirect=1`, { headers, redirect: 'manual' });
    const got = await (await fetch(redirect.headers.get('location')!)).arrayBuffer();
    if (got.byteLength !== size) throw new Error(`redirected download ${got.byteLength} of ${size}`);
    if (round >= 0) {
      presignedUp.push(uploaded);
      redirectDown.push(performance.now() - downStarted);
      metadata.push(meta.ms);
    }
    await app.fetch(`/v1/storage/files/${ticket.file.id}`, { method: 'DELETE', headers });
  }
  line(`presigned up ${size / MiB} MiB`, size, presignedUp, directUp);
  line(`redirect down ${size / MiB} MiB`, size, redirectDown, directDown);
  console.log(`${'GET /files/{id}'.padEnd(22)} p50 ${median(metadata).toFixed(0)} ms (a request's fixed cost on this runtime)`);
}

// Peak RSS of this process (the runtime; s3rver is elsewhere, and the client is curl in its own
// process, so no client buffer is counted) during 20 MiB uploads.
const size = 20 * MiB;
const file = join(mkdtempSync(join(tmpdir(), 'bench-storage-')), 'peak.bin');
writeFileSync(file, new Uint8Array(size).fill(7));
for (let run = 1; run <= 3; run++) {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const curl = spawn('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', `${app.url}/v1/storage/files?filename=peak.bin`, '-H', `authorization: ${headers.authorization}`, '--data-binary', `@${file}`]);
  let status = '';
  curl.stdout.on('data', (chunk: Buffer) => (status += chunk.toString()));
  await new Promise((resolve) => curl.on('close', resolve));
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (status !== '201') throw new Error(`curl upload: ${status}`);
  console.log(
    `20 MiB upload #${run}: runtime RSS ${(baseline / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB, rise ${((peak - baseline) / MiB).toFixed(0)} MiB = ${((peak - baseline) / size).toFixed(2)}× the file`,
  );
}
console.log(`load average after: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
await app.close();
s3.kill('SIGTERM');
