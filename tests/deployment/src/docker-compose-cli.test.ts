import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadEnvExample } from './deployment-files.ts';
import { repoRoot } from './repo-files.ts';

/** Debian's docker-compose 1.29 validates and interpolates a file without a Docker engine. */
const hasDockerCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

/** The environment an operator's filled-in .env gives: every empty secret of .env.example set. */
const filledSecrets = Object.fromEntries(
  loadEnvExample()
    .filter((entry) => entry.value === '' && /SECRET|PASSWORD/.test(entry.name))
    .map((entry) => [entry.name, `sample-${entry.name.toLowerCase()}-value`]),
);

function dockerComposeConfig(env: Record<string, string>) {
  // Only the variables under test: an AUTH_SECRET in the caller's shell must not hide a failure.
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => key === 'PATH' || key === 'HOME')) as Record<string, string>;
  return spawnSync('docker-compose', ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config', '-q'], {
    cwd: repoRoot,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe.skipIf(!hasDockerCompose)('docker-compose CLI (skipped when the docker-compose binary is not installed)', () => {
  it('`docker-compose config -q` accepts the file with .env.example and the secrets filled in', () => {
    const result = dockerComposeConfig(filledSecrets);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(Object.keys(filledSecrets))('refuses to start when %s is missing from .env', (name) => {
    const { [name]: _missing, ...rest } = filledSecrets;
    const result = dockerComposeConfig(rest);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`set ${name} in .env`);
  });
});
