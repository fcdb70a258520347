#!/usr/bin/env node
// componentize-js in a process of its own: it runs its pre-initializer (wizer) with spawnSync,
// which would block every other build sharing the caller's event loop.
// Usage: componentize.mjs <bundle.js> <wit-dir> <world> <out.wasm>
import { writeFile } from 'node:fs/promises';
import { installSbrkInChunks } from '../src/sbrk-in-chunks.mjs';

// Before componentize-js compiles its splicer: its allocator then grows memory in large steps
// (src/sbrk-in-chunks.mjs; AUTHORWORKS_PLAIN_SBRK=1 leaves it as shipped, to compare).
if (!process.env.AUTHORWORKS_PLAIN_SBRK) installSbrkInChunks();
const { componentize } = await import('@bytecodealliance/componentize-js');

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
