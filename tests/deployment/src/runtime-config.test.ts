import { describe, expect, it } from 'vitest';
import { loadCompose, loadRuntimeConfig, loadSpinApp, serviceNetworks } from './deployment-files.ts';
import { readRepoFile } from './repo-files.ts';

/**
 * Top-level keys Spin's runtime config loader reads (crates/runtime-config/src/lib.rs, summarised
 * in ../shared/schemas/spin-runtime-config.md). Any other key is a RuntimeConfigUnusedKeys error
 * and `spin up` refuses to start.
 */
const recognisedTopLevelKeys = new Set([
  'key_value_store',
  'sqlite_database',
  'variables_provider',
  'config_provider',
  'llm_compute',
  'state_dir',
  'log_dir',
  'max_instance_memory',
  'outbound_networking',
  'client_tls',
  'outbound_http',
  'outbound_redis',
  'outbound_pg',
  'outbound_mysql',
  'outbound_mqtt',
]);

/** Key-value store types and the keys each accepts (crates/key-value-{spin,redis}/src/lib.rs). */
const keyValueStoreKeys: Record<string, { required: string[]; optional: string[] }> = {
  spin: { required: [], optional: ['path'] },
  redis: { required: ['url'], optional: [] },
};

const config = loadRuntimeConfig();
const stores = (config.key_value_store ?? {}) as Record<string, Record<string, unknown>>;

describe('runtime-config.toml', () => {
  it('has only top-level keys Spin recognises', () => {
    expect(Object.keys(config).filter((key) => !recognisedTopLevelKeys.has(key))).toEqual([]);
  });

  it('configures every key-value store with a registered type and only the keys that type takes', () => {
    for (const [label, store] of Object.entries(stores)) {
      const shape = keyValueStoreKeys[String(store.type)];
      expect(shape, `key_value_store.${label}.type = ${String(store.type)}`).toBeDefined();
      const keys = Object.keys(store).filter((key) => key !== 'type');
      for (const key of shape?.required ?? []) expect(keys, `key_value_store.${label}`).toContain(key);
      expect(keys.filter((key) => ![...(shape?.required ?? []), ...(shape?.optional ?? [])].includes(key)), label).toEqual([]);
    }
  });

  it('puts the default key-value store on the Redis container of docker-compose.yml, with no credential', () => {
    expect(stores.default?.type).toBe('redis');
    const url = new URL(String(stores.default?.url));
    expect(url.protocol).toBe('redis:');
    expect(url.username + url.password).toBe('');
    const compose = loadCompose();
    expect(Object.keys(compose.services)).toContain(url.hostname);
    const redisNetworks = serviceNetworks(compose.services[url.hostname] ?? {});
    expect(serviceNetworks(compose.services.spin ?? {}).some((n) => redisNetworks.includes(n))).toBe(true);
  });

  it('configures every key-value store label a component of spin-all.toml uses (or it is Spin’s automatic default)', async () => {
    const { manifest } = await loadSpinApp();
    const used = Object.values(manifest.component).flatMap((component) => component.key_value_stores ?? []);
    for (const label of used) expect(label === 'default' || label in stores, `key_value_stores label "${label}"`).toBe(true);
  });

  it('contains no ${...} or {{ }} expansion, which Spin would take literally', () => {
    const text = readRepoFile('runtime-config.toml')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    expect(text).not.toMatch(/\$\{|\{\{/);
  });
});
