/**
 * The fermyon:spin@2.0.0 interfaces a guest imports (variables, key-value, redis, postgres),
 * answered synchronously: variables from the values resolved at start-up, everything else over
 * the host bridge. Manifest permissions (`key_value_stores`, `allowed_outbound_hosts`) are checked
 * here, with the error variants Spin returns.
 */
import type { HostClient } from '../host-bridge.ts';
import { isAllowedOutbound } from '../outbound-hosts.ts';

export interface GuestComponentConfig {
  id: string;
  variables: Record<string, string>;
  allowedOutboundHosts: string[];
  keyValueStores: string[];
}

/** Host-side handles opened by one instance, released when the guest drops them or the instance finishes. */
export class InstanceHandles {
  readonly opened: { kind: 'redis' | 'pg'; id: number }[] = [];
  release(host: HostClient, kind: 'redis' | 'pg', id: number): void {
    const index = this.opened.findIndex((h) => h.kind === kind && h.id === id);
    if (index < 0) return;
    this.opened.splice(index, 1);
    host.notify(`${kind}.close`, id);
  }
  releaseAll(host: HostClient): void {
    for (const handle of this.opened.splice(0)) host.notify(`${handle.kind}.close`, handle.id);
  }
}

/** jco's glue calls this on a host resource when the guest drops its handle. */
const dispose: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

const variableNamePattern = /^[a-z][a-z0-9_]*$/;

export function createSpinImports(component: GuestComponentConfig, host: HostClient, handles: InstanceHandles) {
  const variables = {
    get(name: string): string {
      if (!variableNamePattern.test(name)) throw { tag: 'invalid-name', val: `invalid variable name ${JSON.stringify(name)}` };
      const value = component.variables[name];
      if (value === undefined) throw { tag: 'undefined', val: `no variable for "${component.id}"."${name}"` };
      return value;
    },
  };

  class Store {
    readonly #label: string;
    private constructor(label: string) {
      this.#label = label;
    }
    static open(label: string): Store {
      if (!component.keyValueStores.includes(label)) throw { tag: 'access-denied' };
      host.call('kv.open', label);
      return new Store(label);
    }
    get(key: string): Uint8Array | undefined {
      return host.call<Uint8Array | undefined>('kv.get', this.#label, key) ?? undefined;
    }
    set(key: string, value: Uint8Array): void {
      host.call('kv.set', this.#label, key, value.slice());
    }
    delete(key: string): void {
      host.call('kv.delete', this.#label, key);
    }
    exists(key: string): boolean {
      return host.call<boolean>('kv.exists', this.#label, key);
    }
    getKeys(): string[] {
      return host.call<string[]>('kv.keys', this.#label);
    }
  }

  class RedisConnection {
    readonly #id: number;
    private constructor(id: number) {
      this.#id = id;
    }
    static open(address: string): RedisConnection {
      // Spin 2 answers a non-allowed address with `invalid-address`.
      if (!isAllowedOutbound(component.allowedOutboundHosts, address, component.id)) throw { tag: 'invalid-address' };
      const id = host.call<number>('redis.open', address);
      handles.opened.push({ kind: 'redis', id });
      return new RedisConnection(id);
    }
    publish(channel: string, payload: Uint8Array): void {
      host.call('redis.publish', this.#id, channel, payload.slice());
    }
    get(key: string): Uint8Array | undefined {
      return host.call<Uint8Array | undefined>('redis.get', this.#id, key) ?? undefined;
    }
    set(key: string, value: Uint8Array): void {
      host.call('redis.set', this.#id, key, value.slice());
    }
    incr(key: string): bigint {
      return host.call<bigint>('redis.incr', this.#id, key);
    }
    del(keys: string[]): number {
      return host.call<number>('redis.del', this.#id, keys);
    }
    sadd(key: string, values: string[]): number {
      return host.call<number>('redis.sadd', this.#id, key, values);
    }
    smembers(key: string): string[] {
      return host.call<string[]>('redis.smembers', this.#id, key);
    }
    srem(key: string, values: string[]): number {
      return host.call<number>('redis.srem', this.#id, key, values);
    }
    execute(command: string, args: unknown[]): unknown[] {
      return host.call<unknown[]>('redis.execute', this.#id, command, args);
    }
    [dispose](): void {
      handles.release(host, 'redis', this.#id);
    }
  }

  class PgConnection {
    readonly #id: number;
    private constructor(id: number) {
      this.#id = id;
    }
    static open(address: string): PgConnection {
      if (!isAllowedOutbound(component.allowedOutboundHosts, address, component.id)) {
        throw { tag: 'connection-failed', val: `address ${address} is not permitted` };
      }
      const id = host.call<number>('pg.open', address);
      handles.opened.push({ kind: 'pg', id });
      return new PgConnection(id);
    }
    query(statement: string, params: unknown[]): unknown {
      return host.call('pg.query', this.#id, statement, params);
    }
    execute(statement: string, params: unknown[]): bigint {
      return host.call<bigint>('pg.execute', this.#id, statement, params);
    }
    [dispose](): void {
      handles.release(host, 'pg', this.#id);
    }
  }

  return {
    'fermyon:spin/variables': variables,
    'fermyon:spin/key-value': { Store },
    'fermyon:spin/redis': { Connection: RedisConnection },
    'fermyon:spin/postgres': { Connection: PgConnection },
    // Declared by the world but unused by our services: present so instantiation succeeds.
    'fermyon:spin/sqlite': {},
    'fermyon:spin/mysql': {},
    'fermyon:spin/mqtt': {},
    'fermyon:spin/llm': {},
  };
}
