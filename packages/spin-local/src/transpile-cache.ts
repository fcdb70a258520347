/**
 * Components are turned into JS + core modules by `jco transpile` once per distinct `.wasm`:
 * the output lives in `<cacheDir>/<sha256 of the wasm>/`, so a restart (or a second test file)
 * reuses it. Core modules are compiled once per process and shared with every executor thread.
 *
 * Which jco: by default 1.4.4 (chosen with componentize-js 0.10; it runs 0.19's components too).
 * jco 1.35 wraps every import in component-model async task machinery: its glue is 35k lines
 * that each instantiation runs through V8's interpreter, ~40 ms of CPU per instance against
 * ~12 ms for 1.4.4's. Since Spin makes a fresh instance per request, that is the request cost.
 * `SPIN_LOCAL_JCO=1.35` (or `transpiler: '1.35'`) selects the newer one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type MemoryImage, splitMemoryImage, storeMemoryImage } from './memory-images.ts';

export interface TranspiledComponent {
  /** jco's instantiate() module, as CommonJS (see writeCommonJsCopy). */
  jsFile: string;
  /** Core modules by the name the generated JS asks for. */
  modules: Record<string, WebAssembly.Module>;
  /** For each module rewritten to import its memory (memory-images.ts), that memory's image. */
  memoryImages: Record<string, MemoryImage>;
  exports: string[];
  cacheHit: boolean;
}

const marker = 'transpiled.json';

/** Transpiling is CPU-bound: two at a time on this kind of machine. */
let freeTranspileSlots = 2;
const transpileQueue: (() => void)[] = [];
async function withTranspileSlot<T>(work: () => Promise<T>): Promise<T> {
  while (freeTranspileSlots === 0) await new Promise<void>((r) => transpileQueue.push(r));
  freeTranspileSlots--;
  try {
    return await work();
  } finally {
    freeTranspileSlots++;
    transpileQueue.shift()?.();
  }
}
const inFlight = new Map<string, Promise<void>>();
const compiled = new Map<string, Promise<CompiledModules>>();

interface CompiledModules {
  modules: Record<string, WebAssembly.Module>;
  memoryImages: Record<string, MemoryImage>;
}

/**
 * What a core module's split left in the cache directory, beside it (none: it is not the plain
 * case); `sha256` is the rewritten module's, so that identical ones are compiled once.
 */
const splitRecord = z.union([
  z.object({ format: z.literal(2), none: z.literal(true) }),
  z.object({ format: z.literal(2), pages: z.number(), maximum: z.number().optional(), length: z.number(), sha256: z.string() }),
]);

/**
 * Rewritten modules by content: componentize-js puts the same engine into every component, and
 * once the snapshot is out of the data segments (memory-images.ts) the modules of one compiler
 * version are byte for byte the same. One compiled module for all of them keeps one copy of
 * its ~9 MB of code in V8 (not fourteen), and a thread compiles a function lazily once for every
 * component instead of once per component.
 */
const compiledByContent = new Map<string, Promise<WebAssembly.Module>>();
function compileShared(sha256: string, read: () => Uint8Array<ArrayBuffer>): Promise<WebAssembly.Module> {
  let module = compiledByContent.get(sha256);
  if (!module) {
    module = WebAssembly.compile(read());
    compiledByContent.set(sha256, module);
    module.catch(() => compiledByContent.delete(sha256));
  }
  return module;
}

/**
 * Compiles one core module: rewritten to import its memory when it can be (memory-images.ts), the
 * original otherwise — also when V8 refuses the rewritten one. The split is done once per module
 * and kept beside it (`<name>.memory-import`, `<name>.image`, `<name>.split.json`, the record
 * last): splitting the platform's fourteen modules took ~0.5 s of every start.
 */
