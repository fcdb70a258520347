/**
 * Key-value stores by label, as `runtime-config.toml` configures them: `type = "spin"` (held in
 * memory here; Spin would use SQLite) or `type = "redis"` (on the app's Redis backend, so the
 * embedded Redis unless REDIS_ADDRESS is set). `default` exists unless configured otherwise.
 */
import { WitError } from '../host-bridge.ts';
import type { KeyValueStoreConfig } from '../runtime-config.ts';
import type { RedisBackend } from './redis.ts';

interface Store {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  keys(): Promise<string[]>;
  clear(): Promise<void>;
}

function memoryStore(): Store {
  const data = new Map<string, Uint8Array>();
  return {
    get: async (key) => data.get(key),
    set: async (key, value) => void data.set(key, new Uint8Array(value)),
    delete: async (key) => void data.delete(key),
    exists: async (key) => data.has(key),
    keys: async () => [...data.keys()],
    clear: async () => data.clear(),
  };
}

function redisStore(redis: Promise<RedisBackend>, url: string): Store {
  const client = async () => (await redis).client(url);
  return {
    get: async (key) => {
      const value = await (await client()).getBuffer(key);
      return value ? new Uint8Array(value) : undefined;
    },
    set: async (key, value) => void (await (await client()).set(key, Buffer.from(value))),
    delete: async (key) => void (await (await client()).del(key)),
    exists: async (key) => (await (await client()).exists(key)) > 0,
    keys: async () => (await client()).keys('*'),
    clear: async () => {},
  };
}

export class KeyValueStores {
  private readonly stores = new Map<string, Store>();

  constructor(configs: Record<string, KeyValueStoreConfig>, redis: Promise<RedisBackend>) {
    for (const [label, config] of Object.entries({ default: { type: 'spin' } as KeyValueStoreConfig, ...configs })) {
      this.stores.set(label, config.type === 'redis' ? redisStore(redis, config.url) : memoryStore());
    }
  }

  has(label: string): boolean {
    return this.stores.has(label);
  }

  private store(label: string): Store {
    const store = this.stores.get(label);
    if (!store) throw new WitError({ tag: 'no-such-store' });
    return store;
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof WitError) throw error;
      throw new WitError({ tag: 'other', val: error instanceof Error ? error.message : String(error) });
    }
  }

  readonly handlers = {
    'kv.open': (label: string) => void this.store(label),
    'kv.get': (label: string, key: string) => this.run(() => this.store(label).get(key)),
    'kv.set': (label: string, key: string, value: Uint8Array) => this.run(() => this.store(label).set(key, value)),
    'kv.delete': (label: string, key: string) => this.run(() => this.store(label).delete(key)),
    'kv.exists': (label: string, key: string) => this.run(() => this.store(label).exists(key)),
    'kv.keys': (label: string) => this.run(() => this.store(label).keys()),
  };

  async clear(): Promise<void> {
    await Promise.all([...this.stores.values()].map((s) => s.clear()));
  }
}
