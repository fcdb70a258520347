// Video probe of a 1 GiB file: inside the video worker component (a probe job on spin-local) against
// the same probe code in Node, both reading the file through HTTP Range requests from one server,
// with the bytes and requests each needed. The figures: bytes read (kilobytes, not the file), the
// component's time, and its ratio to Node's in the same run.
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-video bench [rounds]
// Build first: `pnpm build --filter video`. Needs ffmpeg (Debian's) to make the source clip.
//
// The 1 GiB files are sparse and synthetic but valid: a 10-minute 64×64 H.264 + AAC clip from
// ffmpeg (15,000 video frames, so its sample tables are those of a real 10-minute video), its
// `mdat` enlarged to fill 1 GiB with a hole of zeros after the real samples, the sample offsets
// unchanged. Two layouts: `moov` last (ffmpeg's default: the probe must find it at the end) and
// `moov` first (`-movflags +faststart`). ffprobe reads both (its duration is printed for reference).
//
// The stand-in for storage serves `GET /v1/storage/files/{id}/content` with Range (206 +
// Content-Range, as services/storage/src/download.ts does) and `GET /v1/storage/files/{id}`, and
// counts what it serves; it does not check the owner's token (storage does; its tests prove it).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync, ftruncateSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { signAccessToken } from '@authorworks/kit';
import { startApp } from '@authorworks/spin-local';
import { probeVideo } from '../../services/video/src/probe.ts';
import { blockReader } from '../../services/video/src/range-reader.ts';

const rounds = Number(process.argv[2] ?? 5);
const GiB = 1024 ** 3;
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const dir = mkdtempSync(join(tmpdir(), 'video-bench-'));