async function compileCoreModule(dir: string, name: string): Promise<{ module: WebAssembly.Module; image?: MemoryImage }> {
  const file = join(dir, name);
  // A synchronous read (from the page cache, a few ms) hands V8 the bytes at once: with
  // async reads the compilations would wait behind whatever else the main thread is loading.
  const original = () => WebAssembly.compile(readFileSync(file) as Uint8Array<ArrayBuffer>);
  if (process.env.SPIN_LOCAL_MEMORY_IMAGES === '0') return { module: await original() };
  const recordFile = `${file}.split.json`;
  const imageFile = `${file}.image`;
  const splitFile = `${file}.memory-import`;
  let record: z.infer<typeof splitRecord> | undefined;
  try {
    record = splitRecord.parse(JSON.parse(readFileSync(recordFile, 'utf8')));
  } catch {
    record = undefined;
  }
  if (record && 'none' in record) return { module: await original() };
  if (record && existsSync(imageFile) && existsSync(splitFile)) {
    try {
      const image: MemoryImage = { pages: record.pages, ...(record.maximum !== undefined ? { maximum: record.maximum } : {}), file: imageFile, length: record.length };
      return { module: await compileShared(record.sha256, () => readFileSync(splitFile) as Uint8Array<ArrayBuffer>), image };
    } catch {
      // A damaged copy: split again below.
    }
  }
  const bytes = readFileSync(file) as Uint8Array<ArrayBuffer>;
  const split = splitMemoryImage(bytes);
  const sha256 = split ? createHash('sha256').update(split.module).digest('hex') : '';
  let compiled: WebAssembly.Module | undefined;
  if (split) {
    try {
      compiled = await compileShared(sha256, () => split.module);
    } catch {
      // e.g. code that names a data segment: keep the original.
    }
  }
  const writeAtomically = async (target: string, content: Uint8Array | string) => {
    const staging = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(staging, content);
    await rename(staging, target);
  };
  if (!split || !compiled) {
    await writeAtomically(recordFile, JSON.stringify({ format: 2, none: true })).catch(() => undefined);
    return { module: await WebAssembly.compile(bytes) };
  }
  try {
    const image = storeMemoryImage(imageFile, split.image);
    await writeAtomically(splitFile, split.module);
    await writeAtomically(recordFile, JSON.stringify({ format: 2, pages: image.pages, ...(image.maximum !== undefined ? { maximum: image.maximum } : {}), length: image.length, sha256 }));
    return { module: compiled, image };
  } catch {
    // A read-only cache: instances are made from the original module.
    return { module: await WebAssembly.compile(bytes) };
  }
}

export type Transpiler = '1.4' | '1.35';

export function defaultTranspiler(): Transpiler {
  return process.env.SPIN_LOCAL_JCO === '1.35' ? '1.35' : '1.4';
}

const transpilerLabel: Record<Transpiler, string> = { '1.4': 'jco@1.4.4', '1.35': 'jco@1.35.0' };

type TranspileOutput = { files: Record<string, Uint8Array> | [string, Uint8Array][]; imports: string[]; exports: [string, string][] };

async function runTranspiler(transpiler: Transpiler, wasm: Uint8Array): Promise<TranspileOutput> {
  // Both generate an `instantiate(getCoreModule, imports, instantiateCore)` that returns
  // synchronously when its callbacks do: instances can be created inside a host call.
  const options = { name: 'component', instantiation: 'async' as const, noTypescript: true, quiet: true };
  if (transpiler === '1.35') return (await import('@bytecodealliance/jco')).transpile(wasm, options);
  const legacy = (await import('jco-1.4')) as unknown as { transpile(wasm: Uint8Array, options: object): Promise<TranspileOutput> };
  return legacy.transpile(wasm, options);
}

