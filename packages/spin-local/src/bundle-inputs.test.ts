import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLED_SOURCE_DIRS, EXTERNAL_PACKAGES, LOCKFILE, bundledSourcesHash } from './bundle-inputs.mjs';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The files esbuild takes into the bundle of `entry`, as spin-local bundles it. */
async function bundledFiles(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(packageDir, 'src', entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    metafile: true,
    external: EXTERNAL_PACKAGES,
    absWorkingDir: packageDir,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).map((input) => resolve(packageDir, input));
}

describe('the bundles’ inputs', () => {
  it.each(['cli.ts', 'executor-worker.ts'])('%s takes in only files whose changes make it again (BUNDLED_SOURCE_DIRS)', async (entry) => {
    const files = await bundledFiles(entry);
    expect(files.length).toBeGreaterThan(5);
    const hashed = BUNDLED_SOURCE_DIRS.map((dir) => resolve(packageDir, dir));
    // npm packages bundled in (under node_modules) change only with the lockfile, which is hashed.
    const unhashed = files.filter((file) => !file.includes('/node_modules/') && !hashed.some((dir) => !relative(dir, file).startsWith('..')));
    expect(unhashed.map((file) => relative(packageDir, file))).toEqual([]);
  });

  it('names a bundle after the sources of every bundled folder and the lockfile, tests left out', () => {
    // A workspace of its own: packages/spin-local and its neighbours, the lockfile at the root.
    const root = mkdtempSync(join(tmpdir(), 'bundle-inputs-'));
    const own = join(root, 'packages', 'spin-local');
    for (const dir of BUNDLED_SOURCE_DIRS) mkdirSync(resolve(own, dir), { recursive: true });
    const write = (file: string, text: string) => writeFileSync(resolve(own, file), text);
    write('src/cli.ts', 'cli');
    write('../kit/src/object-store.ts', 'sign');
    write(LOCKFILE, 'aws4fetch@1.0.20');
    const names = [bundledSourcesHash(own)];
    write('../kit/src/object-store.ts', 'sign differently');
    names.push(bundledSourcesHash(own));
    write(LOCKFILE, 'aws4fetch@1.0.21');
    names.push(bundledSourcesHash(own));
    write('../domain/src/storage.ts', 'a new schema');
    names.push(bundledSourcesHash(own));
    expect(new Set(names).size).toBe(4);
    write('../kit/src/object-store.test.ts', 'a test');
    expect(bundledSourcesHash(own)).toBe(names[3]);
    rmSync(root, { recursive: true, force: true });
  });
});
