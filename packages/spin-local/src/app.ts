/**
 * A running Spin app: manifest + variables + backends + executor threads + triggers. This is what
 * `spin-local up` and the test harness start.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Server } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Manifest, loadManifest } from '@authorworks/spin-manifest';
import { KeyValueStores } from './backends/key-value.ts';
import { ObjectBackend } from './backends/objects.ts';
import { PostgresBackend, type SqlClient, openSqlClientOn } from './backends/postgres.ts';
import { RedisBackend, type RedisParameter, redisError } from './backends/redis.ts';
import { ExecutorPool } from './executor-pool.ts';
import type { ExecutorComponent } from './executor-worker.ts';
import { WitError } from './host-bridge.ts';
import { createHttpTrigger, describeFailure, listen } from './http-trigger.ts';
import { type Logger, consoleLogger } from './logger.ts';
import { type HttpTriggerSpec, RouteTable } from './routes.ts';
import { resolveAllowedHosts } from './outbound-hosts.ts';
import { outboundHttpHandlers } from './outbound-http.ts';
import { loadRuntimeConfig } from './runtime-config.ts';
import { TraceFile, type TraceEvent, TraceRecorder } from './request-trace.ts';
import { loadTranspiled } from './transpile-cache.ts';
import { VariableError, componentVariables, expandTemplate, readDotenv, resolveAppVariables } from './variables.ts';

/** `SPIN_LOCAL_TRACE=1`: start-up phases with ms since process start (for the benchmark). */
function trace(phase: string): void {
  if (process.env.SPIN_LOCAL_TRACE) console.log(`[trace] ${phase} at ${performance.now().toFixed(0)} ms`);
}

function collectGarbageNow(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as (() => void) | undefined)?.();
}

/**
 * An executor thread idle this long lets go of its pooled memories and prepared instances: a
 * platform left running between bursts of requests holds only what it cannot make again.
 */
const DEFAULT_IDLE_TRIM_MS = 5_000;

/** A persisted embedded database (~20–30 MB) unused this long is closed until its next session. */
const DEFAULT_DATABASE_IDLE_CLOSE_MS = 10_000;
/**
 * The same for a database only workers have used since it opened. Every tick (30 s) runs each
 * worker's upkeep, which opens all eight databases: at 10 s idle they were open ~14 s of every 30
 * (an idle runtime swung 285 → ~500 MB at each tick); the next open waits on no request. Longer
 * than the spread ticks' 3.75 s (cli.ts): a worker on several channels (messaging's on five) keeps
 * its database through a round instead of opening it once per channel (idle CPU 12–13 s per 90 s
 * at 2 s, 9.5 s at 5 s; Decision 19).
 */
const DEFAULT_BACKGROUND_DATABASE_IDLE_CLOSE_MS = 5_000;

export class StartupError extends Error {
  override name = 'StartupError';
}

export interface BackendOptions {
  /** A real Postgres server (`postgres://user@host:port`); default: env DB_CONNECTION, else embedded PGlite. */
  dbConnection?: string | undefined;
  /** A real Redis (`redis://host:port`); default: env REDIS_ADDRESS, else embedded. */
  redisAddress?: string | undefined;
  /** Where embedded Postgres persists; `null` keeps it in memory. Default `<repo>/.data/pglite`. */
  dataDir?: string | null;
}

