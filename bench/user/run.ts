// Latency of the user service on the local runtime: password hash cost inside the component,
// p50/p90 of POST /login and of an authenticated GET /me.
//   pnpm --filter @authorworks/bench-user bench [rounds]
// With BENCH_BASELINE=<another checkout, installed and built>: GET /v1/users/health, GET
// /v1/users/me and GET /v1/content/books/{id}, end-to-end p50 and the component's own time from
// its request log, this checkout against that one, in alternating rounds (compare.ts);
// BENCH_ROUTES=jobs: GET /v1/audio/jobs/{id} and /v1/audio/health instead (the jobs sweep's cost).
import { fileURLToPath } from 'node:url';
import { PASSWORD_HASH_PARAMETERS } from '@authorworks/kit';
import { startApp } from '@authorworks/spin-local';
import { benchAccount, jsonHeaders, registerBenchAccount } from './bench-account.ts';

if (process.env.BENCH_BASELINE) {
  await import('./compare.ts');
  process.exit(0);
}

const rounds = Number(process.argv[2] ?? 30);

const app = await startApp({
  manifest: fileURLToPath(new URL('../../services/user/spin.toml', import.meta.url)),
  env: { SPIN_VARIABLE_AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-00', SPIN_VARIABLE_LOG_LEVEL: 'info', SPIN_VARIABLE_LOGIN_MAX_FAILURES_PER_ADDRESS: '100000' },
  migrate: true,
});
await app.reset();

const json = jsonHeaders;
const account = benchAccount;
const accessToken = await registerBenchAccount(app);

async function time(label: string, call: () => Promise<Response>) {
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    const response = await call();
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${label}: ${response.status}`);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(1);
  console.log(`${label}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms (${rounds} requests)`);
}

await time('POST /v1/users/login', () =>
  app.fetch('/v1/users/login', { method: 'POST', headers: json, body: JSON.stringify({ email: account.email, password: account.password }) }),
);
await time('GET /v1/users/me', () => app.fetch('/v1/users/me', { headers: { authorization: `Bearer ${accessToken}` } }));

// Phase timings of the last login (throttle check, lookup, hash, session), from its log line.
console.log(app.logs.lines.filter((line) => line.text.includes('"logged in"')).at(-1)?.text ?? '');
for (let i = 0; i < 10; i++) {
  await app.fetch('/v1/users/register', { method: 'POST', headers: json, body: JSON.stringify({ ...account, email: `b${i}@example.com`, username: `bench${i}` }) });
}
const hashMs = app.logs.lines
  .map((line) => /"msg":"password hashed".*?"hashMs":(\d+)/.exec(line.text)?.[1])
  .filter((value): value is string => value !== undefined)
  .map(Number)
  .sort((a, b) => a - b);
const { logN, r, p } = PASSWORD_HASH_PARAMETERS;
console.log(`scrypt N=2^${logN} r=${r} p=${p} inside the component: median ${hashMs[Math.floor(hashMs.length / 2)]} ms, min ${hashMs[0]} ms, max ${hashMs[hashMs.length - 1]} ms (${hashMs.length} hashes)`);
const guestMs = app.logs.lines
  .map((line) => /"path":"\/v1\/users\/me","status":200,"ms":([\d.]+)/.exec(line.text)?.[1])
  .filter((value): value is string => value !== undefined)
  .map(Number)
  .sort((a, b) => a - b);
console.log(`GET /v1/users/me inside the component (request start to response): median ${guestMs[Math.floor(guestMs.length / 2)]} ms`);
await app.close();
