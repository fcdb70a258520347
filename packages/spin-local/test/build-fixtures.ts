/**
 * Builds the tiny JS fixture components under test/fixtures into test/fixtures/dist/*.wasm.
 * A build (esbuild bundle + componentize-js via the Spin SDK's `j2w`) takes ~12 s, so each output
 * records the hash of its inputs and is rebuilt only when the source changes. Used as vitest's
 * globalSetup and by the benchmark.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const fixturesDir = join(here, 'fixtures');
export const fixturesDistDir = join(fixturesDir, 'dist');

export const fixtureComponents = {
  'probe-http': 'spin-http',
  'probe-redis': 'spin-redis',
  'hello-http': 'spin-http',
} as const;
export type FixtureName = keyof typeof fixtureComponents;

/** esbuild and the Spin SDK are the toolchain package's dependencies; borrow them from there. */
function toolchainRequire(): NodeJS.Require {
  return createRequire(resolve(here, '../../toolchain/package.json'));
}

/** The slice of esbuild's API used here (esbuild is the toolchain's dependency, not ours). */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<unknown>;
}

async function buildFixture(name: FixtureName): Promise<string> {
  const world = fixtureComponents[name];
  const entry = join(fixturesDir, `${name}.js`);
  const outFile = join(fixturesDistDir, `${name}.wasm`);
  const hashFile = `${outFile}.inputs`;
  const inputsHash = createHash('sha256')
    .update(world)
    .update(await readFile(entry))
    .digest('hex');
  if (existsSync(outFile) && existsSync(hashFile) && (await readFile(hashFile, 'utf8')) === inputsHash) return outFile;

  const require = toolchainRequire();
  const esbuild = (await import(require.resolve('esbuild'))) as EsbuildApi;
  const bundleFile = join(fixturesDistDir, `${name}.bundle.js`);
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    outfile: bundleFile,
    external: ['fermyon:*', 'wasi:*'],
    logLevel: 'error',
  });
  const j2w = require.resolve('@fermyon/spin-sdk/bin/j2w.mjs');
  const tmpOut = `${outFile}.tmp`;
  await run(process.execPath, [j2w, '-i', bundleFile, '-o', tmpOut, '--trigger-type', world], { cwd: fixturesDistDir });
  // j2w can exit 0 after failing: insist on a component (layer 1 in the preamble's 7th byte).
  const bytes = await readFile(tmpOut);
  if (bytes.length < 8 || bytes[6] !== 0x01 || bytes[4] !== 0x0d) throw new Error(`j2w did not produce a component for ${name}`);
  await rename(tmpOut, outFile);
  await writeFile(hashFile, inputsHash);
  return outFile;
}

export async function buildFixtures(names: FixtureName[] = Object.keys(fixtureComponents) as FixtureName[]): Promise<Record<string, string>> {
  await mkdir(fixturesDistDir, { recursive: true });
  const built: Record<string, string> = {};
  // Two at a time: componentize is CPU-heavy and the machine has two cores.
  for (let i = 0; i < names.length; i += 2) {
    const batch = names.slice(i, i + 2);
    const outs = await Promise.all(batch.map(buildFixture));
    batch.forEach((name, j) => (built[name] = outs[j] as string));
  }
  return built;
}

/** vitest globalSetup entry. */
export default async function setup(): Promise<void> {
  await buildFixtures(['probe-http', 'probe-redis']);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const built = await buildFixtures();
  console.log(`fixtures ready in ${((Date.now() - started) / 1000).toFixed(1)} s:`, built);
}
