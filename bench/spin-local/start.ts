/**
 * `bench start`: starting the platform as a user does (issue 17, goal 4). Runs the README's start
 * command, `sh packages/toolchain/bin/start.sh` (`BENCH_START=pnpm`: `npx --yes pnpm@10.34.8 start`,
 * with npm exec and pnpm waiting beside the runtime), in the repository: once first, untimed, so
 * that nothing is left to rebuild or migrate; then polls every health route until each answers
 * 200, sends 1,000 mixed requests (health, OpenAPI documents, the API reference, unrouted paths,
 * signed-in user and content routes — creating a book publishes to the content workers), then reads
 * the resident memory of every process of the tree from /proc. Ctrl-C is played by a SIGINT to the
 * process group, as a terminal sends it; the bench reports whether the tree exited cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { loadManifest } from '@authorworks/spin-manifest';

const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

function send(base: string, call: Call): Promise<{ status: number; body: string }> {
  return new Promise((resolveSend, reject) => {
    const req = request(`${base}${call.path}`, { agent, method: call.method, headers: call.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolveSend({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(call.body);
  });
}

async function until200(base: string, path: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await send(base, { method: 'GET', path })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${path} did not answer 200 in time`);
}

interface ProcessInfo {
  pid: number;
  ppid: number;
  rssMb: number;
  command: string;
}

/** user + system CPU of a process (all threads) and of its waited-for children, in ms. */
function cpuMs(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // utime, stime, cutime, cstime are fields 14–17 (1-based); USER_HZ is 100 on Linux.
  return { own: (fields[11]! + fields[12]!) * 10, children: (fields[13]! + fields[14]!) * 10 };
}

/** The process and all its descendants, from /proc. */
function processTree(rootPid: number): ProcessInfo[] {
  const all = new Map<number, ProcessInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1]);
      const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      all.set(Number(entry), { pid: Number(entry), ppid, rssMb: rssKb / 1024, command });
    } catch {
      // exited meanwhile
    }
  }
  const tree: ProcessInfo[] = [];
  const visit = (pid: number) => {
    const info = all.get(pid);
    if (!info) return;
    tree.push(info);
    for (const child of all.values()) if (child.ppid === pid) visit(child.pid);
  };
  visit(rootPid);
  return tree;
}

/**
 * Where a process's resident memory is, by kind of mapping (/proc/<pid>/smaps): wasm linear
 * memories are V8's multi-GiB reservations (guard regions included), compiled code is executable.
 */
function residentByKind(pid: number): string {
  const groups = new Map<string, { maps: number; bytes: number }>();
  let current: { kind: string; size: number } | undefined;
  const anonymous: { size: number; rss: number }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const size = parseInt(head[2]!, 16) - parseInt(head[1]!, 16);
      const [perms, name] = [head[3]!, head[4]!];
      const kind = name ? (name.startsWith('[') ? name : /node$/.test(name) ? 'node binary' : 'mapped files') : size >= 2 ** 32 ? 'wasm linear memories' : perms.includes('x') ? 'compiled code' : 'heaps, malloc, shared buffers';
      current = { kind, size };
      if (!name && !perms.includes('x')) anonymous.push({ size, rss: 0 });
      const group = groups.get(kind) ?? { maps: 0, bytes: 0 };
      group.maps++;
      groups.set(kind, group);
    } else if (line.startsWith('Rss:') && current) {
      groups.get(current.kind)!.bytes += Number(line.split(/\s+/)[1]) * 1024;
      if (current.kind === 'heaps, malloc, shared buffers') anonymous[anonymous.length - 1]!.rss = Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  if (process.env.BENCH_SMAPS) {
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    console.log(`      largest anonymous mappings (resident of size, MB): ${anonymous.sort((a, b) => b.rss - a.rss).slice(0, 60).map((m) => `${mb(m.rss)}/${mb(m.size)}`).join(' ')}`);
  }
  return [...groups]
    .filter(([, g]) => g.bytes > 2 ** 20)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([kind, g]) => `${kind} ${(g.bytes / 2 ** 20).toFixed(0)} MB (${g.maps})`)
    .join(', ');
}

