import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSpinComponent, buildComponent, bundleComponent, type Compile, ComponentBuildError } from './build-component.ts';

const fixtures = join(import.meta.dirname, '../test/fixtures');
const outDir = mkdtempSync(join(tmpdir(), 'toolchain-build-'));

describe('buildComponent', () => {
  // One real compilation (10–40 s on two shared cores while CI runs the other tests beside it);
  // the decisions after it are checked with a compiler that counts its calls and writes that
  // component again, so every "not skipped" below is a compile that really was asked for.
  it('compiles a component once and skips it when nothing changed', { timeout: 240_000 }, async () => {
    const request = { id: 'hello', entry: join(fixtures, 'hello.ts'), world: 'spin-http' as const, outFile: join(outDir, 'hello.wasm') };
    const first = await buildComponent(request);
    expect(first.skipped).toBe(false);
    expect(first.bytes).toBeGreaterThan(1_000_000);
    const wasm = readFileSync(request.outFile);
    await expect(assertSpinComponent('hello', wasm, 'spin-http')).resolves.toBeUndefined();
    // Compiled away from its output folder: the checkout's path is not in the component (it was,
    // four times, when the compiler worked beside the output), so the same sources make the same
    // component in any checkout, but for what the engine seeds at random while it is pre-initialised.
    expect(wasm.includes(outDir)).toBe(false);

    const second = await buildComponent(request);
    expect(second.skipped).toBe(true);

    // A component compiled for HTTP does not satisfy the Redis trigger.
    await expect(assertSpinComponent('hello', wasm, 'spin-redis')).rejects.toThrow(/does not export fermyon:spin\/inbound-redis/);

    const compiled: string[] = [];
    const compile: Compile = async ({ bundleFile, wasmFile }) => {
      compiled.push(readFileSync(bundleFile, 'utf8'));
      writeFileSync(wasmFile, wasm);
      return '';
    };
    /** Builds with the counting compiler: whether it was skipped, and whether it compiled (they must disagree). */
    const build = async (r: typeof request) => {
      const before = compiled.length;
      const result = await buildComponent({ ...r, compile });
      expect(compiled.length - before, `${r.id}: compiled exactly when not skipped`).toBe(result.skipped ? 0 : 1);
      return result.skipped;
    };

    // A source file saved again without a change is bundled again to find out, and not recompiled;
    // a changed one is recompiled.
    const entry = join(outDir, 'edited.ts');
    writeFileSync(entry, readFileSync(request.entry, 'utf8'));
    const edited = { ...request, id: 'edited', entry, outFile: join(outDir, 'edited.wasm') };
    expect(await build(edited)).toBe(false);
    expect(await build(edited)).toBe(true);
    utimesSync(entry, new Date(), new Date(Date.now() + 5_000));
    expect(await build(edited)).toBe(true);
    writeFileSync(entry, readFileSync(request.entry, 'utf8').replace('hello from a component', 'hello, edited'));
    expect(await build(edited)).toBe(false);
    expect(compiled.at(-1)).toContain('hello, edited');
    // A damaged build record means "build", not a crash.
    writeFileSync(join(outDir, 'edited.build.json'), '{ not json');
    expect(await build(edited)).toBe(false);

    // A copy of the component's folder (another checkout's dist/ copied in) checks its own
    // sources: an edit there is built, though the original's sources did not change.
    const copy = mkdtempSync(join(tmpdir(), 'toolchain-copy-'));
    cpSync(outDir, copy, { recursive: true, preserveTimestamps: true });
    const copied = { ...edited, entry: join(copy, 'edited.ts'), outFile: join(copy, 'edited.wasm') };
    expect(await build(edited)).toBe(true);
    expect(await build(copied)).toBe(true);
    writeFileSync(copied.entry, readFileSync(request.entry, 'utf8').replace('hello from a component', 'hello, copied'));
    expect(await build(copied)).toBe(false);
    expect(readFileSync(copied.outFile.replace(/\.wasm$/, '.js'), 'utf8')).toContain('hello, copied');

    // A tampered output is noticed and rebuilt rather than trusted.
    writeFileSync(request.outFile, wasm.subarray(0, 1000));
    expect(await build(request)).toBe(false);
    // (Buffer.equals: vitest's toEqual walks a 17 MB buffer element by element, ~100 s.)
    expect(readFileSync(request.outFile).equals(wasm)).toBe(true);

    // What a compiler writes is checked, not trusted: a core module is refused and nothing is replaced.
    writeFileSync(entry, readFileSync(request.entry, 'utf8').replace('hello from a component', 'hello, core module'));
    const coreModule: Compile = async ({ wasmFile }) => (writeFileSync(wasmFile, Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)), '');
    await expect(buildComponent({ ...edited, compile: coreModule })).rejects.toThrow(/^edited: output is not a WebAssembly component/);
    expect(readFileSync(edited.outFile).equals(wasm)).toBe(true);
  });

  it('names the component and the source line when bundling fails', async () => {
    const entry = join(outDir, 'broken.ts');
    writeFileSync(entry, '// does not parse\nexport const broken = ;\n');
    const error = await buildComponent({
      id: 'broken-api',
      entry,
      world: 'spin-http',
      outFile: join(outDir, 'broken.wasm'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentBuildError);
    expect((error as Error).message).toMatch(/^broken-api: bundling .* failed/);
    expect((error as Error).message).toContain('broken.ts:2');
  });

  it('fails, naming the component, when the engine rejects the bundle, and says why', { timeout: 180_000 }, async () => {
    const entry = join(outDir, 'unicode-regex.ts');
    writeFileSync(entry, "addEventListener('fetch', (e: any) => e.respondWith(new Response(String(/\\p{L}+/u.test('é')))));\n");
    const error = await buildComponent({ id: 'regex-api', entry, world: 'spin-http', outFile: join(outDir, 'regex.wasm') }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ComponentBuildError);
    expect((error as Error).message).toMatch(/^regex-api: componentize failed/);
    expect((error as Error).message).toContain('no Unicode property escapes');
  });
});

describe('bundleComponent', () => {
  it("takes a package's browser build, as the component engine is a browser-like worker", async () => {
    const pkg = join(outDir, 'node_modules', 'two-builds');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'two-builds', main: 'node.js', browser: 'browser.js' }));
    writeFileSync(join(pkg, 'node.js'), "export const build = 'node-build';\n");
    writeFileSync(join(pkg, 'browser.js'), "export const build = 'browser-build';\n");
    const entry = join(outDir, 'uses-two-builds.ts');
    writeFileSync(entry, "import { build } from 'two-builds';\nconsole.log(build);\n");
    const bundle = await bundleComponent('browser-api', entry);
    expect(bundle).toContain('browser-build');
    expect(bundle).not.toContain('node-build');
  });

  it('refuses an import() with a computed specifier, showing it, instead of the compiler\'s "expected a string"', async () => {
    const entry = join(outDir, 'computed-import.ts');
    writeFileSync(entry, "const name = ['./a', 'js'].join('.');\nexport const loaded = await import(name);\n");
    const error = await bundleComponent('lazy-api', entry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentBuildError);
    expect((error as Error).message).toMatch(/^lazy-api: import\(\) with a computed specifier cannot be compiled/);
    expect((error as Error).message).toContain('import(name)');
  });

  it("makes the bundle's zod jitless before any schema is built: no parser is compiled with new Function", async () => {
    // The entry sits in the toolchain package so that `zod` resolves to the workspace's.
    const dir = mkdtempSync(join(import.meta.dirname, '../.zod-jitless-'));
    try {
      const entry = join(dir, 'schemas.ts');
      writeFileSync(
        entry,
        [
          "import { z } from 'zod';",
          'const Row = z.object({ id: z.string(), tags: z.array(z.object({ name: z.string() })) });',
          'let compiled = 0;',
          'const original = globalThis.Function;',
          'globalThis.Function = new Proxy(original, { construct: (target, args) => (compiled++, Reflect.construct(target, args)) });',
          "const parsed = Row.parse({ id: 'a', tags: [{ name: 'b' }] });",
          'globalThis.Function = original;',
          'export const result = { jitless: z.config().jitless, compiled, parsed };',
        ].join('\n'),
      );
      const bundle = await bundleComponent('jitless-api', entry);
      const file = join(dir, 'bundle.mjs');
      writeFileSync(file, bundle);
      const { result } = (await import(file)) as { result: unknown };
      expect(result).toEqual({ jitless: true, compiled: 0, parsed: { id: 'a', tags: [{ name: 'b' }] } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a zod whose parsers it cannot make jitless', async () => {
    const pkg = join(outDir, 'node_modules', 'zod-renamed');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'zod-renamed', main: 'index.js' }));
    writeFileSync(join(pkg, 'index.js'), 'export const $ZodObjectJIT = (shape) => new Function("payload", shape);\n');
    const entry = join(outDir, 'uses-zod-renamed.ts');
    writeFileSync(entry, "import { $ZodObjectJIT } from 'zod-renamed';\nconsole.log($ZodObjectJIT('return 1'));\n");
    const error = await bundleComponent('renamed-api', entry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ComponentBuildError);
    expect((error as Error).message).toMatch(/^renamed-api: the bundled zod no longer reads globalThis.__zod_globalConfig/);
  });

  it('still bundles an import() of a literal path', async () => {
    writeFileSync(join(outDir, 'lazy-part.ts'), "export const part = 'lazy part';\n");
    const entry = join(outDir, 'literal-import.ts');
    writeFileSync(entry, "export const loaded = await import('./lazy-part.ts');\n");
    await expect(bundleComponent('literal-api', entry)).resolves.toContain('lazy part');
  });
});

describe('assertSpinComponent', () => {
  it('rejects a core module, which is not a component', async () => {
    const coreModule = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    await expect(assertSpinComponent('x', coreModule, 'spin-http')).rejects.toThrow(/^x: output is not a WebAssembly component/);
  });
});
