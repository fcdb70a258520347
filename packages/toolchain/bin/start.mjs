#!/usr/bin/env node
// The first half of `pnpm start` (src/cli/start.ts: build what is stale, compose, migrate) run
// as plain JavaScript from a cached esbuild bundle (src/start-bundle.mjs), made again when a
// bundled source, the lockfile or the checkout's place changes.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleStart, startBundleCache, startBundleDir } from '../src/start-bundle.mjs';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const dir = startBundleDir(packageDir);
const entry = join(dir, 'start.mjs');
if (!existsSync(entry)) {
  const partial = `${dir}.${process.pid}.partial`;
  await bundleStart(packageDir, partial);
  // Older bundles go (not this one: a start that bundled the same sources at the same moment may
  // have put it in place already, and then wins the rename).
  for (const name of readdirSync(startBundleCache(packageDir))) {
    if (name.startsWith('start-') && name !== basename(dir) && !name.endsWith('.partial')) rmSync(join(startBundleCache(packageDir), name), { recursive: true, force: true });
  }
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true });
  }
}
await import(pathToFileURL(entry).href);