async function transpileInto(wasm: Uint8Array, dir: string, transpiler: Transpiler): Promise<void> {
  const output = await runTranspiler(transpiler, wasm);
  const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  const header = '// Generated by @authorworks/spin-local from a component with `jco transpile`; do not edit.\n';
  const files = Array.isArray(output.files) ? output.files : Object.entries(output.files);
  for (const [name, bytes] of files) {
    if (name.endsWith('.d.ts')) continue;
    const content = name.endsWith('.js') ? Buffer.concat([Buffer.from(header), Buffer.from(bytes)]) : bytes;
    await writeFile(join(staging, name), content);
  }
  await writeCommonJsCopy(join(staging, 'component.js'), join(staging, COMMONJS_COPY));
  await writeFile(join(staging, marker), JSON.stringify({ transpiler: transpilerLabel[transpiler], exports: output.exports.map(([name]) => name), imports: output.imports }, null, 2));
  // A copy made by the other transpiler is replaced; another process may also have finished
  // first, and then either copy is equally good.
  try {
    if (existsSync(dir) && readMarker(dir)?.transpiler !== transpilerLabel[transpiler]) await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The CommonJS copy's name; the number changes with what `writeCommonJsCopy` rewrites, so cached copies are made again. */
const COMMONJS_COPY = 'component.2.cjs';

/**
 * Executor threads load TypeScript through tsx, whose ESM hooks would also run jco's 1 MB module
 * through esbuild (about 0.5 s and 150 MB per component and thread). A CommonJS copy, loaded with
 * `require`, bypasses the hooks; jco's output has exactly two top-level exports to rewrite.
 *
 * It also drops the `Promise.all([module0, …]).catch(() => {})` each instantiation runs (there to
 * silence rejected module promises; the modules here are never promises): its reactions wait in
 * the microtask queue, which is not drained while a job runs, and their closures hold the
 * instance's context — so an instance made for a nested request (`*.spin.internal`) kept its
 * linear memory until the outer job ended. Storage's multipart `complete` reads each 8 MiB part
 * back in a nested request: the runtime's RSS rose by 228 MiB for 64 MiB in 8 parts (a heap
 * snapshot of the executor thread showed each dead instance's `memory0` held by a
 * PromiseFulfillReactionJobTask).
 */
async function writeCommonJsCopy(esmFile: string, cjsFile: string): Promise<void> {
  const esm = await readFile(esmFile, 'utf8');
  const cjs = esm
    .replace(/^export function instantiate\(/m, 'function instantiate(')
    .replace(/^export const _util =/m, 'const _util =')
    .replace(/^[ \t]*Promise\.all\(\[module\d+(?:, module\d+)*\]\)\.catch\(\(\) => \{\}\);\n/m, '')
    .replaceAll('import.meta.url', "require('node:url').pathToFileURL(__filename).href");
  if (/^export /m.test(cjs)) throw new Error(`${esmFile}: unexpected exports in jco output; cannot make a CommonJS copy`);
  const staging = `${cjsFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(staging, `${cjs}\nmodule.exports = { instantiate };\n`);
  await rename(staging, cjsFile);
}

/**
 * Hashing 8 × 12 MB of wasm on every start costs more than everything else in a warm start, so
 * the hash of each source is remembered with its size and modification time.
 */
type HashIndex = Record<string, { size: number; mtimeMs: number; sha256: string }>;

async function readHashIndex(cacheDir: string): Promise<HashIndex> {
  try {
    return JSON.parse(await readFile(join(cacheDir, 'source-hashes.json'), 'utf8')) as HashIndex;
  } catch {
    return {};
  }
}

async function hashOf(wasmFile: string, cacheDir: string): Promise<{ sha256: string; wasm?: Buffer }> {
  const { size, mtimeMs } = await stat(wasmFile);
  const index = await readHashIndex(cacheDir);
  const known = index[wasmFile];
  if (known && known.size === size && known.mtimeMs === mtimeMs) return { sha256: known.sha256 };
  const wasm = await readFile(wasmFile);
  const sha256 = createHash('sha256').update(wasm).digest('hex');
  // Read-modify-write, one at a time in this process (another process may still race: that only costs a re-hash).
  indexUpdates = indexUpdates.then(async () => {
    const latest = { ...(await readHashIndex(cacheDir)), [wasmFile]: { size, mtimeMs, sha256 } };
    await mkdir(cacheDir, { recursive: true });
    const staging = join(cacheDir, `source-hashes.json.${process.pid}.${Math.random().toString(36).slice(2)}`);
    await writeFile(staging, JSON.stringify(latest, null, 1));
    await rename(staging, join(cacheDir, 'source-hashes.json'));
  });
  await indexUpdates;
  return { sha256, wasm };
}

let indexUpdates: Promise<void> = Promise.resolve();

function readMarker(dir: string): { transpiler?: string; exports: string[] } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, marker), 'utf8')) as { transpiler?: string; exports: string[] };
  } catch {
    return undefined;
  }
}

export async function loadTranspiled(wasmFile: string, cacheDir: string, transpiler: Transpiler = defaultTranspiler()): Promise<TranspiledComponent> {
  try {
    return await loadTranspiledOnce(wasmFile, cacheDir, transpiler);
  } catch (error) {
    // Another process replaced the cache entry under us (a different transpiler): once more.
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
    return loadTranspiledOnce(wasmFile, cacheDir, transpiler);
  }
}

async function loadTranspiledOnce(wasmFile: string, cacheDir: string, transpiler: Transpiler): Promise<TranspiledComponent> {
  const { sha256: hash, wasm: maybeWasm } = await hashOf(wasmFile, cacheDir);
  const dir = join(cacheDir, hash);
  const cacheHit = readMarker(dir)?.transpiler === transpilerLabel[transpiler];
  if (!cacheHit) {
    const wasm = maybeWasm ?? (await readFile(wasmFile));
    let transpiling = inFlight.get(dir);
    if (!transpiling) {
      transpiling = mkdir(cacheDir, { recursive: true }).then(() => withTranspileSlot(() => transpileInto(wasm, dir, transpiler)));
      inFlight.set(dir, transpiling);
    }
    await transpiling.finally(() => inFlight.delete(dir));
  }
  const info = readMarker(dir) ?? { exports: [] };
  const cjsFile = join(dir, COMMONJS_COPY);
  if (!existsSync(cjsFile)) await writeCommonJsCopy(join(dir, 'component.js'), cjsFile);
  const compiledKey = `${hash} ${transpiler}`;
  let loaded = compiled.get(compiledKey);
  if (!loaded) {
    loaded = (async () => {
      const names = (await readdir(dir)).filter((f) => f.endsWith('.wasm'));
      const entries = await Promise.all(names.map(async (name) => [name, await compileCoreModule(dir, name)] as const));
      const memoryImages: Record<string, MemoryImage> = {};
      for (const [name, { image }] of entries) if (image) memoryImages[name] = image;
      return { modules: Object.fromEntries(entries.map(([name, { module }]) => [name, module])), memoryImages };
    })();
    compiled.set(compiledKey, loaded);
  }
  const { modules, memoryImages } = await loaded;
  return { jsFile: cjsFile, modules, memoryImages, exports: info.exports, cacheHit };
}
