import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '@authorworks/spin-manifest';
import { devSecretsFile, ensureDevSecrets } from './dev-secrets.ts';
import { readDotenv } from './variables.ts';

const manifest = parseManifest(
  `spin_manifest_version = 2
[application]
name = "secrets"
[variables]
auth_secret = { required = true, secret = true }
api_token = { required = true, secret = true }
log_level = { default = "info" }
`,
  'spin.toml',
);

describe('development secrets', () => {
  it('generates missing required secrets once, keeps them, and says where', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'spin-local-repo-'));
    const lines: string[] = [];
    const file = await ensureDevSecrets(manifest, repo, (name) => name === 'api_token', (line) => lines.push(line));
    expect(file).toBe(devSecretsFile(repo));
    const first = readDotenv(file);
    expect(Object.keys(first)).toEqual(['SPIN_VARIABLE_AUTH_SECRET']);
    expect(first.SPIN_VARIABLE_AUTH_SECRET).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(lines.join('\n')).toMatch(/"auth_secret".*\.data\/dev-secrets\.env \(not committed/);
    expect(lines.join('\n')).not.toContain(first.SPIN_VARIABLE_AUTH_SECRET);
    expect((await stat(file)).mode & 0o077).toBe(0);

    await ensureDevSecrets(manifest, repo, (name) => name === 'api_token', (line) => lines.push(line));
    expect(readDotenv(file)).toEqual(first);
    expect(lines).toHaveLength(1);
    expect(await readFile(file, 'utf8')).toMatch(/^# Development-only secrets/);
  });
});
