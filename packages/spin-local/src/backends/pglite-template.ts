/**
 * A new in-memory PGlite database starts from a copy of an empty cluster instead of running initdb:
 * initdb inside PGlite costs ~1.2 s of CPU per database (more on a first load), loading its data
 * directory from a tarball ~0.3 s — and a test run opens a few hundred databases. The copy is made
 * once per PGlite version and kept under the cache directory (`<repo>/.cache/spin-local/pglite/`),
 * written atomically, so concurrent processes at worst both make it. A copy that cannot be read or
 * written costs only the speed: the database is then made by initdb, as before.
 */
import { createRequire } from 'node:module';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

type PGliteModule = typeof import('@electric-sql/pglite');

/** The installed PGlite's version: a template is only loaded by the version that wrote it. */
let installedVersion: string | undefined;
function pgliteVersion(): string {
  installedVersion ??= readPgliteVersion();
  return installedVersion;
}

function readPgliteVersion(): string {
  const require = createRequire(import.meta.url);
  // The package's exports do not include package.json: walk up from its entry point instead.
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = require(join(dir, 'package.json')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite' && pkg.version) return pkg.version;
    } catch {
      // not the package root yet
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** Per process: the template's bytes once read or made. */
const templates = new Map<string, Promise<Blob | undefined>>();

export function templateFile(cacheDir: string): string {
  return join(cacheDir, `empty-cluster-${pgliteVersion()}.tar`);
}

/**
 * A new in-memory PGlite: from the cached empty cluster when there is one; else by initdb, after
 * which the cluster is saved for the next database (before anything is written to it).
 */
export async function createInMemoryPglite(module: PGliteModule, cacheDir: string | undefined, options: PGliteOptions = {}): Promise<PGlite> {
  if (cacheDir === undefined) return module.PGlite.create(options);
  const file = templateFile(cacheDir);
  let template = templates.get(file);
  if (!template) {
    template = readFile(file).then(
      (bytes) => new Blob([bytes]),
      () => undefined,
    );
    templates.set(file, template);
  }
  const bytes = await template;
  if (bytes) {
    try {
      return await module.PGlite.create({ loadDataDir: bytes, ...options });
    } catch {
      // A damaged or foreign file: make a new one below.
      templates.delete(file);
    }
  }
  const db = await module.PGlite.create(options);
  const made = db.dumpDataDir('none').then(async (dump) => {
    const blob = new Blob([await dump.arrayBuffer()]);
    try {
      await mkdir(cacheDir, { recursive: true });
      const staging = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(staging, new Uint8Array(await blob.arrayBuffer()));
      await rename(staging, file).catch(async () => rm(staging, { force: true }));
    } catch {
      // Read-only cache: this process still reuses the bytes in memory.
    }
    return blob;
  });
  templates.set(file, made.catch(() => undefined));
  await made.catch(() => undefined);
  return db;
}
