/**
 * Benchmark of @authorworks/spin-local (a script, not a timed test: `pnpm --filter
 * @authorworks/bench-spin-local bench`). Measures, in one run on this machine:
 *  1. the same tiny component under spin-local and under `jco serve --isolate-requests instance`
 *     (a fresh instance per request in both): p50 latency at concurrency 1, throughput at 8;
 *  2. cold start of the full platform (spin-all.toml) with a warm transpile cache: process start
 *     until every service's health route answers 200;
 *  3. resident memory of that platform after 1,000 mixed requests;
 *  4. (`compiler`, with BENCH_BASELINE=<another checkout>) the compiler change: a cold build of
 *     all components (`pnpm build --force`), each component's size, and its instantiation time
 *     (jco 1.4.4 transpile, real guest WASI, stub Spin imports), this checkout against the other.
 * Rounds alternate between the two servers (or checkouts) so background load hits both alike.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { loadManifest } from '@authorworks/spin-manifest';
import { buildFixtures } from '../../packages/spin-local/test/build-fixtures.ts';
import { createWasiImports } from '../../packages/spin-local/src/guest/wasi-imports.ts';
import { LineSink } from '../../packages/spin-local/src/guest/streams.ts';
import { MEMORY_IMPORT, type MemoryImage, MemoryPool } from '../../packages/spin-local/src/memory-images.ts';
import { loadTranspiled } from '../../packages/spin-local/src/transpile-cache.ts';
import { bodies } from './bodies.ts';
import { startBench } from './start.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const spinLocalBin = join(repo, 'packages/spin-local/bin/spin-local.mjs');
const jcoBin = join(createRequire(import.meta.url).resolve('@bytecodealliance/jco'), '..', 'jco.js');
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(url: string): Promise<{ status: number; ms: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolveGet, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolveGet({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await get(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

function start(command: string[], label: string): ChildProcess {
  // Own process group: `jco serve` runs the server in a child process of its own.
  // glibc gives each thread its own malloc arena; two arenas keep a many-threaded Node process
  // ~70 MB smaller (the platform's `pnpm start` should run spin-local the same way).
  const child = spawn(process.execPath, command, { stdio: ['ignore', 'ignore', 'pipe'], env: { MALLOC_ARENA_MAX: '2', ...process.env }, detached: true });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (/error/i.test(text) && !/Server listening/.test(text)) process.stderr.write(`[${label}] ${text}`);
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // already gone
    }
  };
  signalGroup('SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  signalGroup('SIGKILL');
}

/** CPU time (user + system) of every process in a process group, in ms (all threads included). */
function groupCpuMs(pgid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process exited meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function latencyAtOne(url: string, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) latencies.push((await get(url)).ms);
  return latencies;
}

async function throughputAt(urls: string[], concurrency: number, total: number): Promise<{ rps: number; errors: number }> {
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const url = urls[next++ % urls.length] as string;
        const { status } = await get(url);
        if (status >= 500) errors++;
      }
    }),
  );
  return { rps: (total / (performance.now() - started)) * 1000, errors };
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function compareWithJcoServe(): Promise<void> {
  const { 'hello-http': wasm } = await buildFixtures(['hello-http']);
  const dir = await mkdtemp(join(tmpdir(), 'bench-spin-local-'));
  const manifest = join(dir, 'spin.toml');
  await writeFile(
    manifest,
    `spin_manifest_version = 2\n[application]\nname = "bench"\n[[trigger.http]]\nroute = "/..."\ncomponent = "hello"\n[component.hello]\nsource = "${wasm}"\n`,
  );
  const servers = [
    { name: 'spin-local', port: 3981, command: [spinLocalBin, 'up', '-f', manifest, '--listen', '127.0.0.1:3981'] },
    { name: 'jco serve --isolate-requests instance', port: 3982, command: [jcoBin, 'serve', '--isolate-requests', 'instance', '--host', '127.0.0.1', '--port', '3982', wasm as string] },
  ];
  const results = new Map<string, { p50: number[]; p90: number[]; rps: number[]; cpu: number[]; errors: number }>();
  for (const round of [1, 2]) {
    for (const server of servers) {
      const child = start(server.command, server.name);
      const url = `http://127.0.0.1:${server.port}/`;
      await waitFor(url);
      await throughputAt([url], 2, 40); // warm-up
      const latencies = await latencyAtOne(url, 200);
      const cpuBefore = groupCpuMs(child.pid as number);
      const { rps, errors } = await throughputAt([url], 8, 400);
      const cpuPerRequest = (groupCpuMs(child.pid as number) - cpuBefore) / 400;
      const entry = results.get(server.name) ?? { p50: [], p90: [], rps: [], cpu: [], errors: 0 };
      entry.cpu.push(cpuPerRequest);
      entry.p50.push(percentile(latencies, 50));
      entry.p90.push(percentile(latencies, 90));
      entry.rps.push(rps);
      entry.errors += errors;
      results.set(server.name, entry);
      console.log(`  round ${round} ${server.name}: p50 ${percentile(latencies, 50).toFixed(1)} ms, p90 ${percentile(latencies, 90).toFixed(1)} ms, ${rps.toFixed(0)} req/s at concurrency 8, ${cpuPerRequest.toFixed(1)} ms CPU per request${errors ? `, ${errors} errors` : ''}`);
      await stop(child);
    }
  }
  const best = (name: string) => {
    const r = results.get(name)!;
    return { p50: Math.min(...r.p50), rps: Math.max(...r.rps), cpu: Math.min(...r.cpu) };
  };
  const ours = best('spin-local');
  const theirs = best('jco serve --isolate-requests instance');
  console.log(`same component, best of 2 rounds: spin-local p50 ${ours.p50.toFixed(1)} ms vs jco serve ${theirs.p50.toFixed(1)} ms (ratio ${(ours.p50 / theirs.p50).toFixed(2)}, target ≤ 0.5)`);
  console.log(`                                  spin-local ${ours.rps.toFixed(0)} req/s vs jco serve ${theirs.rps.toFixed(0)} req/s (ratio ${(ours.rps / theirs.rps).toFixed(2)}, target ≥ 1.5)`);
  console.log(`                                  CPU per request: spin-local ${ours.cpu.toFixed(1)} ms vs jco serve ${theirs.cpu.toFixed(1)} ms (load-independent cost; capacity on 2 idle cores ≈ 2000 / CPU ms for spin-local's 2 threads, 1000 / CPU ms for jco serve's one)`);
}