// --- the files -------------------------------------------------------------------------------
const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
const clip = (name: string, extra: string[]) => {
  const path = join(dir, name);
  ff(['-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '600', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '16k', ...extra, path]);
  return new Uint8Array(readFileSync(path));
};

interface Box { type: string; at: number; size: number }
function topLevelBoxes(bytes: Uint8Array): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: Box[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (size < 8) throw new Error(`box ${type} at ${at} has size ${size}`);
    boxes.push({ type, at, size });
    at += size;
  }
  return boxes;
}

/** `bytes` with its mdat grown to make the file exactly 1 GiB, the growth a hole (sparse on disk). */
function sparseGiB(bytes: Uint8Array, name: string): string {
  const boxes = topLevelBoxes(bytes);
  const mdat = boxes.find((box) => box.type === 'mdat')!;
  const grow = GiB - bytes.length;
  if (mdat.size + grow >= 2 ** 32) throw new Error('mdat would need a 64-bit size');
  const path = join(dir, name);
  const fd = openSync(path, 'w');
  const before = bytes.slice(0, mdat.at + mdat.size);
  new DataView(before.buffer).setUint32(mdat.at, mdat.size + grow);
  writeSync(fd, before, 0, before.length, 0);
  const after = bytes.subarray(mdat.at + mdat.size);
  writeSync(fd, after, 0, after.length, mdat.at + mdat.size + grow);
  ftruncateSync(fd, GiB);
  closeSync(fd);
  return path;
}

console.log('making a 10-minute clip twice (moov last, moov first) and two sparse 1 GiB files…');
const files = {
  'moov-last.mov': sparseGiB(clip('src-last.mov', []), 'moov-last.mov'),
  'moov-first.mp4': sparseGiB(clip('src-first.mp4', ['-movflags', '+faststart']), 'moov-first.mp4'),
};
for (const [name, path] of Object.entries(files)) {
  const duration = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim();
  console.log(`  ${name}: ${statSync(path).size} bytes (${(statSync(path).blocks * 512 / 1024).toFixed(0)} KiB on disk), ffprobe duration ${duration} s`);
}

// --- the storage stand-in --------------------------------------------------------------------
const ids = new Map<string, string>(Object.entries(files).map(([, path]) => [randomUUID(), path]));
const served = { requests: 0, bytes: 0, first: 0, last: 0 };
const server = createServer((request, response) => {
  const match = /^\/v1\/storage\/files\/([0-9a-f-]{36})(\/content)?$/.exec(request.url ?? '');
  const path = match ? ids.get(match[1]!) : undefined;
  if (!path) return response.writeHead(404).end();
  if (!match![2]) return response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
  if (!range) return response.writeHead(400).end();
  const start = Number(range[1]);
  const end = Math.min(Number(range[2]), GiB - 1);
  const bytes = Buffer.alloc(end - start + 1);
  const fd = openSync(path, 'r');
  readSync(fd, bytes, 0, bytes.length, start);
  closeSync(fd);
  served.requests++;
  served.bytes += bytes.length;
  served.first ||= performance.now();
  served.last = performance.now();
  response.writeHead(206, { 'content-range': `bytes ${start}-${end}/${GiB}`, 'content-length': String(bytes.length) }).end(bytes);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const storageUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
const resetServed = () => Object.assign(served, { requests: 0, bytes: 0, first: 0, last: 0 });

// --- Node: the same probe, the same blocks, the same server -----------------------------------
async function nodeProbe(fileId: string) {
  const url = `${storageUrl}/v1/storage/files/${fileId}/content`;
  const started = performance.now();
  const reader = blockReader(GiB, async (start, end) => new Uint8Array(await (await fetch(url, { headers: { range: `bytes=${start}-${end - 1}` } })).arrayBuffer()));
  const probe = await probeVideo(reader);
  return { ms: performance.now() - started, probe };
}

// --- the component: a probe job on the video worker --------------------------------------------
const app = await startApp({
  manifest: fileURLToPath(new URL('bench.spin.toml', import.meta.url)),
  env: { SPIN_VARIABLE_AUTH_SECRET: SECRET, SPIN_VARIABLE_VIDEO_STORAGE_URL: storageUrl, SPIN_VARIABLE_LOG_LEVEL: 'warn' },
  migrate: true,
});
const headers = { authorization: `Bearer ${signAccessToken({ sub: randomUUID(), roles: ['user'] }, { secret: SECRET })}`, 'content-type': 'application/json' };

async function componentProbe(fileId: string) {
  resetServed();
  const started = performance.now();
  const answer = await app.fetch('/v1/video/jobs', { method: 'POST', headers, body: JSON.stringify({ kind: 'probe', payload: { fileId } }) });
  if (answer.status !== 202) throw new Error(`POST /jobs: ${answer.status} ${await answer.text()}`);
  const { id } = (await answer.json()) as { id: string };
  for (;;) {
    const job = (await (await app.fetch(`/v1/video/jobs/${id}`, { headers })).json()) as { state: string; result: { bytesRead: number; reads: number; durationSeconds: number; milliseconds: number } | null; lastError: string | null };
    if (job.state === 'succeeded') return { jobMs: performance.now() - started, readingMs: served.last - served.first, requests: served.requests, bytes: served.bytes, result: job.result! };
    if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`probe job ${job.state}: ${job.lastError} ${app.logs.text('error').slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
console.log(`load average before: ${loadavg().map((n) => n.toFixed(2)).join(' ')}; ${rounds} rounds per figure (one warm-up not counted)`);
try {
  for (const [fileId, path] of ids) {
    const name = Object.entries(files).find(([, candidate]) => candidate === path)![0];
    const component: Awaited<ReturnType<typeof componentProbe>>[] = [];
    const node: Awaited<ReturnType<typeof nodeProbe>>[] = [];
    for (let round = -1; round < rounds; round++) {
      const inside = await componentProbe(fileId);
      const outside = await nodeProbe(fileId);
      if (round >= 0) {
        component.push(inside);
        node.push(outside);
      }
    }
    const c = component[0]!;
    const n = node[0]!;
    const jobMs = median(component.map((run) => run.jobMs));
    const readingMs = median(component.map((run) => run.readingMs));
    const nodeMs = median(node.map((run) => run.ms));
    const probeMs = median(component.map((run) => run.result.milliseconds));
    console.log(
      `${name.padEnd(15)} duration ${c.result.durationSeconds} s | component: ${c.requests} range requests, ${(c.bytes / 1024).toFixed(0)} KiB served ` +
        `(the probe asked for ${(c.result.bytesRead / 1024).toFixed(1)} KiB in ${c.result.reads} reads); POST→succeeded p50 ${jobMs.toFixed(0)} ms, ` +
        `probe p50 ${probeMs} ms (first→last range request ${readingMs.toFixed(0)} ms) | Node: ${(n.probe.bytesRead / 1024).toFixed(1)} KiB in ${n.probe.reads} reads, p50 ${nodeMs.toFixed(0)} ms | ` +
        `probe ratio ${(probeMs / nodeMs).toFixed(1)}×`,
    );
  }
  console.log(`load average after: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
} finally {
  await app.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