export interface SpinAppOptions {
  /** Path to spin.toml / spin-all.toml. */
  manifest: string;
  /** Run only these components and their triggers, as `spin up --component-id` does. */
  components?: string[];
  listen?: { host: string; port: number };
  runtimeConfigFile?: string;
  /** dotenv files consulted for SPIN_VARIABLE_* after the environment and `./.env`; later files win. */
  envFiles?: string[];
  /** Where `./.env` and relative `dotenv_path`s are read, as from `spin up`'s working directory; default `process.cwd()`. */
  workingDir?: string;
  /** Environment for variables and backend selection; default `process.env`. */
  env?: Record<string, string | undefined>;
  backends?: BackendOptions;
  /** Transpile cache; default `<repo>/.cache/spin-local`. */
  cacheDir?: string;
  /** Executor threads; default: one per core, at most 2 (each holds its own instances). */
  threads?: number;
  /** Instances prepared ahead per thread; default 1. */
  maxPrepared?: number;
  /** How long one host call may take before it fails and its thread is replaced; default 120 s. */
  hostCallDeadlineMs?: number;
  /**
   * A persisted embedded database unused this long is closed until its next session; default 10 s,
   * and 5 s for one only Redis-triggered instances used since it opened; `null` never. A value
   * given applies to both.
   */
  databaseIdleCloseMs?: number | null;
  /** Per executor thread, the most bytes of finished instances' memories kept for reuse; default 32 MiB. */
  memoryPoolBytes?: number;
  /** Per executor thread, how long without a job before it lets go of them; default 5 s, `null` never. */
  idleTrimMs?: number | null;
  /** Appends a timeline of every request to this file (request-trace.ts); default `SPIN_LOCAL_TRACE_FILE` of `env`, then of the process. */
  traceFile?: string;
  logger?: Logger;
}

export interface SpinApp {
  readonly url: string;
  readonly manifest: Manifest;
  readonly routes: RouteTable;
  readonly backends: { postgres: 'real' | 'embedded'; redis: 'real' | 'embedded' };
  /**
   * The S3 endpoint behind the app's `minio_*` variables, when it declares `minio_endpoint`;
   * `started` is false until the embedded server's first request loads it (always true for a real one).
   */
  readonly objectStorage: { kind: 'real' | 'embedded'; endpoint: string; readonly started: boolean } | undefined;
  /** The Redis channels this app's triggers subscribe to, with their expanded addresses. */
  readonly redisSubscriptions: readonly { address: string; channel: string }[];
  /** Publishes to a channel on the app's Redis (the trigger's address by default). */
  publish(channel: string, payload: string | Uint8Array, address?: string): Promise<void>;
  /** Resolves when no request or Redis message is being handled. */
  waitForIdle(): Promise<void>;
  /**
   * Resolves when no HTTP request is being handled: a response can be complete while its guest
   * still runs what it left in `FetchEvent.waitUntil` (as on Spin); this waits for that too.
   */
  waitForRequests(): Promise<void>;
  /** Empties key-value stores, the embedded Redis, and the tables of the given Postgres addresses. */
  reset(options?: { postgres?: string[]; keepTables?: (table: string) => boolean; redis?: boolean }): Promise<void>;
  /** A SQL client on the app's own Postgres backend (shares embedded databases). */
  sql(address: string): Promise<SqlClient>;
  /** spin-local's own counters (Spin's `/.well-known/spin/info` has only name and version). */
  runtimeStats(): {
    executor: ExecutorPool['health'];
    instances: ExecutorPool['stats'];
    /** The trigger's connection name on a real Redis, and the most messages ever handled at once. */
    redisTrigger: { connection: string | undefined; maxMessagesInFlight: number };
    /** The embedded databases open now, by name (persisted ones close when idle). */
    openDatabases: string[];
  };
  close(): Promise<void>;
}

/**
 * `spin up --component-id` (src/commands/up.rs): every named component must exist
 * (crates/app/src/lib.rs `validate_retained_components_exist`), and none may chain to a component
 * left out (crates/factor-outbound-networking/src/allowed_hosts.rs
 * `validate_service_chaining_for_components`). Messages are Spin's.
 */
function validateComponentSelection(manifest: Manifest, selected: readonly string[]): void {
  for (const id of selected) {
    if (!manifest.component[id]) throw new StartupError(`Specified component "${id}" not found in application`);
  }
  for (const id of selected) {
    for (const entry of manifest.component[id]?.allowed_outbound_hosts ?? []) {
      const target = /^[a-z*]+:\/\/([^.:/]+)\.spin\.internal(?::[^/]*)?\/?$/i.exec(entry)?.[1];
      if (target === undefined || selected.includes(target)) continue;
      if (target === '*') throw new StartupError(`Selected component '${id}' cannot use wildcard service chaining: allowed_outbound_hosts = ["http://*.spin.internal"]`);
      throw new StartupError(`Selected component '${id}' cannot use service chaining to unselected component: allowed_outbound_hosts = ["http://${target}.spin.internal"]`);
    }
  }
}