async function platform(): Promise<void> {
  const manifestFile = process.env.BENCH_MANIFEST ?? join(repo, 'spin-all.toml');
  const { manifest } = await loadManifest(manifestFile);
  const healthPaths = (manifest.trigger.http ?? []).flatMap((t) => (typeof t.route === 'string' ? [`${t.route.replace(/\/\.\.\.$/, '')}/health`] : []));
  const port = 3983;
  const base = `http://127.0.0.1:${port}`;
  const coldStart = async () => {
    const started = performance.now();
    const child = start([spinLocalBin, 'up', '-f', manifestFile, '--listen', `127.0.0.1:${port}`], 'platform');
    await Promise.all(healthPaths.map((path) => waitFor(`${base}${path}`)));
    return { child, ms: performance.now() - started };
  };
  // The first start fills the transpile cache (a no-op when it is already warm).
  await stop((await coldStart()).child);
  const samples: number[] = [];
  let child: ChildProcess | undefined;
  for (let i = 0; i < 3; i++) {
    if (child) await stop(child);
    const run = await coldStart();
    child = run.child;
    samples.push(run.ms);
  }
  console.log(`cold start of ${healthPaths.length} services (warm cache), process start → every health 200: ${samples.map((s) => s.toFixed(0)).join(', ')} ms (median ${percentile(samples, 50).toFixed(0)} ms, target ≤ 1500)`);

  const mixed = [...healthPaths, '/.well-known/spin/health', '/.well-known/spin/info', '/v1/nothing-here', ...healthPaths.map((p) => p.replace('/health', '/no-such-route'))].map((p) => `${base}${p}`);
  const { rps, errors } = await throughputAt(mixed, 4, 1000);
  const memory = rssMb(child!.pid!);
  await new Promise((r) => setTimeout(r, 1000));
  const settled = rssMb(child!.pid!);
  console.log(
    `after 1,000 mixed requests (${rps.toFixed(0)} req/s at concurrency 4, ${errors} 5xx): RSS ${memory.rss.toFixed(0)} MB right after the last response, ${settled.rss.toFixed(0)} MB 1 s later, peak ${memory.peak.toFixed(0)} MB (target ≤ 400)`,
  );
  await stop(child!);
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (values: number[]) => percentile(values, 50);

/** Every built component of a checkout: services/<name>/dist/<id>.wasm. */
function componentsOf(root: string): string[] {
  const services = join(root, 'services');
  return readdirSync(services)
    .flatMap((service) => (existsSync(join(services, service, 'dist')) ? readdirSync(join(services, service, 'dist')).map((f) => join(services, service, 'dist', f)) : []))
    .filter((file) => file.endsWith('.wasm'))
    .sort();
}

type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: Record<string, unknown>, instantiateCore: (m: WebAssembly.Module, i: WebAssembly.Imports) => WebAssembly.Instance) => unknown;

/**
 * Instantiation cost of one component as spin-local pays it per request: core modules compiled
 * once, then a fresh instance each time. WASI is spin-local's guest implementation; Spin
 * interfaces are stubs (instantiating calls none of them).
 */
