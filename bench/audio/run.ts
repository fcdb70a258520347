// The audio core inside the component against Node, same bytes, same run: probe (WAV, and MP3,
// M4A, FLAC, OGG through mediabunny when ffmpeg is installed to make them), waveform peaks,
// EBU R128 loudness and loudness normalisation of a 10-minute WAV (44.1 kHz mono 16-bit, the
// usual audiobook master). Medians over `rounds` repeats; ratios component / Node.
// Then the same WAV through the service: uploaded to storage, probe / waveform / normalise jobs
// done by audio-worker over ranged reads, with each job's time and the instances' peak memory, and
// an hour-long book (six copies of the WAV as chapters) assembled into one result in bounded steps.
//   (cd bench/audio && npx --yes pnpm@10.34.8 exec authorworks-build) && npx --yes pnpm@10.34.8 --filter @authorworks/bench-audio bench [rounds] [minutes] [core|service]
// (the service part needs `pnpm build --filter audio --filter storage --filter content`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobView, signAccessToken } from '@authorworks/kit';
import { startApp } from '@authorworks/spin-local';
import { encodeWav } from '../../services/audio/src/wav.ts';
import { type Operation, runOperation } from './src/operations.ts';

const rounds = Number(process.argv[2] ?? 3);
const minutes = Number(process.argv[3] ?? 10);
/** `core`, `service` or both (default). */
const part = process.argv[4] ?? 'all';
const rate = 44100;

function speechLike(seconds: number): Float32Array {
  // A 150 Hz voice with formant-ish partials, syllable envelope and pauses: not a constant tone,
  // so the gates of the loudness meter have something to do.
  const samples = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) {
    const t = i / rate;
    const syllable = Math.max(0, Math.sin(2 * Math.PI * 3 * t)) * (Math.sin(2 * Math.PI * 0.2 * t) > -0.6 ? 1 : 0);
    samples[i] = 0.25 * syllable * (Math.sin(2 * Math.PI * 150 * t) + 0.5 * Math.sin(2 * Math.PI * 700 * t) + 0.25 * Math.sin(2 * Math.PI * 2400 * t));
  }
  return samples;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const wav = encodeWav({ encoding: 'pcm', bitsPerSample: 16, channels: 1, sampleRate: rate, channelMask: 0, extensible: false }, speechLike(minutes * 60));
const files: { name: string; bytes: Uint8Array; operations: Operation[] }[] = [{ name: `WAV ${minutes} min (${(wav.length / 1048576).toFixed(1)} MiB)`, bytes: wav, operations: ['probe', 'waveform', 'loudness', 'normalise'] }];

const scratch = mkdtempSync(join(tmpdir(), 'bench-audio-'));
try {
  const source = join(scratch, 'source.wav');
  execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  const short = encodeWav({ encoding: 'pcm', bitsPerSample: 16, channels: 1, sampleRate: rate, channelMask: 0, extensible: false }, speechLike(60));
  (await import('node:fs')).writeFileSync(source, short);
  for (const [extension, args] of [
    ['mp3', ['-c:a', 'libmp3lame', '-q:a', '4', '-id3v2_version', '3']],
    ['m4a', ['-c:a', 'aac', '-b:a', '96k']],
    ['flac', ['-c:a', 'flac']],
    ['ogg', ['-c:a', 'libvorbis', '-q:a', '3']],
  ] as const) {
    const out = join(scratch, `probe.${extension}`);
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', source, ...args, '-metadata', 'title=Bench Chapter', out]);
    files.push({ name: `${extension.toUpperCase()} 1 min`, bytes: new Uint8Array(readFileSync(out)), operations: ['probe'] });
  }
} catch {
  console.log('ffmpeg not installed: compressed formats skipped (apt-get install -y ffmpeg)');
}

if (part === 'service') files.length = 0;
const app = await startApp({ manifest: fileURLToPath(new URL('spin.toml', import.meta.url)), env: { SPIN_VARIABLE_LOG_LEVEL: 'warn' } });
console.log(`audio bench: ${rounds} rounds, load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
console.log('file | operation | Node ms | component ms | ratio | component body read ms | guest memory peak MiB | agree');
try {
  for (const file of files) {
    for (const operation of file.operations) {
      const node: number[] = [];
      const inside: number[] = [];
      const reads: number[] = [];
      let nodeSummary: unknown;
      let componentSummary: unknown;
      for (let round = 0; round < rounds; round++) {
        const started = performance.now();
        nodeSummary = await runOperation(operation, file.bytes);
        node.push(performance.now() - started);
        const response = await app.fetch(`/bench/audio/${operation}`, { method: 'POST', body: file.bytes as Uint8Array<ArrayBuffer> });
        const answer = (await response.json()) as { ms: number; readMs: number; summary: unknown };
        if (!response.ok) throw new Error(`${operation}: ${response.status} ${JSON.stringify(answer)}`);
        inside.push(answer.ms);
        reads.push(answer.readMs);
        componentSummary = answer.summary;
      }
      const agree = JSON.stringify(nodeSummary) === JSON.stringify(componentSummary);
      const guestPeak = app.app.runtimeStats().instances.peakGuestMemoryBytes / 1048576;
      console.log(
        `${file.name} | ${operation} | ${median(node).toFixed(1)} | ${median(inside).toFixed(0)} | ${(median(inside) / median(node)).toFixed(1)}× | ${median(reads)} | ${guestPeak.toFixed(0)} | ${agree ? 'yes' : `NO: ${JSON.stringify(nodeSummary)} vs ${JSON.stringify(componentSummary)}`}`,
      );
    }
  }
} finally {
  await app.close();
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`load average after: ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);

