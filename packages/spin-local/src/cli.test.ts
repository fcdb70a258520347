import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSqlClient } from './sql-client.ts';
import { dbAddress, fixtureManifest, fixtureRuntimeConfig } from '../test/probe-app.ts';

const bin = fileURLToPath(new URL('../bin/spin-local.mjs', import.meta.url));

describe('spin-local up', () => {
  it('prints the route table and request lines, and on Ctrl-C closes the databases with nothing lost', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spin-local-data-'));
    const child = spawn(
      process.execPath,
      [bin, 'up', '-f', fixtureManifest, '--listen', '127.0.0.1:0', '--runtime-config-file', fixtureRuntimeConfig, '--data-dir', dataDir, '--no-dev-secrets'],
      // Embedded backends whatever the environment says: this test is about the embedded data dir.
      { env: { ...process.env, SPIN_VARIABLE_API_KEY: 'k', DB_CONNECTION: '', REDIS_ADDRESS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${output}`)), 60_000);
      child.stdout.on('data', () => {
        const match = /Serving (http:\/\/\S+)/.exec(output);
        // The route table is complete once its last line (the Redis triggers) is out.
        if (match?.[1] && output.includes('worker-b: redis channel')) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    expect(output).toContain(`probe: ${url}/probe (wildcard)`);
    expect(output).toContain('worker-a: redis channel "jobs"');
    expect(output).not.toContain('hidden:');

    const write = await fetch(`${url}/probe/pg`, {
      method: 'POST',
      body: JSON.stringify({
        address: dbAddress,
        statements: [
          ['execute', 'CREATE TABLE kept (note text)'],
          ['execute', "INSERT INTO kept VALUES ('written before Ctrl-C')"],
        ],
      }),
    });
    expect(await write.json()).toEqual({ results: [{ ok: '0n' }, { ok: '1n' }] });
    await new Promise((r) => setTimeout(r, 100));
    expect(output).toMatch(/POST \/probe\/pg -> probe 200 \d+\.\d ms/);

    // A terminal's Ctrl-C under `pnpm start` arrives twice at once (from the terminal and forwarded
    // by the parent): still a clean stop, not a forced exit.
    child.kill('SIGINT');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGINT: stopping');
    expect(output).not.toContain('forced exit');

    const sql = await openSqlClient(dbAddress, { dataDir, dbConnection: '' });
    try {
      expect((await sql.query('SELECT note FROM kept')).rows).toEqual([{ note: 'written before Ctrl-C' }]);
    } finally {
      await sql.close();
    }
  });

  it('refuses a --tick that is not a number of seconds between 1 and 3600, before starting anything', async () => {
    for (const value of ['0', 'soon', '86400']) {
      const child = spawn(process.execPath, [bin, 'up', '-f', fixtureManifest, '--tick', value, '--no-dev-secrets'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', (exit) => resolve(exit)));
      expect(code).toBe(1);
      expect(output).toContain(`error: --tick expects seconds between 1 and 3600, got "${value}"`);
    }
  });
});
