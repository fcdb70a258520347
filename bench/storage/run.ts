// The storage service's transfer cost on the local runtime: upload (POST /files) and download
// (GET /files/{id}/content) of 1 MiB and 20 MiB files against a direct PUT/GET of the same bytes
// to the same S3 server in the same run (the ratio is the figure; target ≤ 2×); a 64 MiB
// multipart upload (presigned parts, and parts through the service) against a direct multipart
// upload of the same parts; the runtime process's peak RSS during a 20 MiB upload (target: it
// rises by less than 3× the file) and during the completion of 64 and 128 MiB multipart uploads.
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-storage bench [rounds]   (BENCH_ONLY=memory: the memory figures alone)
// s3rver runs in a child process so this process is the runtime (and the bench's client).
// Embedded PGlite and Redis by default; the real servers when DB_CONNECTION / REDIS_ADDRESS are set.
// Build first: `pnpm build --filter storage`.
// With BENCH_BASELINE=<another checkout, installed and built> (or BENCH_ONLY=compare): the direct
// upload and download paths alone, this checkout against that one, in alternating rounds, with
// the component's own time beside each figure (compare.ts).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObjectStore, signAccessToken, signS3Request } from '@authorworks/kit';
import { MiB, SECRET, startStorageBench } from './bench-app.ts';

if (process.env.BENCH_BASELINE || process.env.BENCH_ONLY === 'compare') {
  await import('./compare.ts');
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 7);

process.setMaxListeners(0);
// The API alone: the storage worker would hash every streamed upload beside the measured requests
// (its cost is digests.ts's figure).
const { app, endpoint, stop } = await startStorageBench({ logLevel: 'warn', components: ['storage-api'] });
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

const PART = 8 * MiB;
type Ticket =
  | { kind: 'single'; uploadUrl: string; file: { id: string } }
  | { kind: 'multipart'; file: { id: string }; parts: { partNumber: number; size: number; url: string }[] };

async function uploadTicket(size: number, sha256?: string): Promise<Ticket> {
  const answer = await app.fetch('/v1/storage/uploads', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ filename: 'b.bin', size, ...(sha256 ? { sha256 } : {}) }),
  });
  if (answer.status !== 201) throw new Error(`POST /uploads: ${answer.status} ${await answer.text()}`);
  return (await answer.json()) as Ticket;
}

const partsOf = (bytes: Uint8Array<ArrayBuffer>) => Array.from({ length: Math.ceil(bytes.length / PART) }, (_, i) => bytes.subarray(i * PART, (i + 1) * PART));
const hex = async (bytes: Uint8Array<ArrayBuffer>) => Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');

/** PUTs every part (one after the other: to its presigned URL, or through the service), then completes; `completeMs` is the last step alone. */
async function putPartsAndComplete(ticket: Ticket & { kind: 'multipart' }, bytes: Uint8Array<ArrayBuffer>, via: 'presigned' | 'service', timings?: { completeMs: number }): Promise<Response> {
  const parts = partsOf(bytes);
  for (const [i, part] of parts.entries()) {
    const answer =
      via === 'presigned'
        ? await fetch(ticket.parts[i]!.url, { method: 'PUT', body: part })
        : await app.fetch(`/v1/storage/uploads/${ticket.file.id}/parts/${i + 1}`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: part });
    if (!answer.ok) throw new Error(`part ${i + 1} (${via}): ${answer.status} ${await answer.text()}`);
    await answer.arrayBuffer();
  }
  const declared = await Promise.all(parts.map(async (part, i) => ({ partNumber: i + 1, sha256: await hex(part) })));
  const started = performance.now();
  const completed = await app.fetch(`/v1/storage/uploads/${ticket.file.id}/complete`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ parts: declared }),
  });
  if (timings) timings.completeMs = performance.now() - started;
  return completed;
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
const line = (label: string, size: number, service: number[], plain: number[]) => {
  const mbps = (ms: number) => (size / MiB / (ms / 1000)).toFixed(1);
  console.log(
    `${label.padEnd(22)} service p50 ${median(service).toFixed(0).padStart(5)} ms (${mbps(median(service)).padStart(6)} MiB/s)   direct p50 ${median(plain).toFixed(0).padStart(5)} ms (${mbps(median(plain)).padStart(6)} MiB/s)   ratio ${(median(service) / median(plain)).toFixed(2)}×`,
  );
};

