import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root: this file lives in tests/deployment/src. */
export const repoRoot = join(import.meta.dirname, '../../..');

export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/** The committed deployment files that must never contain a secret. */
export const deploymentFiles = [
  'docker-compose.yml',
  '.env.example',
  'runtime-config.toml',
  'traefik/traefik.yml',
  'traefik/dynamic/authorworks.yml',
  'deploy/postgres/create-databases.sql',
  'deploy/minio/init.sh',
  'deploy/backup.sh',
  'deploy/spinkube/spinapps.yaml',
  'docs/deploy.md',
] as const;
