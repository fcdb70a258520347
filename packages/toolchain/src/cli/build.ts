/**
 * `pnpm build [--filter <service|component>]... [--force] [component...]`
 *
 * Compiles every Spin component of every service (or the selected ones) to `dist/<id>.wasm`.
 * Run inside a service folder (as `spin build` does through `[component.<id>.build]`), it builds
 * that service's components only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAll } from '../build.ts';
import { findRepoRoot, listServiceDirs } from '../workspace.ts';

const { values, positionals } = parseArgs({
  options: {
    filter: { type: 'string', multiple: true, short: 'F' },
    force: { type: 'boolean', default: false },
    concurrency: { type: 'string', short: 'j' },
    quiet: { type: 'boolean', short: 'q', default: false },
  },
  allowPositionals: true,
});

const root = findRepoRoot();
const cwd = process.cwd();
const insideService = cwd !== root && existsSync(join(cwd, 'spin.toml'));
const serviceDirs = insideService ? [cwd] : await listServiceDirs(root);

try {
  const summary = await buildAll({
    root,
    serviceDirs,
    filter: [...(values.filter ?? []), ...positionals],
    force: values.force,
    concurrency: values.concurrency ? Number(values.concurrency) : undefined,
    log: values.quiet ? () => {} : undefined,
  });
  const built = summary.results.filter((r) => !r.skipped).length;
  if (summary.failures.length) {
    for (const { id, error } of summary.failures) console.error(`\n✗ ${id}\n${error.message}`);
    console.error(`\nbuild failed: ${summary.failures.map((f) => f.id).join(', ')}`);
    process.exit(1);
  }
  if (!values.quiet || built > 0) {
    console.log(`${built} built, ${summary.results.length - built} unchanged in ${summary.seconds.toFixed(1)}s`);
  }
} catch (error) {
  console.error(`build failed: ${(error as Error).message}`);
  process.exit(1);
}
