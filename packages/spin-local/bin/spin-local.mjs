#!/usr/bin/env node
// Bundles the TypeScript CLI with esbuild (cached under node_modules/.cache, rebuilt when a source
// changes) and runs it as plain JavaScript: no TypeScript loader in the running host.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const workspaceSources = [join(packageDir, 'src'), join(packageDir, '..', 'spin-manifest', 'src')];
const hash = createHash('sha256');
for (const dir of workspaceSources) {
  for (const entry of readdirSync(dir, { recursive: true }).map(String).sort()) {
    if (/\.(ts|mjs)$/.test(entry) && !entry.endsWith('.test.ts')) hash.update(entry).update(readFileSync(join(dir, entry)));
  }
}
const outFile = join(packageDir, 'node_modules', '.cache', 'spin-local', `cli-${hash.digest('hex').slice(0, 16)}.mjs`);
if (!existsSync(outFile)) {
  mkdirSync(join(outFile, '..'), { recursive: true });
  buildSync({
    entryPoints: [join(packageDir, 'src', 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: `${outFile}.tmp.mjs`,
    external: ['@bytecodealliance/*', '@electric-sql/*', 'ioredis', 'ioredis-mock', 'pg', 'pg-protocol', 's3rver', 'smol-toml', 'zod', 'tsx', 'esbuild', 'jco-1.4'],
    logLevel: 'error',
  });
  renameSync(`${outFile}.tmp.mjs`, outFile);
}
await import(pathToFileURL(outFile).href);
