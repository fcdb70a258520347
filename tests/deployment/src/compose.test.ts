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

  it('has the platform: Traefik, the Spin runtime, Redis, PostgreSQL, MinIO, the ticker and the one-shot setup jobs', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['db-setup', 'migrate', 'minio', 'minio-init', 'postgres', 'redis', 'spin', 'spin-worker', 'ticker', 'traefik'].sort(),
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

  it("gives the two Spin containers the seed guide's whole memory budget: the sum of its per-service table", () => {
    // Two spin processes run every service between them, so together they get the sum of the
    // per-service budgets.
    const seedTableMb = Object.values(seedResourceTable).reduce((sum, row) => sum + row.memoryMb, 0);
    expect(seedTableMb).toBe(4048);
    const mb = (name: string) => Number(/^(\d+)M$/.exec(service(name).deploy?.resources?.limits?.memory ?? '')?.[1]);
    expect(mb('spin') + mb('spin-worker')).toBe(seedTableMb);
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

  it.each(['spin', 'spin-worker'])("%s mounts, read-only, the folder of every component's .wasm at the path spin-all.toml names", async (name) => {
    const { manifest } = await loadSpinApp();
    const spin = service(name);
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

  describe('the Spin runtime split: HTTP components in `spin`, Redis-triggered ones in `spin-worker`', () => {
    const spinArgs = (name: string) => [...asList(service(name).entrypoint), ...asList(service(name).command)];
    const selected = (name: string) => spinArgs(name).flatMap((arg, i, all) => (all[i - 1] === '--component-id' ? [arg] : []));

    // Spin 4 stops every trigger of a `spin up` when its Redis trigger loses the connection
    // (spin v4.0.2 crates/trigger-redis/src/lib.rs `run_listener`, src/commands/up.rs): the Redis
    // trigger must not share a process with the HTTP trigger. `--component-id` keeps the named
    // components and only their triggers (crates/app/src/lib.rs `retain_components`).
    it('selects exactly the HTTP-triggered components for `spin` and the Redis-triggered ones for `spin-worker`', async () => {
      const { manifest } = await loadSpinApp();
      const http = [...new Set((manifest.trigger.http ?? []).map((t) => t.component))].sort();
      const redis = [...new Set((manifest.trigger.redis ?? []).map((t) => t.component))].sort();
      expect(redis.length).toBeGreaterThan(0);
      expect(selected('spin').sort()).toEqual(http);
      expect(selected('spin-worker').sort()).toEqual(redis);
      expect(http.filter((id) => redis.includes(id))).toEqual([]);
      expect([...http, ...redis].sort()).toEqual(Object.keys(manifest.component).sort());
    });

    it('runs both with `spin up` on the same manifest, runtime config and variables; only `spin` listens', () => {
      for (const name of ['spin', 'spin-worker']) {
        const args = spinArgs(name);
        expect(args.slice(0, 2), name).toEqual(['spin', 'up']);
        expect(optionValue(args, '--from'), name).toBe('/app/spin-all.toml');
        expect(optionValue(args, '--runtime-config-file'), name).toBe('/app/runtime-config.toml');
        expect(service(name).image, name).toBe(service('spin').image);
      }
      expect(optionValue(spinArgs('spin-worker'), '--listen')).toBeUndefined();
    });

    // Spin refuses a selection that chains to a component left out
    // (crates/factor-outbound-networking/src/allowed_hosts.rs `validate_service_chaining_for_components`).
    it('leaves no selected component chaining (*.spin.internal) to a component of the other container', async () => {
      const { manifest } = await loadSpinApp();
      for (const name of ['spin', 'spin-worker']) {
        const ids = selected(name);
        for (const id of ids) {
          for (const host of manifest.component[id]?.allowed_outbound_hosts ?? []) {
            const target = /^[a-z*]+:\/\/([^.:/]+)\.spin\.internal/.exec(host)?.[1];
            if (target !== undefined) expect(ids, `${name}: ${id} chains to ${target}`).toContain(target);
          }
        }
      }
    });

    it("health-checks the worker by its Redis subscription: PUBSUB NUMSUB of each of its channels", async () => {
      const { manifest } = await loadSpinApp();
      const channels = (manifest.trigger.redis ?? []).filter((t) => selected('spin-worker').includes(t.component)).map((t) => t.channel);
      const test = asList(service('spin-worker').healthcheck?.test).join(' ');
      // One RESP command naming every channel, each as a bulk string of the right length ($$ is
      // compose's literal $).
      const bulk = (text: string) => `$$${text.length}\\r\\n${text}\\r\\n`;
      expect(test).toContain(`printf '*${2 + channels.length}\\r\\n${bulk('PUBSUB')}${bulk('NUMSUB')}${channels.map(bulk).join('')}' >&3`);
      expect(test).toContain('/dev/tcp/redis/6379');
      expect(service('spin-worker').restart).toBe('unless-stopped');
    });

    // Spin 4 compiles with Wasmtime's cache on (crates/trigger/src/cli.rs: only --disable-cache
    // turns it off; crates/core/src/lib.rs `enable_cache` → `wasmtime::Cache::from_file(None)`),
    // whose default directory is $XDG_CACHE_HOME/wasmtime (wasmtime crates/cache config.rs,
    // `ProjectDirs::cache_dir`). That directory must be a volume to survive a restart.
    it('keeps the compiled-module cache of both containers in a named volume', () => {
      for (const name of ['spin', 'spin-worker']) {
        const cacheHome = serviceEnvironment(service(name)).XDG_CACHE_HOME;
        expect(cacheHome, name).toMatch(/^\//);
        const volume = (service(name).volumes ?? []).find((v) => typeof v === 'string' && v.endsWith(`:${cacheHome}`));
        expect(volume, name).toBeDefined();
        const volumeName = String(volume).split(':')[0] ?? '';
        expect(compose.volumes, name).toHaveProperty(volumeName);
        expect(serviceEnvironment(service(name)).DISABLE_WASMTIME_CACHE, name).toBeUndefined();
        expect(spinArgs(name), name).not.toContain('--disable-cache');
      }
    });
  });

  // Spin keeps a pool of up to 64 connections per Postgres address in each process (spin v4.0.2
  // crates/factor-outbound-pg/src/client.rs, CONNECTION_POOL_SIZE = 64).
  it("lets PostgreSQL accept every connection the Spin containers' pools can open, plus headroom", async () => {
    const { manifest } = await loadSpinApp();
    const perProcess = (name: string) => {
      const ids = [...asList(service(name).command)].flatMap((arg, i, all) => (all[i - 1] === '--component-id' ? [arg] : []));
      const databases = new Set<string>();
      for (const id of ids) {
        for (const template of Object.values(manifest.component[id]?.variables ?? {})) {
          for (const [, variable] of template.matchAll(/\{\{\s*([a-z0-9_]*db_connection)\s*\}\}/g)) databases.add(variable ?? '');
        }
      }
      return databases.size * 64;
    };
    const pools = perProcess('spin') + perProcess('spin-worker');
    expect(pools).toBeGreaterThan(100);
    const args = asList(service('postgres').command);
    const setting = args.flatMap((arg, i) => (args[i - 1] === '-c' && arg.startsWith('max_connections=') ? [Number(arg.split('=')[1])] : []));
    expect(setting).toHaveLength(1);
    expect(setting[0]).toBeGreaterThanOrEqual(pools + 10);
  });

  it('keeps Redis, PostgreSQL and the setup jobs on an internal network that Traefik is not on', () => {
    expect(compose.networks?.backend?.internal).toBe(true);
    for (const name of ['redis', 'postgres', 'db-setup', 'migrate', 'minio-init']) {
      expect(serviceNetworks(service(name)), name).toEqual(['backend']);
    }
    expect(serviceNetworks(service('traefik'))).toEqual(['edge']);
    expect(serviceNetworks(service('spin')).sort()).toEqual(['backend', 'edge']);
    expect(serviceNetworks(service('spin-worker'))).toEqual(['backend']);
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