async function instantiationMs(wasmFile: string, rounds: number): Promise<number[]> {
  const { jsFile, modules, memoryImages } = await loadTranspiled(wasmFile, join(repo, '.cache', 'spin-local'), '1.4');
  const { instantiate } = createRequire(import.meta.url)(jsFile) as { instantiate: Instantiate };
  const stub: unknown = new Proxy(function stub() {}, { get: (_target, key) => (key === 'prototype' ? {} : stub) });
  const wasi: Record<string, unknown> = createWasiImports({
    stdout: new LineSink(() => undefined),
    stderr: new LineSink(() => undefined),
    outbound: {
      check: () => undefined,
      send: () => {
        throw new Error('no outbound HTTP in the benchmark');
      },
    },
  });
  const imports: Record<string, unknown> = new Proxy(wasi, { get: (target, key: string) => target[key] ?? stub });
  // As executor-worker.ts does: a module rewritten to import its memory (memory-images.ts) gets a
  // finished instance's memory, reset to its image, and gives it back when done.
  const pool = new MemoryPool();
  const nameOf = new Map(Object.entries(modules).map(([name, module]) => [module, name]));
  const once = () => {
    const taken: { key: string; image: MemoryImage; memory: WebAssembly.Memory }[] = [];
    instantiate((name) => modules[name]!, imports, (module, moduleImports) => {
      const name = nameOf.get(module);
      const image = name === undefined ? undefined : memoryImages[name];
      if (!image) return new WebAssembly.Instance(module, moduleImports);
      const { memory } = pool.take(name!, image);
      taken.push({ key: name!, image, memory });
      return new WebAssembly.Instance(module, { ...moduleImports, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
    });
    for (const { key, image, memory } of taken) pool.give(key, image, memory);
  };
  once(); // V8's lazy compilation of the engine code is paid once per process, not per request
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    once();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function compiler(): Promise<void> {
  const baseline = process.env.BENCH_BASELINE;
  if (!baseline) throw new Error('compiler: set BENCH_BASELINE to the checkout to compare with (built with its own pnpm install)');
  const roots = [
    { label: 'before', dir: resolve(baseline) },
    { label: 'after', dir: repo },
  ];
  // Cold builds, one checkout after the other (each uses both cores). BENCH_NO_BUILD=1 measures
  // the components already built (sizes and instantiation only).
  for (const root of process.env.BENCH_NO_BUILD === '1' ? [] : roots) {
    const started = performance.now();
    const load = loadAverage();
    execFileSync('npx', ['--yes', 'pnpm@10.34.8', 'build', '--force', '--quiet'], { cwd: root.dir, stdio: 'ignore' });
    console.log(`  ${root.label}: cold build of all components (pnpm build --force): ${((performance.now() - started) / 1000).toFixed(1)} s (load before ${load}, after ${loadAverage()})`);
  }
  const byName = new Map<string, Record<string, string>>();
  for (const root of roots) for (const file of componentsOf(root.dir)) byName.set(basename(file), { ...byName.get(basename(file)), [root.label]: file });
  console.log(`  component sizes, raw / gzip -6 (MB):`);
  for (const [name, files] of byName) {
    const cells = roots.map((root) => {
      const bytes = files[root.label] ? readFileSync(files[root.label]!) : undefined;
      return bytes ? `${root.label} ${(bytes.byteLength / 1e6).toFixed(2)} / ${(gzipSync(bytes, { level: 6 }).byteLength / 1e6).toFixed(2)}` : `${root.label} -`;
    });
    console.log(`    ${name.padEnd(22)} ${cells.join('   ')}`);
  }
  console.log(`  instantiation, median of 20 per round, 3 rounds alternating (ms):`);
  for (const [name, files] of byName) {
    const medians: Record<string, number[]> = {};
    for (let round = 0; round < 3; round++) {
      for (const root of roots) {
        if (!files[root.label]) continue;
        (medians[root.label] ??= []).push(median(await instantiationMs(files[root.label]!, 20)));
      }
    }
    const cells = roots.map((root) => (medians[root.label] ? `${root.label} ${median(medians[root.label]!).toFixed(1)} (${medians[root.label]!.map((m) => m.toFixed(1)).join(' / ')})` : `${root.label} -`));
    console.log(`    ${name.padEnd(22)} ${cells.join('   ')}   load ${loadAverage()}`);
  }
}

console.log(`spin-local benchmark — ${new Date().toISOString()}, Node ${process.version}, load average ${loadAverage()}`);
const only = process.argv[2];
if (only === 'start') {
  console.log('6. The platform started as a user starts it (start time, process tree memory after 1,000 mixed requests):');
  // BENCH_REPO=<another checkout>: the same measurement of that checkout's `pnpm start` (before/after).
  await startBench(process.env.BENCH_REPO ? resolve(process.env.BENCH_REPO) : repo, Number(process.argv[3] ?? 3));
} else if (only === 'bodies') {
  console.log('5. request and response bodies streamed through a component:');
  await bodies(Number(process.argv[3] ?? 7));
} else if (only === 'compiler') {
  console.log('4. the compiler change, this checkout against BENCH_BASELINE:');
  await compiler();
} else if (only !== 'platform') {
  console.log('1. the same component vs jco serve:');
  await compareWithJcoServe();
}
if (only !== 'compare' && only !== 'compiler' && only !== 'bodies' && only !== 'start') {
  console.log('2./3. the full platform (spin-all.toml):');
  await platform();
}
agent.destroy();
