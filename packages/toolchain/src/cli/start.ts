/**
 * `pnpm start [--listen host:port] [spin-local up options]`
 *
 * The README's run command: builds what is stale, regenerates spin-all.toml if a service
 * manifest changed, applies every service's database migrations, then runs the whole platform
 * on the local Spin runtime (embedded PostgreSQL and Redis unless DB_CONNECTION / REDIS_ADDRESS
 * name real servers).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildAll } from '../build.ts';
import { COMPOSED_MANIFEST, renderSpinAll } from '../compose.ts';
import { migrateAll } from '../migrate.ts';
import { findRepoRoot, listServiceDirs } from '../workspace.ts';

const root = findRepoRoot();
const serviceDirs = await listServiceDirs(root);

const build = await buildAll({ root, serviceDirs });
if (build.failures.length) {
  for (const { id, error } of build.failures) console.error(`\n✗ ${id}\n${error.message}`);
  process.exit(1);
}

const manifestFile = join(root, COMPOSED_MANIFEST);
const composed = await renderSpinAll(root, serviceDirs);
if (!existsSync(manifestFile) || (await readFile(manifestFile, 'utf8')) !== composed) {
  await writeFile(manifestFile, composed);
  console.log(`regenerated ${COMPOSED_MANIFEST}`);
}

try {
  await migrateAll({ root, manifestFile, skipUnchanged: true, log: (line) => console.log(line) });
} catch (error) {
  console.error(`migrations failed: ${(error as Error).message}`);
  process.exit(1);
}

const spinLocal = join(root, 'packages', 'spin-local', 'bin', 'spin-local.mjs');
const args = process.argv.slice(2);
// The deployment's ticker (docker-compose.yml), played by the runtime: what a crash left behind
// converges at start-up and every 30 s without anyone calling an admin route (docs/deploy.md).
if (!args.some((arg) => arg === '--tick' || arg.startsWith('--tick='))) args.push('--tick', '30');
// Two malloc arenas instead of one per thread: the executor threads otherwise keep ~70 MB of
// freed memory each (measured by bench/spin-local); an explicit setting wins.
const env = { MALLOC_ARENA_MAX: '2', ...process.env };
const child = spawn(process.execPath, [spinLocal, 'up', '--from', manifestFile, ...args], { stdio: 'inherit', env });
// Ctrl-C reaches both processes; the runtime closes its databases, and this one waits for it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
