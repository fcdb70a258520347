// What the storage worker costs to record the SHA-256 of a streamed upload: for 1, 8 and 25 MiB
// (the direct-upload limit) raw uploads without X-Checksum-SHA256, the worker's read of the object
// and its native digest (its own `version hashed` log line), against a direct GET of the same
// object from the same S3 server in the same run; and the largest linear memory an instance
// reached (spin-local's `peakGuestMemoryBytes`, which only grows: the figure after each size).
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-storage bench:digests [rounds]
// Embedded PGlite and Redis by default; the real servers when DB_CONNECTION / REDIS_ADDRESS are set.
// Build first: `pnpm build --filter storage`.
import { createHash, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { signAccessToken, signS3Request } from '@authorworks/kit';
import { MiB, SECRET, startStorageBench } from './bench-app.ts';

const rounds = Number(process.argv[2] ?? 7);
const { app, endpoint, stop } = await startStorageBench({ logLevel: 'info' });
const headers = { authorization: `Bearer ${signAccessToken({ sub: randomUUID(), roles: ['user'] }, { secret: SECRET })}` };

const DigestLine = (fileId: string) => (line: { text: string }) => line.text.includes('"version hashed"') && line.text.includes(fileId);
const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;

console.log(`load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}; ${rounds} rounds per size`);
for (const size of [1 * MiB, 8 * MiB, 25 * MiB]) {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) & 0xff;
  const expected = createHash('sha256').update(bytes).digest('hex');
  const read: number[] = [];
  const hash: number[] = [];
  const directGet: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const upload = await app.fetch('/v1/storage/files?filename=bench.bin', { method: 'POST', headers, body: bytes });
    if (upload.status !== 201) throw new Error(`upload: ${upload.status} ${await upload.text()}`);
    const file = (await upload.json()) as { id: string };
    await app.waitForIdle();
    const record = (await (await app.fetch(`/v1/storage/files/${file.id}`, { headers })).json()) as { sha256: string | null };
    if (record.sha256 !== expected) throw new Error(`sha256 ${record.sha256}, expected ${expected}\n${app.logs.text('guest').slice(-3000)}`);
    const logged = app.logs.lines.find(DigestLine(file.id));
    if (!logged) throw new Error('no "version hashed" line from the worker');
    const fields = JSON.parse(logged.text.slice(logged.text.indexOf('{'))) as { readMs: number; hashMs: number };
    const [{ object_key: key }] = await objectKeyOf(file.id);
    const signed = await signS3Request({ method: 'GET', url: `${endpoint}/authorworks/${key}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', region: 'us-east-1', time: Date.now() });
    const started = performance.now();
    const direct = await fetch(signed.url, { headers: signed.headers });
    const got = (await direct.arrayBuffer()).byteLength;
    const directMs = performance.now() - started;
    if (got !== size) throw new Error(`direct GET ${got} of ${size}`);
    if (round >= 0) {
      read.push(fields.readMs);
      hash.push(fields.hashMs);
      directGet.push(directMs);
    }
    await app.fetch(`/v1/storage/files/${file.id}`, { method: 'DELETE', headers });
  }
  const mib = size / MiB;
  const peak = app.app.runtimeStats().instances.peakGuestMemoryBytes / MiB;
  console.log(
    `${String(mib).padStart(2)} MiB  worker read p50 ${median(read).toFixed(0).padStart(4)} ms (direct GET ${median(directGet).toFixed(0).padStart(4)} ms: ${(median(read) / median(directGet)).toFixed(2)}×)` +
      `   digest p50 ${median(hash).toFixed(0).padStart(4)} ms (${(median(hash) / mib).toFixed(1)} ms/MiB)   read + digest ${((median(read) + median(hash)) / mib).toFixed(1)} ms/MiB` +
      `   peak instance memory so far ${peak.toFixed(1)} MiB`,
  );
}
console.log(`load average after: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);

async function objectKeyOf(fileId: string): Promise<[{ object_key: string }]> {
  const db = await app.sql('postgres://postgres@127.0.0.1:5432/authorworks_storage');
  try {
    const { rows } = await db.query('SELECT object_key FROM file_versions WHERE file_id = $1::uuid', [fileId]);
    return rows as [{ object_key: string }];
  } finally {
    await db.close();
  }
}

await stop();
