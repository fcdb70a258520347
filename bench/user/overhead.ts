// What the local runtime adds to a real service component's own time (issue 17, goal 1):
// back-to-back requests, end to end against the guest's `ms` in its request log line, and the
// throughput of GET /v1/users/health at concurrency 8.
//   pnpm --filter @authorworks/bench-user overhead [requests]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startApp } from '@authorworks/spin-local';
import { registerBenchAccount } from './bench-account.ts';

const requests = Number(process.argv[2] ?? 200);
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const app = await startApp({
  manifest: fileURLToPath(new URL('../../services/user/spin.toml', import.meta.url)),
  env: { SPIN_VARIABLE_AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-00', SPIN_VARIABLE_LOG_LEVEL: 'info' },
  migrate: true,
});
await app.reset();
const token = await registerBenchAccount(app);
const auth = { authorization: `Bearer ${token}` };

/** The guest's own `ms` of each request log line written since `from`, in order. */
function guestMs(from: number): number[] {
  return app.logs.lines.slice(from).flatMap((line) => {
    const match = /"msg":"request".*?"ms":([\d.]+)/.exec(line.text);
    return match ? [Number(match[1])] : [];
  });
}

async function sequential(label: string, path: string, headers: Record<string, string> = {}) {
  for (let i = 0; i < 20; i++) await (await app.fetch(path, { headers })).arrayBuffer(); // warm both executor threads
  const from = app.logs.lines.length;
  const endToEnd: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const response = await app.fetch(path, { headers });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${label}: ${response.status}`);
    endToEnd.push(performance.now() - started);
  }
  const guest = guestMs(from);
  if (guest.length !== requests) throw new Error(`${label}: ${guest.length} request log lines for ${requests} requests`);
  const e2e = median(endToEnd);
  const own = median(guest);
  console.log(`${label}: end to end p50 ${e2e.toFixed(1)} ms, guest p50 ${own.toFixed(1)} ms, runtime adds ${(e2e - own).toFixed(1)} ms (${requests} back to back, load ${loadAverage()})`);
}

/** Requests per second over `requests` requests at `concurrency`, median of five rounds. */
async function throughput(path: string, concurrency: number) {
  const rounds: number[] = [];
  let failures = 0;
  for (let round = 0; round < 5; round++) {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < requests) {
          const response = await app.fetch(path);
          await response.arrayBuffer();
          if (!response.ok) failures++;
        }
      }),
    );
    rounds.push(requests / ((performance.now() - started) / 1000));
  }
  const shown = rounds.map((r) => r.toFixed(0)).join(', ');
  console.log(`${path} at concurrency ${concurrency}: median ${median(rounds).toFixed(0)} req/s (rounds ${shown}), ${failures} failed (5 × ${requests} requests, load ${loadAverage()})`);
}

try {
  await sequential('GET /v1/users/health', '/v1/users/health');
  await sequential('GET /v1/users/me', '/v1/users/me', auth);
  await throughput('/v1/users/health', 8);
} finally {
  await app.close();
}
