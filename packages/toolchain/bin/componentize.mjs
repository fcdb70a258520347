#!/usr/bin/env node
// componentize-js in a process of its own: it runs its pre-initializer (wizer) with spawnSync,
// which would block every other build sharing the caller's event loop.
// Usage: componentize.mjs <bundle.js> <wit-dir> <world> <out.wasm>
// AUTHORWORKS_SPLICE_CACHE=<dir>: splices of the engine kept there and reused (src/splice-cache.mjs).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { installSbrkInChunks } from '../src/sbrk-in-chunks.mjs';
import { installSpliceCache } from '../src/splice-cache.mjs';

// Before componentize-js compiles its splicer: its allocator then grows memory in large steps
// (src/sbrk-in-chunks.mjs; AUTHORWORKS_PLAIN_SBRK=1 leaves it as shipped, to compare).
if (!process.env.AUTHORWORKS_PLAIN_SBRK) installSbrkInChunks();
const componentizeUrl = import.meta.resolve('@bytecodealliance/componentize-js');
const { componentize } = await import(componentizeUrl);

if (process.env.AUTHORWORKS_SPLICE_CACHE) {
  // The very module componentize-js imports, so the very interface object it calls.
  const splicerUrl = new URL('../lib/spidermonkey-embedding-splicer.js', componentizeUrl);
  const { splicer } = await import(splicerUrl.href);
  const splicerId = createHash('sha256');
  for (const file of ['spidermonkey-embedding-splicer.js', 'spidermonkey-embedding-splicer.core.wasm', 'spidermonkey-embedding-splicer.core2.wasm']) {
    splicerId.update(readFileSync(new URL(file, splicerUrl)));
  }
  installSpliceCache(splicer, { cacheDir: process.env.AUTHORWORKS_SPLICE_CACHE, splicerId: splicerId.digest('hex') });
}

const [sourcePath, witPath, worldName, outFile] = process.argv.slice(2);
if (!outFile) {
  console.error('usage: componentize.mjs <bundle.js> <wit-dir> <world> <out.wasm>');
  process.exit(2);
}
try {
  const { component } = await componentize({ sourcePath, witPath, worldName });
  await writeFile(outFile, component);
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
}