/** The repository root: the nearest directory holding pnpm-workspace.yaml (else the manifest's). */
export function findRepoRoot(from: string): string {
  let dir = resolve(from);
  while (true) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

export async function startSpinApp(options: SpinAppOptions): Promise<SpinApp> {
  // The embedded object server listens on a port: a start-up that fails later must not leave it running.
  const opened: ObjectBackend[] = [];
  try {
    return await startSpinAppWith(options, opened);
  } catch (error) {
    await Promise.all(opened.map((backend) => backend.close()));
    throw error;
  }
}

async function startSpinAppWith(options: SpinAppOptions, opened: ObjectBackend[]): Promise<SpinApp> {
  const logger = options.logger ?? consoleLogger;
  const env = options.env ?? process.env;
  trace('start');
  // Components were validated when they were built and transpiled: V8 may validate each function
  // when it first compiles it (lazily, on first call) instead of all ~30k up front, which cuts
  // compilation from ~260 ms to ~100 ms for the platform. SPIN_LOCAL_V8_FLAGS adds flags for
  // experiments (V8 flags are process-wide).
  setFlagsFromString('--wasm-lazy-validation');
  if (process.env.SPIN_LOCAL_V8_FLAGS) setFlagsFromString(process.env.SPIN_LOCAL_V8_FLAGS);
  const loaded = await loadManifest(options.manifest);
  // Loads while the modules compile.
  // The Redis libraries load in the background (ioredis-mock alone costs ~130 ms of main-thread
  // time, which would delay compilation); everything that needs Redis awaits this.
  const realRedisUrl = (options.backends?.redisAddress ?? (options.env ?? process.env).REDIS_ADDRESS) || undefined;
  const redisReady = RedisBackend.create(realRedisUrl);
  redisReady.catch(() => {});
  const { manifest, dir: appDir, file: manifestFile } = loaded;
  trace('manifest loaded');
  const repoRoot = findRepoRoot(appDir);

  const selected = options.components ?? Object.keys(manifest.component);
  if (options.components) validateComponentSelection(manifest, options.components);
  const httpTriggers: HttpTriggerSpec[] = (manifest.trigger.http ?? []).filter((t) => selected.includes(t.component));
  const redisTriggers = (manifest.trigger.redis ?? []).filter((t) => selected.includes(t.component));

  const workingDir = options.workingDir ?? process.cwd();
  const runtimeConfig = await loadRuntimeConfig(options.runtimeConfigFile, workingDir);
  const dotenv = Object.assign({}, ...(options.envFiles ?? []).map((f) => readDotenv(resolve(f)))) as Record<string, string>;
  const workingDirDotenv = readDotenv(join(workingDir, '.env'));
  // An app that declares `minio_endpoint` gets object storage, its variables pointing there
  // (whatever else sets them), as DB_CONNECTION redirects every Postgres address.
  const objects = manifest.variables.minio_endpoint
    ? await ObjectBackend.start({
        realEndpoint: env.MINIO_ENDPOINT || undefined,
        accessKey: env.MINIO_ACCESS_KEY,
        secretKey: env.MINIO_SECRET_KEY,
        dataDir: options.backends?.dataDir === null ? null : join(repoRoot, '.data', 's3'),
      })
    : undefined;
  if (objects) opened.push(objects);
  const objectVariables = Object.fromEntries(Object.entries(objects?.variables() ?? {}).filter(([name]) => manifest.variables[name]));
  let appVariables: Record<string, string>;
  try {
    const objectEnv = Object.fromEntries(Object.entries(objectVariables).map(([name, value]) => [`SPIN_VARIABLE_${name.toUpperCase()}`, value]));
    appVariables = { ...resolveAppVariables(manifest, { env: { ...env, ...objectEnv }, workingDirDotenv, dotenv, providers: runtimeConfig.variablesProviders }), ...objectVariables };
    if (objects && appVariables.minio_bucket) await objects.ensureBucket(appVariables.minio_bucket);
  } catch (error) {
    if (error instanceof VariableError) throw new StartupError(`${manifestFile}: ${error.message}`);
    throw error;
  }

  const cacheDir = options.cacheDir ?? join(repoRoot, '.cache', 'spin-local');
  const components: ExecutorComponent[] = [];
  for (const id of selected) {
    const component = manifest.component[id]!;
    if (typeof component.source !== 'string') throw new StartupError(`component "${id}": only local .wasm sources are supported (got a URL source)`);
    const wasm = resolve(appDir, component.source);
    if (!existsSync(wasm)) {
      const build = component.build
        ? ` Build it with \`pnpm build\` from ${repoRoot} (or \`spin build\`, which runs \`${Array.isArray(component.build.command) ? component.build.command.join(' && ') : component.build.command}\`${component.build.workdir ? ` in ${component.build.workdir}` : ''}).`
        : ' Build it first (`pnpm build`).';
      throw new StartupError(`component "${id}": ${wasm} does not exist.${build}`);
    }
    const kvStores = component.key_value_stores ?? [];
    for (const label of kvStores) {
      if (label !== 'default' && !runtimeConfig.keyValueStores[label]) {
        throw new StartupError(`component "${id}" uses key-value store "${label}", which no runtime config defines (pass --runtime-config-file)`);
      }
    }
    let variables: Record<string, string>;
    try {
      variables = componentVariables(manifest, id, appVariables);
    } catch (error) {
      throw new StartupError(`${manifestFile}: ${(error as Error).message}`);
    }
    let allowedOutboundHosts: string[];
    try {
      allowedOutboundHosts = resolveAllowedHosts(component.allowed_outbound_hosts ?? [], appVariables);
    } catch (error) {
      throw new StartupError(`${manifestFile}: component.${id}.allowed_outbound_hosts: ${(error as Error).message}`);
    }
    components.push({ id, variables, allowedOutboundHosts, keyValueStores: kvStores, jsFile: '', modules: {}, memoryImages: {} });
  }
  // All at once: a cache hit only compiles (on V8's background threads); transpile-cache limits
  // the CPU-bound transpiles of a cold cache itself. Threads and backends start meanwhile.
  const compiled = Promise.all(
    components.map(async (c) => {
      const transpiled = await loadTranspiled(resolve(appDir, manifest.component[c.id]!.source as string), cacheDir);
      c.jsFile = transpiled.jsFile;
      c.modules = transpiled.modules;
      c.memoryImages = transpiled.memoryImages;
      if (!transpiled.cacheHit) logger.info(`transpiled ${c.id} into ${dirname(transpiled.jsFile)}`);
      trace(`compiled ${c.id}`);
    }),
  ).then(() => {
    trace('modules compiled');
    // Compiling read every core module into a Buffer; return those ~150 MB now rather than
    // whenever V8 next feels like a full collection.
    collectGarbageNow();
    return components;
  });
  compiled.catch(() => {});

  const backendOptions = options.backends ?? {};
  const dbConnection = backendOptions.dbConnection ?? env.DB_CONNECTION ?? undefined;
  const postgres = new PostgresBackend({
    realConnection: dbConnection || undefined,
    dataDir: backendOptions.dataDir === null ? undefined : (backendOptions.dataDir ?? join(repoRoot, '.data', 'pglite')),
    scope: `${process.pid}-${Date.now()}-${Math.random()}`,
    templateCacheDir: join(cacheDir, 'pglite'),
    idleCloseMs: options.databaseIdleCloseMs === null ? undefined : (options.databaseIdleCloseMs ?? DEFAULT_DATABASE_IDLE_CLOSE_MS),
    backgroundIdleCloseMs: options.databaseIdleCloseMs === undefined ? DEFAULT_BACKGROUND_DATABASE_IDLE_CLOSE_MS : undefined,
    afterIdleClose: collectGarbageNow,
  });
  const keyValue = new KeyValueStores(runtimeConfig.keyValueStores, redisReady);

  let resolveSubscribed: () => void = () => {};
  const subscribed = new Promise<void>((r) => (resolveSubscribed = r));
  const redisConnections = new Map<number, string>();
  let nextRedis = 1;
  const onRedis = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw redisError(error);
    }
  };
  const redisOf = async (id: number) => {
    const address = redisConnections.get(id);
    if (address === undefined) throw new WitError({ tag: 'other', val: 'connection is closed' });
    return (await redisReady).client(address);
  };

  const hostHandlers = {
    ...keyValue.handlers,
    'redis.open': async (address: string) => {
      (await redisReady).client(address);
      const id = nextRedis++;
      redisConnections.set(id, address);
      return id;
    },
    'redis.close': (id: number) => void redisConnections.delete(id),
    'redis.publish': (id: number, channel: string, payload: Uint8Array) =>
      onRedis(async () => {
        expectDelivery(channel);
        await subscribed;
        await (await redisOf(id)).publish(channel, Buffer.from(payload));
      }),
    'redis.get': (id: number, key: string) => onRedis(async () => {
      const value = await (await redisOf(id)).getBuffer(key);
      return value ? new Uint8Array(value) : undefined;
    }),
    'redis.set': (id: number, key: string, value: Uint8Array) => onRedis(async () => void (await (await redisOf(id)).set(key, Buffer.from(value)))),
    'redis.incr': (id: number, key: string) => onRedis(async () => BigInt(await (await redisOf(id)).incr(key))),
    'redis.del': (id: number, keys: string[]) => onRedis(async () => (keys.length === 0 ? 0 : (await redisOf(id)).del(...keys))),
    'redis.sadd': (id: number, key: string, values: string[]) => onRedis(async () => (await redisOf(id)).sadd(key, ...values)),
    'redis.smembers': (id: number, key: string) => onRedis(async () => (await redisOf(id)).smembers(key)),
    'redis.srem': (id: number, key: string, values: string[]) => onRedis(async () => (await redisOf(id)).srem(key, ...values)),
    'redis.execute': (id: number, command: string, args: RedisParameter[]) =>
      onRedis(async () => (await redisReady).execute(redisConnections.get(id) ?? '', command, args)),
    'pg.query': (id: number, statement: string, params: never[]) => postgres.query(id, statement, params),
    'pg.execute': (id: number, statement: string, params: never[]) => postgres.execute(id, statement, params),
    'pg.close': (id: number) => postgres.closeSession(id),
    ...outboundHttpHandlers(),
  };

  let requestsActive = 0;
  let requestWaiters: (() => void)[] = [];
  const onRequestActivity = (delta: 1 | -1) => {
    requestsActive += delta;
    onActivity(delta);
    if (requestsActive === 0) for (const waiter of requestWaiters.splice(0)) waiter();
  };

  let active = 0;
  let idleWaiters: (() => void)[] = [];
  const onActivity = (delta: 1 | -1) => {
    active += delta;
    if (active === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      // Let a just-published Redis message arrive before declaring the app idle.
      setImmediate(() => setImmediate(() => (active === 0 ? waiters.forEach((w) => w()) : idleWaiters.push(...waiters))));
    }
  };

  /**
   * A publish to a channel this app subscribes to counts as activity until the message arrives,
   * so waitForIdle() also waits for the triggered components (delivery is asynchronous).
   */
  const subscribedChannels = new Set<string>();
  const undelivered = new Map<string, NodeJS.Timeout[]>();
  const expectDelivery = (channel: string) => {
    if (!subscribedChannels.has(channel)) return;
    onActivity(1);
    const timers = undelivered.get(channel) ?? [];
    // Give up waiting if the message never comes back (published to another server).
    const timer = setTimeout(() => {
      const index = timers.indexOf(timer);
      if (index >= 0) {
        timers.splice(index, 1);
        onActivity(-1);
      }
    }, 2000);
    timer.unref();
    timers.push(timer);
    undelivered.set(channel, timers);
  };
  const delivered = (channel: string) => {
    const timer = undelivered.get(channel)?.shift();
    if (timer) {
      clearTimeout(timer);
      onActivity(-1);
    }
  };

  // Redis trigger: every component bound to a channel receives each message (subscribed below).
  const defaultRedisAddress = manifest.application.trigger?.redis?.address;
  const subscriptions: (() => Promise<void>)[] = [];
  /** The message being handled per Redis address; the next waits for it. */
  const redisQueues = new Map<string, Promise<void>>();
  let redisInFlight = 0;
  let redisMaxInFlight = 0;
  const channelsByAddress = new Map<string, Map<string, string[]>>();
  for (const trigger of redisTriggers) {
    const template = trigger.address ?? defaultRedisAddress;
    if (!template) throw new StartupError(`${manifestFile}: Redis trigger for "${trigger.component}" has no address (set application.trigger.redis.address)`);
    const address = expandTemplate(template, appVariables, 'trigger.redis.address');
    const channels = channelsByAddress.get(address) ?? new Map<string, string[]>();
    channels.set(trigger.channel, [...(channels.get(trigger.channel) ?? []), trigger.component]);
    channelsByAddress.set(address, channels);
  }
  for (const [address, channels] of channelsByAddress) {
    for (const [channel, bound] of channels) {
      subscribedChannels.add(channel);
      subscriptions.push(() =>
        redis.subscribe(address, channel, (_ch, payload) => {
          // As Spin: one message at a time per Redis server, each handed to every bound component
          // at once (crates/trigger-redis/src/lib.rs: `run_listener` awaits `handle_message`,
          // which joins the components' dispatches).
          onActivity(1);
          const handled = (redisQueues.get(address) ?? Promise.resolve()).then(async () => {
            redisInFlight++;
            redisMaxInFlight = Math.max(redisMaxInFlight, redisInFlight);
            await Promise.all(
              bound.map(async (component) => {
                const started = process.hrtime.bigint();
                const failure = await pool.runRedis(component, new Uint8Array(payload));
                const ms = (Number(process.hrtime.bigint() - started) / 1e6).toFixed(1);
                if (failure) logger.error(describeFailure(component, `redis channel "${channel}"`, `message of ${payload.length} bytes`, failure));
                logger.request(`REDIS ${channel} -> ${component} ${failure ? 'failed' : 'ok'} ${ms} ms`);
              }),
            );
            redisInFlight--;
          });
          redisQueues.set(
            address,
            handled.catch((error: unknown) => logger.error(`redis trigger: handling a message on "${channel}" failed in the host: ${error instanceof Error ? error.stack : String(error)}`)).finally(() => onActivity(-1)),
          );
          delivered(channel);
        }),
      );
    }
  }
  const traceFile = options.traceFile ?? env.SPIN_LOCAL_TRACE_FILE ?? process.env.SPIN_LOCAL_TRACE_FILE;
  const traceOut = traceFile ? new TraceFile(traceFile, (error) => logger.error(`request trace: writing ${traceFile} failed, tracing stops: ${String(error)}`)) : undefined;
  const tracer = new TraceRecorder(traceOut !== undefined, 'main', (event) => traceOut?.add([event]));
  const pool = await ExecutorPool.start({
    size: options.threads ?? Math.min(2, availableParallelism()),
    componentIds: components.map((c) => c.id),
    components: compiled,
    httpTriggers,
    maxPrepared: options.maxPrepared ?? 1,
    ...(options.hostCallDeadlineMs !== undefined ? { hostCallDeadlineMs: options.hostCallDeadlineMs } : {}),
    ...(options.memoryPoolBytes !== undefined ? { memoryPoolBytes: options.memoryPoolBytes } : {}),
    ...(options.idleTrimMs !== null ? { idleTrimMs: options.idleTrimMs ?? DEFAULT_IDLE_TRIM_MS } : {}),
    hostHandlers,
    // A worker's session (a Redis message, the ticker's upkeep) opens its database in the background.
    jobHostHandlers: { 'pg.open': (job, address: string) => postgres.open(address, job === 'redis' ? 'background' : 'request') },
    onLog: (m) => logger.guest(m.component, m.stream, m.line),
    onGuestError: (m) => logger.error(describeFailure(m.component, m.route, 'internal request', m.failure)),
    onHostError: (op, error) => logger.error(`host call ${op} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    ...(traceOut ? { trace: { main: tracer, add: (events: readonly TraceEvent[]) => traceOut.add(events) } } : {}),
  });

  trace('executor threads ready');
  pool.warmUp(httpTriggers.map((t) => t.component).concat(redisTriggers.map((t) => t.component)).filter((id, i, all) => all.indexOf(id) === i));


  const routes = new RouteTable(httpTriggers);
  // Spin's start-up messages for these (crates/trigger-http/src/server.rs `HttpServer::new`).
  if (routes.duplicates.length > 0) {
    logger.error('The following component routes are duplicates and will never be used:');
    for (const dup of routes.duplicates) logger.error(`  ${dup.replaced}: ${dup.route} (duplicate of ${dup.effective})`);
  }
  if (routes.publicRoutes().some((e) => e.route?.startsWith('/.well-known/spin/'))) {
    logger.error('Routes under /.well-known/spin/ are handled by the Spin runtime and will never be reached');
  }
  let server: Server | undefined;
  let url = '';
  // As in Spin, only an app (or selection) with HTTP triggers listens: a Redis-only
  // `--component-id` selection runs the Redis trigger alone.
  if (httpTriggers.length > 0) {
    server = createHttpTrigger({
      routes,
      pool,
      logger,
      onActivity: onRequestActivity,
      ...(traceOut ? { tracer } : {}),
      info: { name: manifest.application.name, ...(manifest.application.version !== undefined ? { version: manifest.application.version } : {}) },
    });
    const { host, port } = options.listen ?? { host: '127.0.0.1', port: 0 };
    const address = await listen(server, host, port);
    url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  trace('listening');
  // Subscribed once the listener is up: only guests publish to the embedded Redis, and their
  // publishes (like app.publish) wait for this.
  const redis = await redisReady;
  redis.onSubscriberEvent((event) => {
    const where = realRedisUrl ?? 'the embedded Redis';
    if (event.kind === 'lost') {
      logger.error(`redis trigger: lost the connection to ${where} (${event.reason}); reconnecting (Spin's \`spin up\` would stop every trigger here)`);
    } else logger.info(`redis trigger: reconnected to ${where}, subscribed again to ${event.channels.map((c) => `"${c}"`).join(', ')}`);
  });
  await Promise.all(subscriptions.map((subscribe) => subscribe()));
  resolveSubscribed();

  const firstRedisAddress = [...channelsByAddress.keys()][0] ?? 'redis://127.0.0.1:6379';
  let closed = false;

  return {
    url,
    manifest,
    routes,
    backends: { postgres: postgres.kind, redis: realRedisUrl ? 'real' : 'embedded' },
    objectStorage: objects
      ? {
          kind: objects.kind,
          endpoint: objects.endpoint,
          get started() {
            return objects.started;
          },
        }
      : undefined,
    redisSubscriptions: [...channelsByAddress].flatMap(([address, channels]) => [...channels.keys()].map((channel) => ({ address, channel }))),
    async publish(channel, payload, address) {
      expectDelivery(channel);
      await redis.publish(address ?? firstRedisAddress, channel, payload);
    },
    waitForRequests: () => (requestsActive === 0 ? Promise.resolve() : new Promise((resolveSettled) => requestWaiters.push(resolveSettled))),
    waitForIdle: () =>
      new Promise((resolveIdle) => {
        if (active === 0) setImmediate(() => setImmediate(() => (active === 0 ? resolveIdle() : idleWaiters.push(resolveIdle))));
        else idleWaiters.push(resolveIdle);
      }),
    async reset(resetOptions = {}) {
      await keyValue.clear();
      // A real Redis may be shared with other test files: flush it only when asked to.
      if (redis.kind === 'embedded' || resetOptions.redis) await redis.flush();
      const keep = resetOptions.keepTables ?? ((table: string) => /migration/i.test(table));
      for (const address of resetOptions.postgres ?? []) await postgres.truncateAll(address, keep);
    },
    sql: (address) => openSqlClientOn(postgres, address, false),
    runtimeStats: () => ({
      executor: pool.health,
      instances: pool.stats,
      redisTrigger: { connection: channelsByAddress.size > 0 && realRedisUrl ? redis.subscriberName : undefined, maxMessagesInFlight: redisMaxInFlight },
      openDatabases: postgres.openEmbeddedDatabaseNames,
    }),
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server?.closeAllConnections();
      await pool.close();
      await Promise.all([postgres.close(), redis.close(), objects?.close(), traceOut?.flush()]);
    },
  };
}