// --- through the service ------------------------------------------------------------------------
if (part === 'core') process.exit(0);
const SECRET = 'bench-secret-bench-secret-bench-secret-00';
const service = await startApp({
  manifest: fileURLToPath(new URL('../../services/audio/test/with-storage.spin.toml', import.meta.url)),
  env: {
    SPIN_VARIABLE_AUTH_SECRET: SECRET,
    SPIN_VARIABLE_LOG_LEVEL: 'warn',
    SPIN_VARIABLE_STORAGE_MAX_UPLOAD_BYTES: String(128 * 1048576),
    SPIN_VARIABLE_STORAGE_QUOTA_BYTES: String(8 * 1024 * 1048576),
  },
  migrate: true,
});
const headers = { authorization: `Bearer ${signAccessToken({ sub: crypto.randomUUID(), roles: ['user'] }, { secret: SECRET })}` };
/** Submits a job and waits for it: its time from submit to finished, and the peak instance memory so far. */
async function timedJob(kind: string, payload: unknown, label = kind): Promise<JobView> {
  const started = performance.now();
  const submitted = await service.fetch('/v1/audio/jobs', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ kind, payload }) });
  const job = JobView.parse(await submitted.json());
  let view = job;
  while (view.state === 'queued' || view.state === 'running') {
    await new Promise((resolve) => setTimeout(resolve, 250));
    view = JobView.parse(await (await service.fetch(`/v1/audio/jobs/${job.id}`, { headers })).json());
  }
  const ms = performance.now() - started;
  // The largest instance so far in this app (any component), so the jobs run smallest input first.
  const peak = service.app.runtimeStats().instances.peakGuestMemoryBytes / 1048576;
  const summary = view.state === 'succeeded' ? JSON.stringify(view.result).slice(0, 160) : `${view.state}: ${view.lastError}`;
  console.log(`${label} | ${ms.toFixed(0)} | ${peak.toFixed(0)} | ${summary}`);
  return view;
}
try {
  // First a book of `BENCH_BOOK_MINUTES` (60) in 2-minute chapters (10 MiB each, so storage's own
  // direct uploads stay small): assembled into one result of hundreds of MiB, written to storage in
  // 32 MiB steps (a multipart upload) — the peak memory after it is the assembly's.
  const chapterWav = encodeWav({ encoding: 'pcm', bitsPerSample: 16, channels: 1, sampleRate: rate, channelMask: 0, extensible: false }, speechLike(120));
  const chapters: { fileId: string; title: string }[] = [];
  for (let index = 0; index < Math.ceil(Number(process.env.BENCH_BOOK_MINUTES ?? 60) / 2); index++) {
    const chapter = await service.fetch(`/v1/storage/files?filename=chapter-${index + 1}.wav`, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: chapterWav as Uint8Array<ArrayBuffer> });
    if (chapter.status !== 201) throw new Error(`chapter upload: ${chapter.status} ${await chapter.text()}`);
    chapters.push({ fileId: ((await chapter.json()) as { id: string }).id, title: `Chapter ${index + 1}` });
  }
  console.log(`\nthrough the service (audio-worker reading storage in 4 MiB ranges), load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
  console.log('job | ms (submit → succeeded) | guest memory peak MiB | result');
  const book = await timedJob('assemble', { chapters, outputFilename: 'book.wav' });
  // The whole book normalised: its measuring pass reads the book in one step (the limit Decision 9
  // names), its result is written in steps.
  if (process.env.BENCH_BOOK_NORMALISE === '1') {
    await timedJob('normalise', { fileId: (book.result as { outputFileId: string }).outputFileId, target: { mode: 'loudness', lufs: -18, ceilingDbfs: -1 } }, 'normalise the book');
  }

  const uploaded = await service.fetch('/v1/storage/files?filename=book.wav', { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream' }, body: wav as Uint8Array<ArrayBuffer> });
  const file = (await uploaded.json()) as { id: string };
  if (uploaded.status !== 201) throw new Error(`upload: ${uploaded.status} ${JSON.stringify(file)}`);
  console.log(`the ${minutes}-minute WAV, ${wav.length} bytes:`);
  await timedJob('probe', { fileId: file.id });
  await timedJob('waveform', { fileId: file.id, buckets: 1000 });
  await timedJob('normalise', { fileId: file.id, target: { mode: 'loudness', lufs: -18, ceilingDbfs: -1 } });
} finally {
  await service.close();
}
