import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Plugin } from 'esbuild';
import { z } from 'zod';
import type { SpinWorld } from './components.ts';
import { REQUIRED_EXPORT, WORLD_NAME, compilerVersions, prepareSpinWit } from './spin-wit.ts';

const run = promisify(execFile);
// jco, esbuild and es-module-lexer are imported where a build needs them: `pnpm start` with
// nothing stale only checks fingerprints, and loading them cost ~0.25 s of every start.

/** componentize-js runs in a child process (see the script for why). */
const componentizeScript = resolve(import.meta.dirname, '../bin/componentize.mjs');
/** Bumped when how a bundle is compiled changes (options, working folder), so outputs are redone. */
const BUILD_STEPS = 'componentize-js direct, cwd = a folder in the temp dir, zod jitless';
/**
 * Where a component is compiled: a fresh folder under the system's temp dir, whose name does not
 * depend on the checkout. componentize-js hands the working folder's absolute path to the engine
 * (`--strip-path-prefix <cwd>/`), which keeps it in the component's snapshot, so a folder beside
 * the output put the checkout's path into every component: the same sources built in two
 * checkouts made components of different sizes and heap layouts (Decision 13, "Streamed versions
 * hashed afterwards"). Builds are still not byte-for-byte repeatable: the engine seeds its hash
 * tables and Math.random while it is pre-initialised, so two builds differ by a few dozen bytes.
 */
const workFolderPrefix = () => join(tmpdir(), 'authorworks-build-');
/** The repository's git-ignored cache, beside node_modules. */
const defaultCacheDir = resolve(import.meta.dirname, '../../../.cache');

const COMPONENT_HEADER = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00);

export interface BuildRequest {
  id: string;
  entry: string;
  world: SpinWorld;
  outFile: string;
  /** Rebuild even when nothing changed. */
  force?: boolean;
  /** Where the generated WIT is kept; defaults to the repository's `.cache/`. */
  cacheDir?: string;
  /**
   * What turns the bundle into a component: componentize-js in a child process unless given.
   * The tests of when to rebuild pass one that counts its calls, as each real compile costs
   * 10–30 s of CPU; whatever it writes is still checked as a Spin component.
   */
  compile?: Compile;
}

/** Compiles `bundleFile` (in `cwd`) for `world` into `wasmFile`; resolves to the compiler's output, rejects with it. */
export type Compile = (job: { bundleFile: string; witDir: string; world: SpinWorld; wasmFile: string; cwd: string; cacheDir: string }) => Promise<string>;

