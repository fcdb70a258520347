import { describe, expect, it } from 'vitest';
import {
  asList,
  loadCompose,
  loadComposeData,
  loadSpinApp,
  serviceEnvironment,
  serviceMounts,
  serviceNetworks,
  type ComposeService,
} from './deployment-files.ts';
import { schemaErrors, validateCompose } from './schemas.ts';
import { seedResourceTable } from './seed-guide.ts';

const compose = loadCompose();
const services = compose.services;
const service = (name: string): ComposeService => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};

/** Services that run to completion on every `up`, as opposed to long-running ones. */
const oneShot = ['db-setup', 'migrate', 'minio-init'];

function optionValue(args: string[], option: string): string | undefined {
  const at = args.indexOf(option);
  return at < 0 ? undefined : args[at + 1];
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    expect(schemaErrors(validateCompose, loadComposeData())).toEqual([]);
  });

  it('has the platform: Traefik, the Spin runtime, Redis, PostgreSQL, MinIO and the one-shot setup jobs', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['db-setup', 'migrate', 'minio', 'minio-init', 'postgres', 'redis', 'spin', 'traefik'].sort(),
    );
  });

  it('publishes ports from Traefik only, and only 80 and 443', () => {
    const publishing = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0).map(([name]) => name);
    expect(publishing).toEqual(['traefik']);
    expect(service('traefik').ports).toEqual(['80:80', '443:443']);
  });

  it('pins every image to a version tag (no :latest, no bare name)', () => {
    for (const [name, s] of Object.entries(services)) {
      const tag = /:([^/:@]+)$/.exec(s.image ?? '')?.[1];
      expect(tag, `${name}: ${s.image}`).toMatch(/\d/);
      expect(tag, name).not.toBe('latest');
    }
  });

  it('runs the official Spin image (ghcr.io/spinframework/spin, not the outdated fermyon/spin)', () => {
    expect(service('spin').image).toMatch(/^ghcr\.io\/spinframework\/spin:v\d+\.\d+\.\d+$/);
  });

  it('gives every long-running service a health check and every service a memory limit', () => {
    for (const [name, s] of Object.entries(services)) {
      if (!oneShot.includes(name)) expect(s.healthcheck?.test, name).toBeDefined();
      expect(s.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
    }
  });

  it("gives the Spin runtime the seed guide's whole memory budget: the sum of its per-service table", () => {
    // One spin process runs every service, so it gets the sum of the per-service budgets.
    const seedTableMb = Object.values(seedResourceTable).reduce((sum, row) => sum + row.memoryMb, 0);
    expect(seedTableMb).toBe(4048);
    expect(service('spin').deploy?.resources?.limits?.memory).toBe(`${seedTableMb}M`);
  });

  it('runs the one-shot jobs once per `up` and restarts the long-running services', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.restart, name).toBe(oneShot.includes(name) ? 'no' : 'unless-stopped');
    }
  });

  it('starts Spin only after Redis is healthy and the migrations and the MinIO setup have completed', () => {
    expect(service('spin').depends_on).toEqual({
      redis: { condition: 'service_healthy' },
      migrate: { condition: 'service_completed_successfully' },
      'minio-init': { condition: 'service_completed_successfully' },
    });
    expect(service('migrate').depends_on).toEqual({ 'db-setup': { condition: 'service_completed_successfully' } });
    expect(service('db-setup').depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(service('minio-init').depends_on).toEqual({ minio: { condition: 'service_healthy' } });
  });

  it('runs `spin up` on the composed spin-all.toml with the runtime config, listening on all interfaces', () => {
    const spin = service('spin');
    const args = [...asList(spin.entrypoint), ...asList(spin.command)];
    expect(args.slice(0, 2)).toEqual(['spin', 'up']);
    const mounts = serviceMounts(spin);
    const mountedFrom = (target: string | undefined) => mounts.find((m) => m.target === target);
    expect(mountedFrom(optionValue(args, '--from'))).toEqual({ source: './spin-all.toml', target: '/app/spin-all.toml', readOnly: true });
    expect(mountedFrom(optionValue(args, '--runtime-config-file'))).toEqual({
      source: './runtime-config.toml',
      target: '/app/runtime-config.toml',
      readOnly: true,
    });
    expect(optionValue(args, '--listen')).toBe('0.0.0.0:3000');
  });

  it("mounts, read-only, the folder of every component's .wasm at the path spin-all.toml names", async () => {
    const { manifest } = await loadSpinApp();
    const spin = service('spin');
    const appDir = '/app'; // the directory of /app/spin-all.toml, against which Spin resolves sources
    const mounts = serviceMounts(spin);
    for (const [id, component] of Object.entries(manifest.component)) {
      expect(typeof component.source, id).toBe('string');
      const source = component.source as string;
      const target = `${appDir}/${source}`;
      const mount = mounts.find((m) => target.startsWith(`${m.target}/`));
      expect(mount, `component ${id}: nothing mounted over ${target}`).toBeDefined();
      expect(mount?.readOnly, id).toBe(true);
      // The host side is the same relative folder, so the mount serves the file the build wrote.
      expect(`${appDir}/${mount?.source.replace(/^\.\//, '')}`, id).toBe(mount?.target);
    }
  });

  it('keeps Redis, PostgreSQL and the setup jobs on an internal network that Traefik is not on', () => {
    expect(compose.networks?.backend?.internal).toBe(true);
    for (const name of ['redis', 'postgres', 'db-setup', 'migrate', 'minio-init']) {
      expect(serviceNetworks(service(name)), name).toEqual(['backend']);
    }
    expect(serviceNetworks(service('traefik'))).toEqual(['edge']);
    expect(serviceNetworks(service('spin')).sort()).toEqual(['backend', 'edge']);
  });

  it('runs the migrations with `pnpm migrate` (through npm) in a Node 20 image on the mounted repository', () => {
    const migrate = service('migrate');
    expect(migrate.image).toMatch(/^node:20\.\d+\.\d+-/);
    expect(asList(migrate.command)).toEqual(['npm', 'run', '--silent', 'migrate']);
    expect(serviceMounts(migrate)).toEqual([{ source: './', target: '/repo', readOnly: true }]);
    expect(migrate.working_dir).toBe('/repo');
    expect(serviceEnvironment(migrate).DB_CONNECTION).toMatch(/^postgres:\/\/authorworks:\$\{[A-Z_]+:\?[^}]*\}@postgres:5432$/);
  });

  it('creates the databases with the SQL in deploy/postgres and the bucket with deploy/minio/init.sh', () => {
    expect(asList(service('db-setup').command)).toContain('/deploy/postgres/create-databases.sql');
    expect(serviceMounts(service('db-setup'))).toEqual([{ source: './deploy/postgres', target: '/deploy/postgres', readOnly: true }]);
    expect(asList(service('minio-init').entrypoint)).toEqual(['sh', '/deploy/minio/init.sh']);
    expect(serviceMounts(service('minio-init'))).toEqual([{ source: './deploy/minio', target: '/deploy/minio', readOnly: true }]);
  });

  it('mounts the Traefik configuration read-only where Traefik looks for it', () => {
    expect(serviceMounts(service('traefik'))).toEqual([
      { source: './traefik/traefik.yml', target: '/etc/traefik/traefik.yml', readOnly: true },
      { source: './traefik/dynamic', target: '/etc/traefik/dynamic', readOnly: true },
    ]);
  });
});
