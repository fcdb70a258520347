/**
 * The test harness every component test uses: start an app (or some of its components) from a
 * manifest on embedded backends — or on the real servers when DB_CONNECTION / REDIS_ADDRESS are
 * set — call it over real HTTP, publish to its Redis channels and wait for the triggered
 * components, and reset state between tests.
 *
 *   const app = await startApp({ manifest: 'spin.toml', env: { SPIN_VARIABLE_AUTH_SECRET: 'test' }, migrate: true });
 *   const res = await app.fetch('/v1/users/health');
 *   await app.publish('user-events', JSON.stringify(event)); // resolves once the workers are done
 *   await app.close();
 */
import { type BackendOptions, type SpinApp, startSpinApp } from './app.ts';
import type { SqlClient } from './backends/postgres.ts';
import { MemoryLogger } from './logger.ts';
import { applyMigrations, planMigrations } from './migrations.ts';

export interface TestAppOptions {
  manifest: string;
  /** Only these components (and their triggers). */
  components?: string[];
  /** Extra environment (SPIN_VARIABLE_* values) on top of process.env. */
  env?: Record<string, string>;
  backends?: BackendOptions;
  runtimeConfigFile?: string;
  envFiles?: string[];
  /** Executor threads (default 2). */
  threads?: number;
  /** Print every log line while testing (default: only collect them in `logs`). */
  verbose?: boolean;
  /** How long one host call may take before it fails (default 120 s). */
  hostCallDeadlineMs?: number;
  /** Per executor thread: how long without a job before it lets go of its pooled memories (default 5 s). */
  idleTrimMs?: number | null;
  /**
   * Apply the migrations of every service database the app uses (the kit's, then the service's
   * own; the planner of `pnpm migrate`) before `startApp` resolves.
   */
  migrate?: boolean;
}

export interface TestApp {
  readonly url: string;
  readonly app: SpinApp;
  /** Every log line the host wrote (requests, errors, component output). */
  readonly logs: MemoryLogger;
  /**
   * A request to the app; resolves once the response arrived and no request is being handled any
   * more, so that what a guest runs after answering (`FetchEvent.waitUntil`) is done. The body of
   * the answer is held meanwhile: to measure streaming, fetch `url` directly.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Publishes a message and resolves when every component it triggered has finished. */
  publish(channel: string, payload: string | Uint8Array): Promise<void>;
  waitForIdle(): Promise<void>;
  /**
   * Empties key-value stores and the embedded Redis, and truncates the tables (except migration
   * bookkeeping) of every Postgres database the components' variables point at.
   */
  reset(): Promise<void>;
  sql(address: string): Promise<SqlClient>;
  close(): Promise<void>;
}

function postgresAddresses(app: SpinApp, env: Record<string, string | undefined>): string[] {
  const addresses = new Set<string>();
  for (const [name, declared] of Object.entries(app.manifest.variables)) {
    const value = env[`SPIN_VARIABLE_${name.toUpperCase()}`] ?? declared.default;
    if (value && /^postgres(ql)?:\/\//.test(value)) addresses.add(value);
  }
  return [...addresses];
}

export async function startApp(options: TestAppOptions): Promise<TestApp> {
  const logs = new MemoryLogger(options.verbose ?? false);
  const env = { ...process.env, ...options.env };
  const app = await startSpinApp({
    manifest: options.manifest,
    ...(options.components ? { components: options.components } : {}),
    ...(options.runtimeConfigFile ? { runtimeConfigFile: options.runtimeConfigFile } : {}),
    ...(options.envFiles ? { envFiles: options.envFiles } : {}),
    env,
    backends: { dataDir: null, ...options.backends },
    threads: options.threads ?? 2,
    ...(options.hostCallDeadlineMs !== undefined ? { hostCallDeadlineMs: options.hostCallDeadlineMs } : {}),
    ...(options.idleTrimMs !== undefined ? { idleTrimMs: options.idleTrimMs } : {}),
    logger: logs,
  });
  if (options.migrate) {
    try {
      await applyMigrations(await planMigrations(options.manifest, env), (address) => app.sql(address));
    } catch (error) {
      await app.close();
      throw error;
    }
  }
  return {
    url: app.url,
    app,
    logs,
    async fetch(path, init) {
      const response = await fetch(new URL(path, app.url), init);
      // What the guest does after answering (FetchEvent.waitUntil: the kit's outbox flush) is
      // done before a test looks at its effects; a client of `app.url` gets the answer sooner. A
      // large streamed answer is then held in this process: measure streaming with `fetch(app.url…)`.
      await app.waitForRequests();
      return response;
    },
    async publish(channel, payload) {
      await app.publish(channel, payload);
      await app.waitForIdle();
    },
    waitForIdle: () => app.waitForIdle(),
    async reset() {
      await app.waitForIdle();
      await app.reset({ postgres: postgresAddresses(app, env) });
    },
    sql: (address) => app.sql(address),
    close: () => app.close(),
  };
}
