import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ManifestError, loadManifest } from '@authorworks/spin-manifest';
import { z } from 'zod';

export type SpinWorld = 'spin-http' | 'spin-redis';

/** One Spin component to compile: which TypeScript entry becomes which `.wasm`, for which world. */
export interface ComponentTarget {
  service: string;
  serviceDir: string;
  id: string;
  entry: string;
  world: SpinWorld;
  outFile: string;
}

/** Entry points default to `src/index.ts` (HTTP) and `src/worker.ts` (Redis); package.json can override. */
const DEFAULT_ENTRY: Record<SpinWorld, string> = { 'spin-http': 'src/index.ts', 'spin-redis': 'src/worker.ts' };

const packageJson = z.object({
  authorworks: z.object({ entries: z.record(z.string(), z.string()) }).optional(),
});

/**
 * Reads a service's spin.toml and says what to build: the world of each component follows from
 * the trigger it is bound to (HTTP or Redis); a component bound to both would need `spin-all`,
 * which no AuthorWorks component is, so that is an error.
 */
export async function listComponentTargets(serviceDir: string): Promise<ComponentTarget[]> {
  const { file, manifest } = await loadManifest(join(serviceDir, 'spin.toml'));
  const pkgPath = join(serviceDir, 'package.json');
  const pkg = existsSync(pkgPath) ? packageJson.parse(JSON.parse(await readFile(pkgPath, 'utf8'))) : {};
  const httpIds = new Set((manifest.trigger.http ?? []).map((t) => t.component));
  const redisIds = new Set((manifest.trigger.redis ?? []).map((t) => t.component));
  const targets: ComponentTarget[] = [];
  for (const [id, component] of Object.entries(manifest.component)) {
    if (typeof component.source !== 'string') continue;
    if (httpIds.has(id) && redisIds.has(id)) {
      throw new ManifestError(file, `component.${id}`, 'bound to both an HTTP and a Redis trigger; use two components');
    }
    const world: SpinWorld | undefined = httpIds.has(id) ? 'spin-http' : redisIds.has(id) ? 'spin-redis' : undefined;
    if (!world) continue; // not reachable by any trigger: only as a dependency, which AuthorWorks does not use
    const entry = resolve(serviceDir, pkg.authorworks?.entries[id] ?? DEFAULT_ENTRY[world]);
    if (!existsSync(entry)) {
      throw new ManifestError(file, `component.${id}`, `entry ${entry} does not exist (set authorworks.entries["${id}"] in package.json)`);
    }
    targets.push({ service: basename(serviceDir), serviceDir, id, entry, world, outFile: resolve(serviceDir, component.source) });
  }
  return targets;
}
