import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** The repository root: the nearest directory upwards holding pnpm-workspace.yaml. */
export function findRepoRoot(from = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}: run this inside the AuthorWorks repository`);
    dir = parent;
  }
}

/** Every `services/<name>` folder that holds a spin.toml, sorted by name. */
export async function listServiceDirs(root: string): Promise<string[]> {
  const servicesDir = join(root, 'services');
  const entries = await readdir(servicesDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory() && existsSync(join(servicesDir, entry.name, 'spin.toml')))
    .map((entry) => join(servicesDir, entry.name))
    .sort();
}
