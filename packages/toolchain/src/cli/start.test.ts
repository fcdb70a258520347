// The start script (bin/start.sh) as the README runs it and as pnpm runs the root `start` script
// (`sh -c '<script> <args>'`), with `node` replaced by a stub on PATH: what matters is which
// process ends up running the runtime, with which arguments, where.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = realpathSync(join(import.meta.dirname, '..', '..', '..', '..'));
const pnpmScript = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start as string;

/**
 * Runs `sh <args>` in `cwd`; the stub `node` prints its pid, working folder, arguments and
 * MALLOC_ARENA_MAX (or, preparing, exits as told).
 */
function runShell(args: string[], options: { cwd?: string; prepareExits?: number; env?: Record<string, string> } = {}): Promise<{ shellPid: number; code: number | null; stdout: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'start-script-'));
  writeFileSync(
    join(bin, 'node'),
    `#!/bin/sh\nif [ "$1" = "packages/toolchain/bin/start.mjs" ]; then echo "prepare in $(pwd): $*"; exit ${options.prepareExits ?? 0}; fi\necho "runtime pid=$$ in $(pwd) arena=$MALLOC_ARENA_MAX args=$*"\n`,
  );
  chmodSync(join(bin, 'node'), 0o755);
  const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin`, ...options.env };
  const child = spawn('sh', args, { cwd: options.cwd ?? repo, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ shellPid: child.pid as number, code, stdout }));
  });
}

const runtimeArgs = 'packages/spin-local/bin/spin-local.mjs up --from spin-all.toml --tick 30';

describe('the start script (README: sh packages/toolchain/bin/start.sh)', () => {
  it('prepares in a process of its own, then becomes the runtime (exec), from the repository root wherever it is run', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'start-cwd-'));
    const { shellPid, code, stdout } = await runShell([join(repo, 'packages/toolchain/bin/start.sh'), '--listen', '127.0.0.1:4000'], { cwd: elsewhere });
    expect(code).toBe(0);
    const [prepare, runtime] = stdout.trim().split('\n');
    expect(prepare).toBe(`prepare in ${repo}: packages/toolchain/bin/start.mjs`);
    // exec: the runtime is the very process the user's shell started, nothing waits beside it.
    expect(runtime).toBe(`runtime pid=${shellPid} in ${repo} arena=2 args=${runtimeArgs} --listen 127.0.0.1:4000`);
  });

  it('keeps an explicit MALLOC_ARENA_MAX', async () => {
    const { stdout } = await runShell(['packages/toolchain/bin/start.sh'], { env: { MALLOC_ARENA_MAX: '8' } });
    expect(stdout).toContain('arena=8 ');
  });

  it('does not start the runtime when preparing fails, and exits with its code', async () => {
    const { code, stdout } = await runShell(['packages/toolchain/bin/start.sh'], { prepareExits: 3 });
    expect(code).toBe(3);
    expect(stdout).not.toContain('runtime');
  });
});

describe('pnpm start (the root package.json script, as pnpm runs it)', () => {
  it('runs the same script, and the runtime replaces pnpm’s shell too, with the arguments passed on', async () => {
    const { shellPid, code, stdout } = await runShell(['-c', `${pnpmScript} --listen 127.0.0.1:4000`]);
    expect(code).toBe(0);
    const [prepare, runtime] = stdout.trim().split('\n');
    expect(prepare).toBe(`prepare in ${repo}: packages/toolchain/bin/start.mjs`);
    expect(runtime).toBe(`runtime pid=${shellPid} in ${repo} arena=2 args=${runtimeArgs} --listen 127.0.0.1:4000`);
  });
});
