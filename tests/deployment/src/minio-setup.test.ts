import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadCompose, serviceEnvironment } from './deployment-files.ts';
import { readRepoFile, repoPath } from './repo-files.ts';

const compose = loadCompose();
const initScript = readRepoFile('deploy/minio/init.sh');

describe('deploy/minio/init.sh (the minio-init job)', () => {
  it.each(['deploy/minio/init.sh', 'deploy/backup.sh'])('%s is valid POSIX shell', (file) => {
    const check = spawnSync('sh', ['-n', repoPath(file)], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('gets every variable it requires from docker-compose.yml', () => {
    const required = [...initScript.matchAll(/\$\{([A-Z_]+):\?\}/g)].map((m) => m[1] as string);
    expect(required.length).toBeGreaterThan(0);
    const passed = serviceEnvironment(compose.services['minio-init'] ?? {});
    for (const name of required) expect(passed[name], name).toBeDefined();
  });

  it('creates the bucket and the user the storage service is configured with', () => {
    const init = serviceEnvironment(compose.services['minio-init'] ?? {});
    const spin = serviceEnvironment(compose.services.spin ?? {});
    expect(init.MINIO_BUCKET).toBe(spin.SPIN_VARIABLE_MINIO_BUCKET);
    expect(init.MINIO_APP_ACCESS_KEY).toBe(spin.SPIN_VARIABLE_MINIO_ACCESS_KEY);
    expect(init.MINIO_APP_SECRET_KEY).toBe(spin.SPIN_VARIABLE_MINIO_SECRET_KEY);
    expect(initScript).toMatch(/mc mb --ignore-existing "local\/\$MINIO_BUCKET"/);
    expect(initScript).toMatch(/mc admin user add local "\$MINIO_APP_ACCESS_KEY" "\$MINIO_APP_SECRET_KEY"/);
  });

  it('never gives the services MinIO root credentials', () => {
    const spin = serviceEnvironment(compose.services.spin ?? {});
    const rootValues = Object.values(serviceEnvironment(compose.services.minio ?? {})).filter((v) => /MINIO_ROOT/.test(v));
    for (const value of Object.values(spin)) expect(rootValues).not.toContain(value);
    expect(Object.values(spin).join(' ')).not.toContain('MINIO_ROOT');
  });

  it("limits the storage service's policy to its bucket", () => {
    const resources = [...initScript.matchAll(/"arn:aws:s3:::([^"]*)"/g)].map((m) => m[1]);
    expect(resources).toEqual(['$MINIO_BUCKET', '$MINIO_BUCKET/*']);
  });
});
