import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { START_SOURCE_DIRS, bundleForNode, bundleStart, startBundleDir } from './start-bundle.mjs';

const run = promisify(execFile);
const packageDir = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'start-bundle-'));
/** The bundle as `pnpm start` makes it, made once for the tests that read it. */
const outdir = join(scratch, 'start');
let bundled: Awaited<ReturnType<typeof bundleStart>>;
beforeAll(async () => {
  bundled = await bundleStart(packageDir, outdir);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the bundled prepare step of pnpm start', () => {
  it('takes in only workspace files whose changes make it again (START_SOURCE_DIRS), and imports npm packages by path', () => {
    const { metafile } = bundled;
    const hashed = START_SOURCE_DIRS.map((dir) => resolve(packageDir, dir));
    const inputs = Object.keys(metafile.inputs).map((input) => resolve(input));
    expect(inputs.some((file) => file.endsWith('toolchain/src/cli/start.ts'))).toBe(true);
    expect(inputs.some((file) => file.endsWith('spin-local/src/migrations.ts'))).toBe(true);
    const unhashed = inputs.filter((file) => !file.includes('/node_modules/') && !hashed.some((dir) => !relative(dir, file).startsWith('..')));
    expect(unhashed.map((file) => relative(packageDir, file))).toEqual([]);
    // Every import left in the output is a built-in, another chunk, or an npm file by absolute path.
    const imports = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path));
    expect(imports.length).toBeGreaterThan(3);
    for (const path of imports) expect(path.startsWith('node:') || (path.startsWith('/') && path.includes('/node_modules/'))).toBe(true);
    // What the entry loads before it runs: its static imports, followed through the chunks. The
    // compiler's glue and the runtime's SQL client (PGlite) are loaded only when needed.
    const loaded = new Set<string>();
    const follow = (output: string) => {
      for (const i of metafile.outputs[output]?.imports ?? []) {
        if (i.kind !== 'import-statement' || loaded.has(i.path)) continue;
        loaded.add(i.path);
        if (!i.external) follow(i.path);
      }
    };
    follow(Object.keys(metafile.outputs).find((output) => output.endsWith('/start.mjs')) as string);
    expect([...loaded].some((path) => path.includes('/esbuild/'))).toBe(false);
    expect([...loaded].filter((path) => /@electric-sql|componentize-js|@bytecodealliance\/jco|s3rver|ioredis/.test(path))).toEqual([]);
  });

  it('keeps each source file’s own location for import.meta', () => {
    const text = readdirSync(outdir).map((file) => readFileSync(join(outdir, file), 'utf8')).join('\n');
    expect(text).not.toContain('import.meta.dirname');
    expect(text).toContain(JSON.stringify(join(packageDir, 'src')));
  });

  it('compiles against the same WIT folder as the TypeScript build, so neither finds the other’s components stale', async () => {
    // A probe printing the WIT folder's name and the compiler versions, run through tsx (as
    // `pnpm build` runs) and bundled (as `pnpm start` runs): the function texts tsx and esbuild
    // made differed once, and with them the folder's name, so each rebuilt every component.
    const probe = join(scratch, 'probe.mts');
    writeFileSync(
      probe,
      `import { compilerVersions, prepareSpinWit } from ${JSON.stringify(join(packageDir, 'src', 'spin-wit.ts'))};\n` +
        `console.log(JSON.stringify({ wit: await prepareSpinWit(process.argv[2]), compilerVersions }));\n`,
    );
    const cache = join(scratch, 'cache');
    const viaTsx = await run(process.execPath, ['--import', 'tsx', probe, cache], { cwd: packageDir });
    await bundleForNode({ probe }, join(scratch, 'probe'));
    const bundled = await run(process.execPath, [join(scratch, 'probe', 'probe.mjs'), cache]);
    const parsed = JSON.parse(bundled.stdout) as { wit: string; compilerVersions: Record<string, string> };
    expect(parsed).toEqual(JSON.parse(viaTsx.stdout));
    expect(parsed.compilerVersions.componentizeJs).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is named after its sources and the checkout’s place (the bundle holds absolute paths)', () => {
    // Two identical workspaces in two places, then a change to a source of one.
    const places = ['a', 'b'].map((name) => join(scratch, name, 'packages', 'toolchain')) as [string, string];
    for (const place of places) {
      for (const dir of START_SOURCE_DIRS) mkdirSync(resolve(place, dir), { recursive: true });
      writeFileSync(join(place, 'src', 'start.ts'), 'prepare');
    }
    const [a, b] = [startBundleDir(places[0]), startBundleDir(places[1])];
    expect(a).toMatch(/node_modules\/\.cache\/toolchain\/start-[0-9a-f]{16}$/);
    expect(a.slice(-16)).not.toBe(b.slice(-16));
    writeFileSync(join(places[0], '..', 'kit', 'src', 'jobs.ts'), 'a kit change');
    expect(startBundleDir(places[0])).not.toBe(a);
  });
});
