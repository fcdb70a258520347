#!/usr/bin/env node
// Bundles the TypeScript CLI with esbuild (cached under node_modules/.cache, rebuilt when a source
// changes) and runs it as plain JavaScript: no TypeScript loader in the running host.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXTERNAL_PACKAGES, bundledSourcesHash } from '../src/bundle-inputs.mjs';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const outFile = join(packageDir, 'node_modules', '.cache', 'spin-local', `cli-${bundledSourcesHash(packageDir).slice(0, 16)}.mjs`);
if (!existsSync(outFile)) {
  mkdirSync(join(outFile, '..'), { recursive: true });
  // Loaded only to bundle: importing esbuild costs ~40–60 ms of every start otherwise.
  const { buildSync } = await import('esbuild');
  buildSync({
    entryPoints: [join(packageDir, 'src', 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: `${outFile}.tmp.mjs`,
    external: EXTERNAL_PACKAGES,
    logLevel: 'error',
  });
  renameSync(`${outFile}.tmp.mjs`, outFile);
}
await import(pathToFileURL(outFile).href);
