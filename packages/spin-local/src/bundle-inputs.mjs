// What spin-local's two bundles are made of: the CLI (bin/spin-local.mjs) and the executor
// threads' entry (src/entry-bundle.ts), both esbuild bundles kept in node_modules/.cache and
// named by a hash of their sources. Plain JavaScript, as the CLI's launcher runs before any
// TypeScript can be loaded.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** npm packages stay imports (resolved from this package at run time); workspace packages are bundled in. */
export const EXTERNAL_PACKAGES = ['@bytecodealliance/*', '@electric-sql/*', 'ioredis', 'ioredis-mock', 'pg', 'pg-protocol', 's3rver', 'smol-toml', 'zod', 'tsx', 'esbuild', 'jco-1.4'];

/**
 * The source folders, relative to this package, of the workspace code a bundle takes in: a bundle
 * is made again when a file in any of them changes. Every workspace package a bundle imports must
 * be here (src/bundle-inputs.test.ts checks both bundles' inputs): the CLI takes in the kit's
 * object store and, through it, the domain package, which only spin-local's and spin-manifest's
 * own folders used to be hashed for — a kit change left an old copy running.
 */
export const BUNDLED_SOURCE_DIRS = ['src', '../spin-manifest/src', '../kit/src', '../domain/src'];

/** The npm packages bundled in (the kit's) change with the lockfile, which is hashed too. */
export const LOCKFILE = '../../pnpm-lock.yaml';

/** sha256 (hex) over the names and contents of spin-local's bundled sources, tests left out, and the lockfile. */
export function bundledSourcesHash(packageDir) {
  return sourcesHash(packageDir, BUNDLED_SOURCE_DIRS);
}

/**
 * sha256 (hex) over the names and contents of the sources in `dirs` (relative to `packageDir`),
 * tests left out, and the workspace's lockfile: the name of any bundle of workspace code (the
 * toolchain's `pnpm start` bundle uses it too).
 */
export function sourcesHash(packageDir, dirs) {
  const hash = createHash('sha256');
  try {
    hash.update(readFileSync(join(packageDir, LOCKFILE)));
  } catch {
    // Not in a checkout of the workspace: the sources alone.
  }
  for (const dir of dirs.map((relative) => join(packageDir, relative))) {
    for (const entry of readdirSync(dir, { recursive: true }).map(String).sort()) {
      if (/\.(ts|mjs)$/.test(entry) && !entry.endsWith('.test.ts')) hash.update(entry).update(readFileSync(join(dir, entry)));
    }
  }
  return hash.digest('hex');
}
