// Job workers as separate runtime processes (`spin-local up -c jobs-demo-worker`), the way two
// `spin up` containers or SpinKube replicas run them, on the real PostgreSQL and Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AUTH_SECRET, MANIFEST } from './demo-app.ts';

const CLI = fileURLToPath(new URL('../../../packages/spin-local/bin/spin-local.mjs', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGKILL: no clean-up, as a crashed container. */
  kill(): Promise<void>;
}

/** Starts one worker process and resolves once its Redis trigger is subscribed. */
export async function startWorkerProcess(): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'up', '-f', MANIFEST, '-c', 'jobs-demo-worker', '--no-dev-secrets'], {
    // No API in this process: the worker may not chain to it (as a `spin up` of workers only), and
    // these tests never run the `whoami` kind that calls it.
    env: { ...process.env, SPIN_VARIABLE_AUTH_SECRET: AUTH_SECRET, SPIN_VARIABLE_LOG_LEVEL: 'info', SPIN_VARIABLE_JOBS_DEMO_API_URL: 'http://127.0.0.1:9' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      // Printed after every trigger subscribed (spin-local's cli.ts).
      if (text.includes('Running (')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before it was ready:\n${text}`)));
  });
  return {
    child,
    output: () => text,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
