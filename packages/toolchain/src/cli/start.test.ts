// The root `start` script as pnpm runs it (`sh -c '<script> <args>'`), with `node` replaced by a
// stub on PATH: what matters is which process ends up running the runtime.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..', '..', '..');
const script = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start as string;

/** Runs the script as pnpm would; the stub `node` prints its pid, arguments and MALLOC_ARENA_MAX (or, preparing, exits as told). */
function runStartScript(args: string, options: { prepareExits?: number; env?: Record<string, string> } = {}): Promise<{ shellPid: number; code: number | null; stdout: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'start-script-'));
  writeFileSync(
    join(bin, 'node'),
    `#!/bin/sh\nif [ "$1" = "packages/toolchain/bin/start.mjs" ]; then echo "prepare $*"; exit ${options.prepareExits ?? 0}; fi\necho "runtime pid=$$ arena=$MALLOC_ARENA_MAX args=$*"\n`,
  );
  chmodSync(join(bin, 'node'), 0o755);
  const env: Record<string, string> = { PATH: `${bin}:/usr/bin:/bin`, ...options.env };
  const child = spawn('sh', ['-c', `${script} ${args}`], { cwd: repo, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ shellPid: child.pid as number, code, stdout }));
  });
}

describe('pnpm start (the root package.json script)', () => {
  it('prepares in a process of its own, then replaces the shell with the runtime, passing the arguments on', async () => {
    const { shellPid, code, stdout } = await runStartScript('--listen 127.0.0.1:4000');
    expect(code).toBe(0);
    const [prepare, runtime] = stdout.trim().split('\n');
    expect(prepare).toBe('prepare packages/toolchain/bin/start.mjs');
    // exec: the runtime is the very process pnpm started, not a child of a waiting shell.
    expect(runtime).toBe(`runtime pid=${shellPid} arena=2 args=packages/spin-local/bin/spin-local.mjs up --from spin-all.toml --tick 30 --listen 127.0.0.1:4000`);
  });

  it('keeps an explicit MALLOC_ARENA_MAX', async () => {
    const { stdout } = await runStartScript('', { env: { MALLOC_ARENA_MAX: '8' } });
    expect(stdout).toContain('arena=8 ');
  });

  it('does not start the runtime when preparing fails', async () => {
    const { code, stdout } = await runStartScript('', { prepareExits: 3 });
    expect(code).toBe(3);
    expect(stdout).not.toContain('runtime');
  });
});
