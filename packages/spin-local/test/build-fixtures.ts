/**
 * Builds the tiny JS fixture components under test/fixtures into test/fixtures/dist/*.wasm with
 * the toolchain's own build (esbuild + componentize-js against the Spin WIT), so the fixtures are
 * compiled exactly as the services are. A build takes 10–40 s; the toolchain skips a component
 * whose bundle and compiler are unchanged. Used as vitest's globalSetup and by the benchmark.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = join(here, 'fixtures');
export const fixturesDistDir = join(fixturesDir, 'dist');

export const fixtureComponents = {
  'probe-http': 'spin-http',
  'probe-redis': 'spin-redis',
  'probe-limits': 'spin-http',
  'hello-http': 'spin-http',
  'probe-objects': 'spin-http',
} as const;
export type FixtureName = keyof typeof fixtureComponents;

/** The slice of the toolchain's API used here. */
interface ToolchainApi {
  buildComponent(request: { id: string; entry: string; world: 'spin-http' | 'spin-redis'; outFile: string }): Promise<{ outFile: string }>;
}

/**
 * The toolchain depends on spin-local, so spin-local cannot depend on it: the test set-up loads
 * it by path at run time (as it did esbuild and the SDK's compiler before).
 */
async function loadToolchain(): Promise<ToolchainApi> {
  const entry = pathToFileURL(resolve(here, '../../toolchain/src/index.ts')).href;
  return (await import(entry)) as ToolchainApi;
}

export async function buildFixtures(names: FixtureName[] = Object.keys(fixtureComponents) as FixtureName[]): Promise<Record<string, string>> {
  await mkdir(fixturesDistDir, { recursive: true });
  const toolchain = await loadToolchain();
  const built: Record<string, string> = {};
  // Two at a time: componentize is CPU-heavy and the machine has two cores.
  for (let i = 0; i < names.length; i += 2) {
    const batch = names.slice(i, i + 2);
    const outs = await Promise.all(
      batch.map((name) =>
        toolchain.buildComponent({ id: name, entry: join(fixturesDir, `${name}.js`), world: fixtureComponents[name], outFile: join(fixturesDistDir, `${name}.wasm`) }),
      ),
    );
    batch.forEach((name, j) => (built[name] = outs[j]!.outFile));
  }
  return built;
}

/** vitest globalSetup entry. */
export default async function setup(): Promise<void> {
  await buildFixtures(['probe-http', 'probe-redis', 'probe-limits', 'probe-objects']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const built = await buildFixtures();
  console.log(`fixtures ready in ${((Date.now() - started) / 1000).toFixed(1)} s:`, built);
}
