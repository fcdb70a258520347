/**
 * A throwaway copy of the repository's shape outside the repository, for services rendered from
 * the templates: `<tmp>/services/<name>` beside a `tsconfig.base.json` and a `node_modules/` that
 * links the workspace packages a service imports. Outside the repository so that nothing another
 * process does there (`pnpm build`, `vitest` over `services/*`, `tsc --build`) can see a
 * half-made service, and so that no build or transpile cache survives the run.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const withoutColour = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const templatesDir = join(repoRoot, 'templates');

const require = createRequire(import.meta.url);

/** Where a package visible from `from` is installed (its real folder), as Node would find it. */
function installedPackageDir(name: string, from = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(candidate)) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`${name} is not installed above ${from}`);
  }
}

/** The packages a rendered service imports, as pnpm would link them from its package.json. */
function linkedPackages(): Record<string, string> {
  const toolchain = join(repoRoot, 'packages', 'toolchain');
  return {
    '@authorworks/kit': join(repoRoot, 'packages', 'kit'),
    '@authorworks/domain': join(repoRoot, 'packages', 'domain'),
    '@authorworks/spin-local': join(repoRoot, 'packages', 'spin-local'),
    '@authorworks/toolchain': toolchain,
    zod: installedPackageDir('zod'),
    vitest: installedPackageDir('vitest'),
    '@types/node': installedPackageDir('@types/node'),
  };
}

export interface ScratchWorkspace {
  root: string;
  servicesDir: string;
  remove(): void;
}

export function createScratchWorkspace(): ScratchWorkspace {
  const root = mkdtempSync(join(tmpdir(), 'authorworks-templates-'));
  const servicesDir = join(root, 'services');
  mkdirSync(servicesDir);
  // The rendered tsconfig.json extends ../../tsconfig.base.json and references ../../packages/*.
  symlinkSync(join(repoRoot, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
  symlinkSync(join(repoRoot, 'packages'), join(root, 'packages'), 'dir');
  for (const [name, target] of Object.entries(linkedPackages())) {
    const link = join(root, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
  return { root, servicesDir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Type-checks rendered services with the repository's strict settings in one program. Project
 * references are left out (the workspace packages are checked from source through the links,
 * with their ambient declarations), so nothing is emitted into the repository's packages.
 */
export async function typecheck(root: string, serviceDirs: string[]): Promise<{ ok: boolean; output: string }> {
  const config = join(root, 'tsconfig.check.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: './tsconfig.base.json',
      compilerOptions: { types: ['node'], noEmit: true, composite: false, declaration: false, emitDeclarationOnly: false, incremental: false },
      include: [...serviceDirs.flatMap((dir) => [`${dir}/src`, `${dir}/test`, `${dir}/package.json`]), 'packages/*/src/**/*.d.ts'],
    }),
  );
  const tsc = require.resolve('typescript/bin/tsc', { paths: [repoRoot] });
  try {
    const { stdout, stderr } = await run(process.execPath, [tsc, '-p', config], { cwd: root, maxBuffer: 8 * 1024 * 1024 });
    return { ok: true, output: withoutColour(`${stdout}${stderr}`) };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: withoutColour(`${stdout}${stderr}`) };
  }
}

/** This process's environment without what the running vitest set for its own workers. */
function childEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { CI: 'true', NO_COLOR: '1' };
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'NODE_OPTIONS' && key !== 'TEST') env[key] ??= value;
  }
  return env;
}

/** Runs a rendered service's own tests with vitest, as `pnpm test` would inside the service. */
export async function runServiceTests(serviceDir: string): Promise<{ ok: boolean; output: string }> {
  const vitest = join(installedPackageDir('vitest'), 'vitest.mjs');
  try {
    const { stdout, stderr } = await run(process.execPath, [vitest, 'run', '--root', serviceDir, '--reporter', 'verbose'], {
      cwd: serviceDir,
      env: childEnv(),
      maxBuffer: 8 * 1024 * 1024,
      timeout: 170_000,
    });
    return { ok: true, output: withoutColour(`${stdout}${stderr}`) };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { ok: false, output: withoutColour(`${stdout}${stderr}`) };
  }
}

