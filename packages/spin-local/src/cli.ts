/**
 * `spin-local trace-report <file>` prints per-route medians of a request trace written with
 * `SPIN_LOCAL_TRACE_FILE` (request-trace.ts, trace-report.ts).
 *
 * `spin-local up -f spin-all.toml [--listen 127.0.0.1:3000] [--runtime-config-file f] [--env-file f]
 * [--component-id id]...` — runs a Spin app the way `spin up` would, printing the route table and
 * one line per request. `--component-id` / `-c` runs only the named components and their triggers,
 * as `spin up --component-id` does (so the Redis workers can run in a process of their own).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadManifest } from '@authorworks/spin-manifest';
import { StartupError, findRepoRoot, startSpinApp } from './app.ts';
import { ensureDevSecrets } from './dev-secrets.ts';
import { consoleLogger } from './logger.ts';
import { startTicker } from './ticker.ts';
import { formatSummary, parseTrace, summarizeTrace } from './trace-report.ts';
import { readDotenv } from './variables.ts';

/**
 * The start-up tick waits this long: ticking all fourteen worker channels at once opened every
 * service's database and kept both executor threads busy while the first requests waited (every
 * health route answered after ~14 s instead of ~6 s, load ~7).
 */
const FIRST_TICK_AFTER_MS = 5_000;

/** A repeated stop signal within this long is the same Ctrl-C arriving twice, not a request to force. */
const SECOND_SIGNAL_FORCES_AFTER_MS = 1_000;

const usage = `usage: spin-local up -f <manifest> [--listen host:port] [--runtime-config-file <file>] [--env-file <file>]... [--component-id <id>]... [--threads <n>] [--data-dir <dir>] [--no-dev-secrets] [--tick <seconds>]
       spin-local trace-report <trace file>`;

function parseListen(value: string): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  if (!match) throw new StartupError(`--listen expects host:port, got ${JSON.stringify(value)}`);
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(match[2]) };
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'trace-report' && rest.length === 1) {
    const summary = summarizeTrace(parseTrace(await readFile(rest[0]!, 'utf8')));
    if (summary.length === 0) {
      console.error(`${rest[0]}: no complete request in this trace`);
      return 1;
    }
    console.log(formatSummary(summary));
    return 0;
  }
  if (command !== 'up') {
    console.error(usage);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      from: { type: 'string', short: 'f', default: 'spin.toml' },
      listen: { type: 'string', default: '127.0.0.1:3000' },
      'runtime-config-file': { type: 'string' },
      'env-file': { type: 'string', multiple: true, default: [] },
      threads: { type: 'string' },
      'no-dev-secrets': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'component-id': { type: 'string', short: 'c', multiple: true, default: [] },
      // Not a `spin up` flag: plays the deployment's `ticker` container (ticker.ts).
      tick: { type: 'string' },
    },
  });
  const tickSeconds = values.tick === undefined ? undefined : Number(values.tick);
  if (tickSeconds !== undefined && !(Number.isFinite(tickSeconds) && tickSeconds > 0 && tickSeconds <= 3600)) {
    throw new StartupError(`--tick expects seconds between 1 and 3600, got ${JSON.stringify(values.tick)}`);
  }
  const manifestFile = resolve(values.from);
  const listen = parseListen(values.listen);
  const envFiles = values['env-file'].map((f) => resolve(f));
  const started = Date.now();

  if (!values['no-dev-secrets']) {
    const { manifest, dir } = await loadManifest(manifestFile);
    const fromFiles = Object.assign({}, ...envFiles.map(readDotenv)) as Record<string, string>;
    const known = (name: string) => {
      const key = `SPIN_VARIABLE_${name.toUpperCase()}`;
      return process.env[key] !== undefined || fromFiles[key] !== undefined;
    };
    // Loaded first so that every explicit file overrides it.
    envFiles.unshift(await ensureDevSecrets(manifest, findRepoRoot(dir), known, (line) => consoleLogger.info(line)));
  }

  const app = await startSpinApp({
    manifest: manifestFile,
    listen,
    envFiles,
    ...(values['runtime-config-file'] ? { runtimeConfigFile: resolve(values['runtime-config-file']) } : {}),
    ...(values.threads ? { threads: Number(values.threads) } : {}),
    ...(values['data-dir'] ? { backends: { dataDir: resolve(values['data-dir']) } } : {}),
    ...(values['component-id'].length > 0 ? { components: values['component-id'] } : {}),
  });

  const where = app.url ? `Serving ${app.url}` : 'Running (no HTTP triggers selected, not listening)';
  console.log(`${where} (Postgres: ${app.backends.postgres}, Redis: ${app.backends.redis}) in ${Date.now() - started} ms`);
  console.log('Available Routes:');
  for (const entry of app.routes.publicRoutes()) {
    const route = entry.route ?? '';
    const wildcard = entry.trailingWildcard ? ' (wildcard)' : '';
    console.log(`  ${entry.component}: ${app.url}${route.replace(/\/\.\.\.$/, '') || '/'}${wildcard}`);
  }
  const selected = values['component-id'];
  for (const trigger of (app.manifest.trigger.redis ?? []).filter((t) => selected.length === 0 || selected.includes(t.component))) console.log(`  ${trigger.component}: redis channel "${trigger.channel}"`);
  const stopTicker =
    tickSeconds !== undefined && app.redisSubscriptions.length > 0
      ? startTicker({ seconds: tickSeconds, subscriptions: app.redisSubscriptions, publish: (channel, payload, address) => app.publish(channel, payload, address), onError: (line) => consoleLogger.error(line), firstRoundAfterMs: FIRST_TICK_AFTER_MS, spread: true })
      : () => {};
  if (tickSeconds !== undefined) console.log(`Ticking ${app.redisSubscriptions.map((s) => `"${s.channel}"`).join(', ') || 'no channel'} every ${tickSeconds} s, spread over the interval, the first in ${FIRST_TICK_AFTER_MS / 1000} s (the deployment's ticker)`);

  await new Promise<void>((resolveStop) => {
    let stoppingSince: number | undefined;
    const stop = (signal: string) => {
      if (stoppingSince !== undefined) {
        // A terminal's Ctrl-C reaches this process and `pnpm start`, which forwards it, within
        // milliseconds: only a second one a person sends forces the exit.
        if (Date.now() - stoppingSince < SECOND_SIGNAL_FORCES_AFTER_MS) return;
        console.error('forced exit');
        process.exit(130);
      }
      stoppingSince = Date.now();
      stopTicker();
      console.log(`${signal}: stopping (closing databases so nothing written is lost)...`);
      app.close().then(resolveStop, (error: unknown) => {
        console.error(error);
        resolveStop();
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error && (error.name === 'StartupError' || error.name === 'ManifestError') ? `error: ${error.message}` : error);
    process.exit(1);
  },
);
