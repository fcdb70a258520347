/**
 * `pnpm compose [--check]`
 *
 * Generates spin-all.toml, one Spin app holding every service's components, triggers and
 * variables. With --check, writes nothing and exits 1 when the committed file is stale.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMPOSED_MANIFEST, renderSpinAll } from '../compose.ts';
import { findRepoRoot, listServiceDirs } from '../workspace.ts';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });

const root = findRepoRoot();
const target = join(root, COMPOSED_MANIFEST);
try {
  const text = await renderSpinAll(root, await listServiceDirs(root));
  const current = existsSync(target) ? await readFile(target, 'utf8') : undefined;
  if (values.check) {
    if (current !== text) {
      console.error(`${COMPOSED_MANIFEST} is stale: run \`pnpm compose\` and commit the result`);
      process.exit(1);
    }
    console.log(`${COMPOSED_MANIFEST} is up to date`);
  } else if (current === text) {
    console.log(`${COMPOSED_MANIFEST} unchanged`);
  } else {
    await writeFile(target, text);
    console.log(`wrote ${COMPOSED_MANIFEST}`);
  }
} catch (error) {
  console.error(`compose failed: ${(error as Error).message}`);
  process.exit(1);
}
