// componentize-js starts every component by splicing the WIT world's bindings into its engine
// (`splicer.spliceBindings`: parse the 10.5 MB StarlingMonkey module, add the imports and exports,
// encode it again) — ~1.0 s of a ~2.8 s compile on a quiet core (2026-12-04). What it makes depends
// only on its arguments (the engine's bytes, the features, the world and its WIT files) and on the
// splicer itself, never on the component's JavaScript: the platform's fifteen components splice one
// of two worlds. This module keeps each splice, named by a hash of all of those, in a folder of
// its own, and answers the same splice from there.
//
// Installed in bin/componentize.mjs's process only, by replacing the method on the splicer's
// interface object that componentize-js calls (`splicer.spliceBindings`, looked up at each call).
// A cache entry that cannot be read is spliced again; an entry is written to a private name and
// renamed into place, so that parallel builds never read half of one.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Bumped when what an entry holds, or how its name is made, changes. */
const FORMAT = 'splice-cache 1';

/** Entries kept: a few worlds × a few compiler versions; the oldest used go first. */
export const MAX_ENTRIES = 8;

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** A hash of a WIT file or folder: every file's path (relative to it) and bytes, in sorted order. */
export function witTreeHash(witPath) {
  const hash = createHash('sha256');
  const visit = (path) => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name));
      return;
    }
    const bytes = readFileSync(path);
    hash.update(`${relative(witPath, path)}\0${bytes.length}\0`).update(bytes);
  };
  visit(witPath);
  return hash.digest('hex');
}

/** The entry's name: the splicer's identity and every argument that reaches it. */
export function spliceKey(splicerId, [engine, features, witWorld, witPath, worldName, debug]) {
  return sha256(
    JSON.stringify([
      FORMAT,
      splicerId,
      sha256(engine),
      [...features],
      witWorld ?? null,
      witPath === undefined ? null : witTreeHash(witPath),
      worldName ?? null,
      Boolean(debug),
    ]),
  );
}

function readEntry(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const wasm = readFileSync(join(dir, 'engine.wasm'));
  if (sha256(wasm) !== meta.wasm) throw new Error('the cached engine does not match its record');
  const now = new Date();
  utimesSync(dir, now, now);
  return { wasm: new Uint8Array(wasm.buffer, wasm.byteOffset, wasm.byteLength), jsBindings: meta.jsBindings, exports: meta.exports, imports: meta.imports };
}

function writeEntry(cacheDir, name, result) {
  const partial = join(cacheDir, `${name}.${process.pid}.partial`);
  mkdirSync(partial, { recursive: true });
  try {
    writeFileSync(join(partial, 'engine.wasm'), result.wasm);
    const meta = { wasm: sha256(result.wasm), jsBindings: result.jsBindings, exports: result.exports, imports: result.imports };
    writeFileSync(join(partial, 'meta.json'), JSON.stringify(meta));
    renameSync(partial, join(cacheDir, name));
  } finally {
    // Renamed, or another build put the same entry in place first (its own is as good), or the
    // disk is full: nothing partial stays.
    rmSync(partial, { recursive: true, force: true });
  }
}

/** Removes what may be there; a cache folder that is not one stays as it is. */
function forget(path) {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // not a folder, or not ours to remove
  }
}

/** Entries beyond MAX_ENTRIES, least recently used first, go. */
function prune(cacheDir) {
  const entries = readdirSync(cacheDir)
    .filter((name) => name.startsWith('splice-') && !name.endsWith('.partial'))
    .map((name) => ({ name, used: statSync(join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { name } of entries.slice(MAX_ENTRIES)) rmSync(join(cacheDir, name), { recursive: true, force: true });
}

/**
 * Makes `splicer.spliceBindings` answer from `cacheDir` what it spliced before. `splicerId` names
 * the splicer's own code (a hash of its module). Returns how many calls were answered from the
 * cache and how many spliced, and a function that puts the original method back.
 */
export function installSpliceCache(splicer, { cacheDir, splicerId }) {
  const original = splicer.spliceBindings;
  const counts = { hits: 0, misses: 0 };
  splicer.spliceBindings = (...args) => {
    let name;
    try {
      name = `splice-${spliceKey(splicerId, args).slice(0, 32)}`;
      const entry = readEntry(join(cacheDir, name));
      counts.hits++;
      return entry;
    } catch {
      // Not cached yet, or damaged (then removed, so that the splice below takes its place).
      if (name) forget(join(cacheDir, name));
    }
    const result = original(...args);
    counts.misses++;
    if (name) {
      try {
        mkdirSync(cacheDir, { recursive: true });
        writeEntry(cacheDir, name, result);
        prune(cacheDir);
      } catch {
        // A cache that cannot be written only means the next build splices too.
      }
    }
    return result;
  };
  return {
    counts,
    uninstall: () => {
      splicer.spliceBindings = original;
    },
  };
}