console.log(`load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}; ${rounds} rounds per figure`);
const memoryOnly = process.env.BENCH_ONLY === 'memory';
for (const size of memoryOnly ? [] : [1 * MiB, 20 * MiB]) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) & 0xff;
  const up: number[] = [];
  const down: number[] = [];
  const directUp: number[] = [];
  const directDown: number[] = [];
  // One warm-up of each, not counted.
  for (let round = -1; round < rounds; round++) {
    // Timed as a client of the server sees it (the harness's fetch also waits for the work after the answer).
    const upload = await timed(() => fetch(new URL('/v1/storage/files?filename=bench.bin', app.url), { method: 'POST', headers, body: bytes }));
    const fileId = (JSON.parse(new TextDecoder().decode(upload.body)) as { id: string }).id;
    const download = await timed(() => fetch(new URL(`/v1/storage/files/${fileId}/content`, app.url), { headers }));
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
    const ticket = await uploadTicket(size, sha256);
    let completed: Response;
    if (ticket.kind === 'single') {
      await (await fetch(ticket.uploadUrl, { method: 'PUT', body: bytes })).arrayBuffer();
      completed = await app.fetch(`/v1/storage/uploads/${ticket.file.id}/complete`, { method: 'POST', headers });
    } else {
      // Above the single-PUT limit (16 MiB) the ticket is a multipart upload.
      completed = await putPartsAndComplete(ticket, bytes, 'presigned');
    }
    if (!completed.ok) throw new Error(`complete: ${completed.status} ${await completed.text()}`);
    const uploaded = performance.now() - started;
    const meta = await timed(() => fetch(new URL(`/v1/storage/files/${ticket.file.id}`, app.url), { headers }));
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
  if (size > 16 * MiB) console.log(`${''.padEnd(22)} (${size / MiB} MiB is above the single-PUT limit: a multipart upload of ${Math.ceil(size / PART)} presigned parts, each read back by complete)`);
  line(`redirect down ${size / MiB} MiB`, size, redirectDown, directDown);
  console.log(`${'GET /files/{id}'.padEnd(22)} p50 ${median(metadata).toFixed(0)} ms (a request's fixed cost on this runtime)`);
}

// 64 MiB in 8 MiB parts: the service's two multipart paths against a direct multipart upload of
// the same parts to the same s3rver (CreateMultipartUpload, UploadPart × 8, Complete, from this
// process with the kit's client). The service's figure includes asking for the ticket and the
// completion that reads every part back.
if (!memoryOnly) {
  const size = 64 * MiB;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = ((i / 4096) * 7) & 0xff;
  const store = createObjectStore({ endpoint, bucket: 'authorworks', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  const presigned: number[] = [];
  const proxied: number[] = [];
  const plain: number[] = [];
  const completes: number[] = [];
  for (let round = -1; round < rounds; round++) {
    let started = performance.now();
    const key = `bench/multipart-${round}`;
    const { uploadId } = await store.createMultipartUpload(key);
    const etags = [];
    for (const [i, part] of partsOf(bytes).entries()) etags.push({ partNumber: i + 1, etag: (await store.uploadPart(key, uploadId, i + 1, part)).etag });
    await store.completeMultipartUpload(key, uploadId, etags);
    const direct = performance.now() - started;
    await store.delete(key);

    const timings = { completeMs: 0 };
    const results: number[] = [];
    let completeMs = 0;
    for (const via of ['presigned', 'service'] as const) {
      started = performance.now();
      const ticket = await uploadTicket(size);
      if (ticket.kind !== 'multipart') throw new Error('64 MiB should be a multipart upload');
      const completed = await putPartsAndComplete(ticket, bytes, via, timings);
      if (!completed.ok) throw new Error(`complete (${via}): ${completed.status} ${await completed.text()}`);
      results.push(performance.now() - started);
      if (via === 'presigned') completeMs = timings.completeMs;
      await app.fetch(`/v1/storage/files/${ticket.file.id}`, { method: 'DELETE', headers });
    }
    if (round >= 0) {
      plain.push(direct);
      presigned.push(results[0]!);
      proxied.push(results[1]!);
      completes.push(completeMs);
    }
  }
  line('multipart up 64 MiB', size, presigned, plain);
  line('  parts via service', size, proxied, plain);
  console.log(`${'  of which complete'.padEnd(22)} p50 ${median(completes).toFixed(0)} ms (ListParts, join, 8 parts read back in their own requests)`);
}

// Peak RSS of this process (the runtime and, idle meanwhile, the client) while `complete`
// checks a multipart upload: the parts are read back one per request, so it should not grow with
// the file. The client's copy of the file is dropped and collected first (`--expose-gc`).
const collect = () => (globalThis as { gc?: () => void }).gc?.();
for (const size of [64 * MiB, 128 * MiB]) {
  const ticket = await uploadTicket(size);
  if (ticket.kind !== 'multipart') throw new Error('expected a multipart upload');
  const declared: { partNumber: number; sha256: string }[] = [];
  for (let n = 1; n <= ticket.parts.length; n++) {
    const part = new Uint8Array(Math.min(PART, size - (n - 1) * PART)).map((_, i) => (i * 13 + n) & 0xff);
    await (await fetch(ticket.parts[n - 1]!.url, { method: 'PUT', body: part })).arrayBuffer();
    declared.push({ partNumber: n, sha256: await hex(part) });
  }
  const body = JSON.stringify({ parts: declared });
  collect();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  const completed = await app.fetch(`/v1/storage/uploads/${ticket.file.id}/complete`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (!completed.ok) throw new Error(`complete: ${completed.status} ${await completed.text()}`);
  console.log(
    `complete of ${size / MiB} MiB (${declared.length} parts): ${ms.toFixed(0)} ms; runtime RSS ${(baseline / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB, rise ${((peak - baseline) / MiB).toFixed(1)} MiB`,
  );
  await app.fetch(`/v1/storage/files/${ticket.file.id}`, { method: 'DELETE', headers });
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
await stop();
