// `pnpm start`'s prepare step (src/cli/start.ts) as plain JavaScript: an esbuild bundle kept in
// this package's node_modules/.cache, named by a hash of its sources, the lockfile and this
// checkout's place, so that a start with nothing to rebuild runs no TypeScript loader (tsx's took
// ~0.4–0.5 s of the step's ~0.9 s). Plain JavaScript: bin/start.mjs runs it before any TypeScript
// can be loaded.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sourcesHash } from '@authorworks/spin-local/bundle-inputs';

/**
 * The source folders, relative to this package, of the workspace code the bundle takes in; a
 * change to a file in any of them makes the bundle again (src/start-bundle.test.ts checks that
 * every bundled workspace file lies in one).
 */
export const START_SOURCE_DIRS = ['src', '../spin-local/src', '../spin-manifest/src', '../kit/src', '../domain/src'];

/** Where bundles are kept. */
export const startBundleCache = (packageDir) => join(packageDir, 'node_modules', '.cache', 'toolchain');

/**
 * The folder of the current bundle. Its name changes with the sources and with the checkout's
 * path: the bundle holds absolute paths (its npm imports, each source file's own location).
 */
export function startBundleDir(packageDir) {
  const hash = createHash('sha256').update(sourcesHash(packageDir, START_SOURCE_DIRS)).update(packageDir).digest('hex');
  return join(startBundleCache(packageDir), `start-${hash.slice(0, 16)}`);
}

/**
 * Bundles src/cli/start.ts into `outdir` (start.js and the chunks of what it imports only when
 * needed: the compiler, the runtime's SQL client). Workspace code is bundled; npm packages stay
 * imports, resolved here to absolute paths (pnpm's strict layout gives each package only its own
 * dependencies, so a bare name would not resolve from the cache folder for every bundled package);
 * `import.meta.url`, `dirname` and `filename` keep naming each source file.
 */
export function bundleStart(packageDir, outdir, options = {}) {
  return bundleForNode({ start: join(packageDir, 'src', 'cli', 'start.ts') }, outdir, options);
}

/** `entryPoints` bundled as bundleStart does (its test bundles a probe the same way). */
export async function bundleForNode(entryPoints, outdir, options = {}) {
  const { build } = await import('esbuild');
  return build({
    entryPoints,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    write: options.write ?? true,
    metafile: true,
    logLevel: 'error',
    plugins: [npmImportsByPath, sourceLocations],
  });
}

/** npm packages (not `node:` built-ins, not the workspace's `@authorworks/*`) stay imports of the file esbuild resolves them to. */
const npmImportsByPath = {
  name: 'npm-imports-by-path',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.path.startsWith('@authorworks/') || args.pluginData?.byPath) return undefined;
      const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { byPath: true } });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path, external: true };
    });
  },
};

/** A bundled file's `import.meta.url` / `dirname` / `filename` are its source's, not the bundle's. */
const sourceLocations = {
  name: 'source-locations',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mjs)$/ }, async (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      const own = { url: pathToFileURL(args.path).href, dirname: dirname(args.path), filename: args.path };
      return {
        contents: text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key) => JSON.stringify(own[key])),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      };
    });
  },
};
