/**
 * Runs the conformance cases (expected.json) against a real `spin up` of the conformance app, so
 * spin-local's expectations can be checked on Spin itself:
 *
 *   pnpm --filter @authorworks/spin-local conformance:spin
 *
 * Skipped (exit 0) when `spin` is not on PATH. Build the probes first (`pnpm --filter
 * @authorworks/spin-local test` builds them, or `tsx test/build-fixtures.ts`). Cases that need
 * PostgreSQL or Redis run only when DB_CONNECTION (postgres://user@host:port) or REDIS_ADDRESS
 * is set. Exit 1 when any case differs, listing how.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname } from 'node:path';
import { conformanceManifest, loadCases, runCase } from './cases.ts';

function spinOnPath(): boolean {
  return spawnSync('spin', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForHealth(baseUrl: string, spin: ChildProcess): Promise<void> {
  // Spin compiles every component before it listens: allow a few minutes on a small machine.
  for (let i = 0; i < 600; i++) {
    if (spin.exitCode !== null) throw new Error(`spin up exited with ${spin.exitCode}`);
    try {
      if ((await fetch(new URL('/.well-known/spin/health', baseUrl))).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  throw new Error('spin up never became healthy');
}

async function main(): Promise<number> {
  if (!spinOnPath()) {
    console.log('conformance against Spin: skipped (no `spin` on PATH)');
    return 0;
  }
  const redisAddress = process.env.REDIS_ADDRESS;
  const dbConnection = process.env.DB_CONNECTION;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const spin = spawn('spin', ['up', '--from', conformanceManifest, '--listen', `127.0.0.1:${port}`], {
    cwd: dirname(conformanceManifest),
    env: { ...process.env, SPIN_VARIABLE_REDIS_ADDRESS: redisAddress ?? 'redis://127.0.0.1:6379' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await waitForHealth(baseUrl, spin);
    const available = new Set([...(redisAddress ? ['redis'] : []), ...(dbConnection ? ['postgres'] : [])]);
    const subs = { REDIS_ADDRESS: redisAddress ?? '', DB_ADDRESS: dbConnection ? `${dbConnection.replace(/\/$/, '')}/postgres` : '', RUN: `${process.pid}-${Date.now()}` };
    let failed = 0;
    for (const testCase of loadCases()) {
      const missing = (testCase.requires ?? []).filter((r) => !available.has(r));
      if (missing.length > 0) {
        console.log(`skip  ${testCase.id} (needs ${missing.join(', ')})`);
        continue;
      }
      const problems = await runCase(baseUrl, testCase, subs);
      if (problems.length === 0) console.log(`ok    ${testCase.id}`);
      else {
        failed++;
        console.log(`FAIL  ${testCase.id} — ${testCase.source}\n${problems.map((p) => `      ${p}`).join('\n')}`);
      }
    }
    console.log(failed === 0 ? 'conformance against Spin: every case holds' : `conformance against Spin: ${failed} case(s) differ`);
    return failed === 0 ? 0 : 1;
  } finally {
    spin.kill('SIGINT');
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