/** What the process is, for the report: the README command's parts by name. */
function label(command: string): string {
  if (/npm-cli\.js exec|npx-cli\.js|^npm exec/.test(command)) return 'npm exec (npx)';
  if (/pnpm\.c?js|\/pnpm /.test(command)) return 'pnpm';
  if (/^sh -c|^\/bin\/sh -c/.test(command)) return 'sh -c (pnpm script shell)';
  if (/^sh .*start\.sh/.test(command)) return 'sh (start script)';
  if (/spin-local/.test(command)) return 'runtime (spin-local)';
  if (/tsx|start\.ts|prepare-start/.test(command)) return 'start script (tsx)';
  return command.slice(0, 60);
}

/**
 * `BENCH_START=pnpm`: through `npx … pnpm start` rather than the README's start script (also
 * taken for a checkout from before the script, `BENCH_REPO`).
 */
let viaPnpm = process.env.BENCH_START === 'pnpm';

function startPlatform(repo: string, port: number, output: string[]): ChildProcess {
  // Own process group, so that SIGINT reaches every process as a terminal's Ctrl-C does.
  const listen = ['--listen', `127.0.0.1:${port}`];
  const [command, args] = viaPnpm ? ['npx', ['--yes', 'pnpm@10.34.8', 'start', ...listen]] : ['sh', ['packages/toolchain/bin/start.sh', ...listen]];
  const child = spawn(command, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const collect = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return child;
}

/** Ctrl-C: SIGINT to the group; how long until every process of the tree is gone, and its exit code. */
async function interrupt(child: ChildProcess): Promise<{ ms: number; code: number | null; signal: string | null }> {
  const started = performance.now();
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  process.kill(-(child.pid as number), 'SIGINT');
  const result = await Promise.race([exited, new Promise<undefined>((r) => setTimeout(r, 15_000))]);
  if (!result) {
    process.kill(-(child.pid as number), 'SIGKILL');
    return { ms: NaN, code: null, signal: 'SIGKILL (did not exit within 15 s)' };
  }
  // The group may outlive the process started: wait until nobody of it is left.
  const groupAlive = () => {
    try {
      process.kill(-(child.pid as number), 0);
      return true;
    } catch {
      return false;
    }
  };
  while (groupAlive() && performance.now() - started < 15_000) await new Promise((r) => setTimeout(r, 20));
  return { ms: performance.now() - started, ...result };
}

export async function startBench(repo: string, rounds: number): Promise<void> {
  viaPnpm ||= !existsSync(join(repo, 'packages/toolchain/bin/start.sh'));
  console.log(`  started with ${viaPnpm ? 'npx --yes pnpm@10.34.8 start' : 'sh packages/toolchain/bin/start.sh (the README)'}`);
  const port = Number(process.env.BENCH_PORT ?? 3987);
  const base = `http://127.0.0.1:${port}`;
  const { manifest } = await loadManifest(join(repo, 'spin-all.toml'));
  const healthPaths = (manifest.trigger.http ?? []).flatMap((t) => (typeof t.route === 'string' && t.route !== '/...' ? [`${t.route.replace(/\/\.\.\.$/, '')}/health`] : []));
  // platform-api is routed on `/...`: its health is the kit's `/health` under base ''.
  healthPaths.push('/health');

  // Once untimed: builds, composes and migrates whatever is stale, so the timed starts have nothing to do.
  {
    const output: string[] = [];
    const child = startPlatform(repo, port, output);
    try {
      const deadline = Date.now() + 300_000;
      await Promise.all(healthPaths.map((path) => until200(base, path, deadline)));
    } catch (error) {
      console.log(output.slice(-30).join('\n'));
      throw error;
    }
    await interrupt(child);
  }

  const startTimes: number[] = [];
  let output: string[] = [];
  let child: ChildProcess | undefined;
  for (let round = 0; round < rounds; round++) {
    if (child) await interrupt(child);
    output = [];
    const load = loadAverage();
    const started = performance.now();
    child = startPlatform(repo, port, output);
    const deadline = Date.now() + 120_000;
    await Promise.all(healthPaths.map((path) => until200(base, path, deadline)));
    const ms = performance.now() - started;
    startTimes.push(ms);
    // CPU is what a busy shared machine does not distort: the runtime's own (all its threads) and
    // that of the processes its shell waited for before exec'ing it (the prepare step).
    const runtime = processTree(child.pid as number).find((p) => label(p.command) === 'runtime (spin-local)');
    const cpu = runtime ? cpuMs(runtime.pid) : undefined;
    const cpuText = cpu ? `; CPU: runtime ${cpu.own.toFixed(0)} ms, prepare ${cpu.children.toFixed(0)} ms` : '';
    console.log(`  start ${round + 1}: every health route (${healthPaths.length}) 200 after ${(ms / 1000).toFixed(2)} s (load ${load})${cpuText}`);
  }
  console.log(`  start → every health 200: median ${(median(startTimes) / 1000).toFixed(2)} s of ${rounds} (target ≤ 3 s)`);
  const shown = output.filter((line) => !/^\s+\S+: (http|redis)/.test(line) && !/ -> /.test(line));
  console.log(`  what the user saw (route lines left out):\n${shown.map((line) => `    | ${line}`).join('\n')}`);

  // A signed-in user: registered afresh (the databases persist across starts).
  const unique = `${Date.now().toString(36)}${process.pid}`;
  const registered = await send(base, {
    method: 'POST',
    path: '/v1/users/register',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `bench-${unique}@example.com`, username: `bench${unique}`, password: 'correct horse battery', displayName: 'Bench' }),
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${registered.body}`);
  const auth = { authorization: `Bearer ${(JSON.parse(registered.body) as { accessToken: string }).accessToken}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const mixed: Call[] = [
    ...healthPaths.map((path) => ({ method: 'GET', path })),
    { method: 'GET', path: '/.well-known/spin/health' },
    { method: 'GET', path: '/v1/users/openapi.json' },
    { method: 'GET', path: '/v1/content/openapi.json' },
    { method: 'GET', path: '/v1/storage/openapi.json' },
    { method: 'GET', path: '/docs' },
    { method: 'GET', path: '/v1/nothing-here' },
    { method: 'GET', path: '/v1/users/me', headers: auth },
    { method: 'GET', path: '/v1/users/me/preferences', headers: auth },
    { method: 'GET', path: '/v1/content/books', headers: auth },
    { method: 'POST', path: '/v1/content/books', headers: json, body: JSON.stringify({ title: 'Bench book' }) },
    { method: 'GET', path: '/v1/content/catalog' },
    { method: 'GET', path: '/v1/messaging/notifications', headers: auth },
  ];
  const statuses = new Map<string, number>();
  let next = 0;
  const total = 1000;
  const load = loadAverage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < total) {
        const call = mixed[next++ % mixed.length] as Call;
        const { status } = await send(base, call);
        const key = `${call.method} ${call.path.split('?')[0]} ${status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      }
    }),
  );
  const rps = (total / (performance.now() - started)) * 1000;
  const errors = [...statuses].filter(([key]) => / 5\d\d$/.test(key)).reduce((sum, [, n]) => sum + n, 0);
  console.log(`  1,000 mixed requests at concurrency 4: ${rps.toFixed(0)} req/s, ${errors} 5xx (load before ${load}, after ${loadAverage()})`);
  console.log(`    ${[...statuses].map(([key, n]) => `${key} ×${n}`).join(', ')}`);

  const report = (when: string) => {
    const tree = processTree(child!.pid as number);
    const sum = tree.reduce((s, p) => s + p.rssMb, 0);
    console.log(`  process tree ${when}: ${sum.toFixed(0)} MB resident in ${tree.length} processes (load ${loadAverage()})`);
    for (const p of tree) console.log(`    ${String(p.pid).padStart(7)} ${p.rssMb.toFixed(0).padStart(5)} MB  ${label(p.command).padEnd(28)} ${p.command.slice(0, 110)}`);
    const biggest = tree.reduce((a, b) => (b.rssMb > a.rssMb ? b : a));
    console.log(`      ${label(biggest.command)}: ${residentByKind(biggest.pid)}`);
    return sum;
  };
  report('right after the last response');
  // BENCH_IDLE_SECONDS=2,40: readings that many seconds after the last response.
  let waited = 0;
  for (const seconds of (process.env.BENCH_IDLE_SECONDS ?? '2').split(',').map(Number)) {
    await new Promise((r) => setTimeout(r, (seconds - waited) * 1000));
    waited = seconds;
    report(`${seconds} s after the last response`);
  }
  const stopped = await interrupt(child!);
  const tail = output.slice(-3).map((line) => `    | ${line}`).join('\n');
  console.log(`  Ctrl-C (SIGINT to the group): tree gone after ${stopped.ms.toFixed(0)} ms, ${viaPnpm ? 'npx' : 'start script'} exit code ${stopped.code}${stopped.signal ? ` signal ${stopped.signal}` : ''}; last lines:\n${tail}`);
  agent.destroy();
}