/** componentize-js, in a process of its own (bin/componentize.mjs says why). */
const componentizeJs: Compile = async ({ bundleFile, witDir, world, wasmFile, cwd, cacheDir }) => {
  try {
    const { stdout, stderr } = await run(process.execPath, [componentizeScript, bundleFile, witDir, WORLD_NAME[world], wasmFile], {
      cwd,
      env: {
        ...process.env,
        // componentize-js makes a scratch folder of its own under the temp dir: in ours, so it goes with it.
        TMPDIR: cwd,
        // The engine spliced for a world is the same for every component of it (src/splice-cache.mjs).
        // AUTHORWORKS_SPLICE_CACHE= (empty) splices every time.
        AUTHORWORKS_SPLICE_CACHE: process.env.AUTHORWORKS_SPLICE_CACHE ?? join(cacheDir, 'splice'),
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${stdout}${stderr}`.trim());
  }
};

export interface BuildResult {
  id: string;
  outFile: string;
  skipped: boolean;
  seconds: number;
  bytes: number;
}

export class ComponentBuildError extends Error {
  constructor(
    readonly id: string,
    message: string,
  ) {
    super(`${id}: ${message}`);
    this.name = 'ComponentBuildError';
  }
}

/**
 * zod's classic API re-exports all ~40 of its message locales (366 kB of a 820 kB bundle), and
 * every byte of source becomes part of each component's snapshot and of the memory every request
 * instantiates. Components only produce English messages, so the locale index is replaced by
 * English alone; `z.config(z.locales.xx())` would fail at build time, not silently.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '..', 'locales', 'en.js').replace(/en\.js$/, 'en-only.js'), namespace: 'zod-locales' } : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path.replace(/en-only\.js$/, 'en.js'))};`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * zod 4 compiles each object schema's parser with `new Function` on its first parse. Inside a
 * component that happens again in every request (each runs in a fresh instance of the snapshot)
 * and costs ~0.5 ms per object schema on an engine without a JIT; the interpreted path parses a
 * warm schema as fast (Decision 14). zod reads `jitless` from this global when a schema is built,
 * so it is set before any module of the bundle runs.
 */
const ZOD_JITLESS_BANNER = 'globalThis.__zod_globalConfig = { ...globalThis.__zod_globalConfig, jitless: true };';

/** The build fails rather than let a zod upgrade that renames the global quietly bring the per-request compiling back. */
function assertZodJitless(id: string, bundle: string): void {
  // (After the banner, which names it too.)
  if (bundle.includes('$ZodObjectJIT') && !bundle.slice(ZOD_JITLESS_BANNER.length).includes('__zod_globalConfig')) {
    throw new ComponentBuildError(id, 'the bundled zod no longer reads globalThis.__zod_globalConfig: update ZOD_JITLESS_BANNER (build-component.ts) for this zod version');
  }
}

const buildRecord = z.object({
  inputs: z.string(),
  wasm: z.string(),
  /** Every file the bundle read, what decides how imports resolve, and the `.wasm` itself: size and mtime when the record was written. */
  sources: z.record(z.string(), z.tuple([z.number(), z.number()])).optional(),
});

/**
 * Files that change what an import resolves to without being bundled themselves: the lockfile
 * (a dependency's version is part of its path) and the workspace's package manifests and TS configs.
 */
function resolutionFiles(entry: string): string[] {
  const files: string[] = [];
  for (let dir = dirname(resolve(entry)), i = 0; i < 8; dir = dirname(dir), i++) {
    for (const name of ['package.json', 'tsconfig.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml']) {
      const file = join(dir, name);
      if (existsSync(file)) files.push(file);
    }
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) break;
  }
  return files;
}

/** Size and mtime of each file; null when one is gone. */
function fingerprint(files: readonly string[]): Record<string, [number, number]> | null {
  const out: Record<string, [number, number]> = {};
  for (const file of files) {
    try {
      const { size, mtimeMs } = statSync(file);
      out[file] = [size, mtimeMs];
    } catch {
      return null;
    }
  }
  return out;
}

/**
 * The record names files relative to its own folder, so a checkout whose `dist/` was copied from
 * another (a second worktree) compares its own files, not the other checkout's.
 */
function relativeSources(recordFile: string, sources: Record<string, [number, number]>): Record<string, [number, number]> {
  return Object.fromEntries(Object.entries(sources).map(([file, stat]) => [relative(dirname(recordFile), file), stat]));
}

/** True when every recorded source still has its recorded size and mtime (a record naming absolute paths is from before they were relative: look again). */
function sourcesUnchanged(recordFile: string, sources: Record<string, [number, number]> | undefined): boolean {
  if (!sources || Object.keys(sources).length === 0 || Object.keys(sources).some((file) => isAbsolute(file))) return false;
  return Object.entries(sources).every(([file, [size, mtime]]) => {
    const now = fingerprint([resolve(dirname(recordFile), file)]);
    const stat = now && Object.values(now)[0];
    return stat?.[0] === size && stat?.[1] === mtime;
  });
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

/**
 * esbuild bundles an `import()` of a literal path and leaves one with a computed specifier in
 * the bundle, silently; componentize-js then fails with a bare "expected a string". A component
 * is one module with nothing to load at run time, so such an import can never work: say so, and
 * show where (the bundle keeps identifiers, so the snippet is recognisable in the source).
 */
async function assertNoComputedImport(id: string, bundle: string): Promise<void> {
  const { init: initModuleLexer, parse: parseModule } = await import('es-module-lexer');
  await initModuleLexer;
  const [imports] = parseModule(bundle);
  const computed = imports.filter((entry) => entry.d > -1 && entry.n === undefined);
  if (computed.length === 0) return;
  const places = computed.map((entry) => `  ${bundle.slice(entry.ss, Math.min(entry.se, entry.ss + 120))}`).join('\n');
  throw new ComponentBuildError(
    id,
    `import() with a computed specifier cannot be compiled into a component (everything is bundled at build time); use a static import or import('a literal path'):\n${places}`,
  );
}

/**
 * Bundles the TypeScript entry with esbuild into one ES module (Spin and WASI interfaces stay
 * imports for the component model to satisfy), then compiles it into a component with
 * componentize-js against WIT taken from the installed packages (spin-wit.ts). The bundle's hash,
 * the world and the compiler and WIT versions decide whether the existing `.wasm` is still
 * current, so an unchanged component is not recompiled — compiling costs ~5–10 s.
 */
export async function buildComponent(request: BuildRequest): Promise<BuildResult> {
  const started = performance.now();
  const { id, entry, world, outFile } = request;
  const bundleFile = outFile.replace(/\.wasm$/, '.js');
  const recordFile = outFile.replace(/\.wasm$/, '.build.json');
  const seconds = () => (performance.now() - started) / 1000;

  const cacheDir = request.cacheDir ?? defaultCacheDir;
  const witDir = await prepareSpinWit(cacheDir);
  // The WIT folder's name is the hash of the worlds and the packages it came from.
  const toolchain = `${BUILD_STEPS}\n${JSON.stringify(compilerVersions)}\n${basename(witDir)}\n${world}`;
  const previous = !request.force && existsSync(outFile) && existsSync(recordFile) ? buildRecord.safeParse(await readJson(recordFile)) : undefined;
  // No source file touched since the record was written: current without bundling (bundling
  // every component to find nothing changed took ~6 s of each `pnpm start`).
  if (previous?.success && previous.data.inputs.startsWith(`${sha256(toolchain)}:`) && sourcesUnchanged(recordFile, previous.data.sources)) {
    return { id, outFile, skipped: true, seconds: seconds(), bytes: statSync(outFile).size };
  }

  const { bundle, files } = await bundleWithInputs(id, entry);
  const bundleHash = sha256(`${toolchain}\n${bundle}`);
  const inputs = `${sha256(toolchain)}:${bundleHash}`;
  // Taken now, right after bundling: a file saved during the (seconds-long) compile then differs
  // from the record, and the next build looks again.
  const sources = fingerprint([...files, ...resolutionFiles(entry)]);
  const sourcesNow = () => {
    const output = fingerprint([outFile]);
    return sources && output ? relativeSources(recordFile, { ...sources, ...output }) : undefined;
  };
  if (previous?.success) {
    const wasm = await readFile(outFile);
    // (A record from before the sources were kept holds the bundle's hash alone.)
    if ((previous.data.inputs === inputs || previous.data.inputs === bundleHash) && previous.data.wasm === sha256(wasm)) {
      await writeRecord(recordFile, { inputs, wasm: previous.data.wasm, sources: sourcesNow() });
      return { id, outFile, skipped: true, seconds: seconds(), bytes: wasm.byteLength };
    }
  }

  // Everything is written in a private folder and moved into place once checked, so a build
  // running at the same time (another test process, `spin build`) never reads a half-written file.
  await mkdir(dirname(outFile), { recursive: true });
  const work = await mkdtemp(workFolderPrefix());
  try {
    const workBundle = join(work, basename(bundleFile));
    const workWasm = join(work, basename(outFile));
    await writeFile(workBundle, bundle);
    let output: string;
    try {
      // Run in the work folder: componentize-js names sources relative to the working directory,
      // so stack traces read `<id>.js:line`, not the temporary folder's path.
      output = await (request.compile ?? componentizeJs)({ bundleFile: workBundle, witDir, world, wasmFile: workWasm, cwd: work, cacheDir });
    } catch (error) {
      const log = error instanceof Error ? error.message : String(error);
      throw new ComponentBuildError(id, `componentize failed:\n${log}${engineHint(log)}`);
    }

    // Check what was written rather than trust the exit status (the old compiler could exit 0 after failing).
    if (!existsSync(workWasm)) throw new ComponentBuildError(id, `componentize wrote no ${basename(outFile)}:\n${output.trim()}`);
    const wasm = await readFile(workWasm);
    await assertSpinComponent(id, wasm, world);
    await moveInto(workBundle, bundleFile);
    await moveInto(workWasm, outFile);
    await writeRecord(recordFile, { inputs, wasm: sha256(wasm), sources: sourcesNow() });
    return { id, outFile, skipped: false, seconds: seconds(), bytes: wasm.byteLength };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * `from` (in the temp dir, maybe another file system, where rename fails) to `to` through a copy
 * beside `to` and a rename, so a reader of `to` sees the old file or the new one, never a part.
 */
async function moveInto(from: string, to: string): Promise<void> {
  const staging = stagingName(to);
  await copyFile(from, staging);
  await rename(staging, to);
}

/** The parsed file, or null when it is unreadable or not JSON (a damaged record means "build"). */
async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Written beside the `.wasm` through a rename, so a reader never sees half a record. */
async function writeRecord(recordFile: string, record: z.infer<typeof buildRecord>): Promise<void> {
  const staging = stagingName(recordFile);
  await writeFile(staging, `${JSON.stringify(record, null, 2)}\n`);
  await rename(staging, recordFile);
}

/** A name beside `file` that no other process or build writes to. */
function stagingName(file: string): string {
  return `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

/** One ES module with everything but the Spin and WASI imports, as componentize-js needs it. */
export async function bundleComponent(id: string, entry: string): Promise<string> {
  return (await bundleWithInputs(id, entry)).bundle;
}

/** The bundle and the absolute paths of the files it was made from. */
async function bundleWithInputs(id: string, entry: string): Promise<{ bundle: string; files: string[] }> {
  try {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      // The engine is a browser-like worker (fetch, Web Crypto, streams; no Node built-ins):
      // packages' `browser` builds are the ones that run there (file-type, mediabunny and the
      // AWS SDK only bundle with it). Sets the `browser` condition and main field too.
      platform: 'browser',
      target: 'es2022',
      external: ['fermyon:*', 'wasi:*'],
      logLevel: 'silent',
      legalComments: 'none',
      // Smaller source, smaller snapshot; names are kept so stack traces stay readable.
      minifyWhitespace: true,
      minifySyntax: true,
      banner: { js: ZOD_JITLESS_BANNER },
      plugins: [zodEnglishOnly],
      metafile: true,
    });
    const bundle = result.outputFiles[0]?.text ?? '';
    await assertNoComputedImport(id, bundle);
    assertZodJitless(id, bundle);
    // Metafile paths are relative to the working directory; the plugin's own namespace is not a file.
    const files = Object.keys(result.metafile.inputs)
      .filter((input) => !input.includes(':'))
      .map((input) => resolve(input));
    return { bundle, files };
  } catch (error) {
    if (error instanceof ComponentBuildError) throw error;
    const messages = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors;
    const detail = messages?.map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text)).join('\n');
    throw new ComponentBuildError(id, `bundling ${entry} failed:\n${detail ?? String(error)}`);
  }
}

/**
 * The compiler runs the bundle once inside the component's JS engine (StarlingMonkey, built
 * without ICU) and reports failures as a Wasm trap. Known causes get a sentence a person can act on.
 */
function engineHint(log: string): string {
  if (/invalid (class )?property name in regular expression/.test(log)) {
    return '\n\nhint: the component JS engine has no Unicode property escapes (\\p{L}, \\p{N}, ...) in regular expressions; use explicit character ranges instead.';
  }
  if (log.includes('expected a string')) {
    return "\n\nhint: the bundle has an import() whose specifier is not a string literal (in a dependency, where the bundler does not report it); a component is one module and cannot load code at run time.";
  }
  if (log.includes('Exception while pre-initializing') || log.includes('Failed to initialize component')) {
    return '\n\nhint: the bundle threw while it was evaluated at build time (top-level code runs during the build); the exception is quoted above.';
  }
  return '';
}

/** Checks that `wasm` is a component (not a core module) and exports what its world requires. */
export async function assertSpinComponent(id: string, wasm: Uint8Array, world: SpinWorld): Promise<void> {
  if (wasm.byteLength < 8 || !COMPONENT_HEADER.every((byte, i) => wasm[i] === byte)) {
    throw new ComponentBuildError(id, 'output is not a WebAssembly component (wrong header)');
  }
  const { componentWit } = await import('@bytecodealliance/jco');
  const wit = await componentWit(wasm);
  if (!wit.includes(`export ${REQUIRED_EXPORT[world]};`)) {
    throw new ComponentBuildError(id, `component does not export ${REQUIRED_EXPORT[world]}`);
  }
}
