/**
 * The first half of starting the platform: builds what is stale, regenerates spin-all.toml if a
 * service manifest changed and applies every service's database migrations, then exits. The start
 * script (bin/start.sh: the README's start command, and the root package.json's `start`) then
 * `exec`s the local Spin runtime in its place:
 *
 *   node packages/toolchain/bin/start.mjs || exit; MALLOC_ARENA_MAX=… exec node packages/spin-local/bin/spin-local.mjs up --from spin-all.toml --tick 30 "$@"
 *
 * so that the runtime — plain `node`, no TypeScript loader — is the only long-lived process the
 * script leaves: this one held ~190 MB (tsx's two processes) for as long as the platform ran,
 * only to forward signals. bin/start.mjs runs this file from a cached esbuild bundle
 * (src/start-bundle.mjs) rather than through tsx, whose loader took ~0.4–0.5 s of every start,
 * and a start with nothing stale loads no compiler (build-component.ts). The script's arguments
 * (`--listen …`, also through `pnpm start --listen …`) go to the runtime's command line.
 */
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
// The runtime starts next: no waiting for whatever a build may have left open (esbuild's service).
process.exit(0);
