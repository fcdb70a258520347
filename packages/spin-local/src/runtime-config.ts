/**
 * The parts of Spin's `runtime-config.toml` this host honours: `[key_value_store.<label>]`
 * (`spin` and `redis` types) and `[[variables_provider]]` (`static`, and `env` with its prefix and
 * dotenv file). Every top-level key Spin does not read is an error, as in Spin: it tracks which
 * keys its factors read and fails with "unused runtime config key(s): …" (v4.0.2
 * crates/factors/src/runtime_config/toml.rs `validate_all_keys_used`, crates/factors/src/lib.rs
 * `RuntimeConfigUnusedKeys`). The Postgres, Redis, MySQL and MQTT factors read nothing
 * (crates/runtime-config/src/lib.rs: their `get_runtime_config` returns `Ok(None)`), so
 * `outbound_pg`, `outbound_redis`, `outbound_mysql` and `outbound_mqtt` are unused keys; and only
 * one of `variables_provider` / `config_provider` is read (crates/runtime-config/src/variables.rs).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { z } from 'zod';

const keyValueStore = z.discriminatedUnion('type', [
  z.object({ type: z.literal('spin'), path: z.string().optional() }),
  z.object({ type: z.literal('redis'), url: z.string().min(1) }),
]);
export type KeyValueStoreConfig = z.infer<typeof keyValueStore>;

const variablesProvider = z.discriminatedUnion('type', [
  z.object({ type: z.literal('static'), values: z.record(z.string(), z.string()) }),
  z.strictObject({ type: z.literal('env'), prefix: z.string().optional(), dotenv_path: z.string().optional() }),
]);
export type VariablesProviderConfig = z.infer<typeof variablesProvider>;

const limits = z.record(z.string(), z.unknown());

const runtimeConfig = z.strictObject({
  key_value_store: z.record(z.string(), keyValueStore).optional(),
  variables_provider: z.array(variablesProvider).optional(),
  config_provider: z.array(variablesProvider).optional(),
  sqlite_database: limits.optional(),
  llm_compute: limits.optional(),
  state_dir: z.string().optional(),
  log_dir: z.string().optional(),
  max_instance_memory: z.number().optional(),
  outbound_networking: limits.optional(),
  client_tls: z.array(limits).optional(),
  outbound_http: limits.optional(),
});

export interface RuntimeConfig {
  keyValueStores: Record<string, KeyValueStoreConfig>;
  variablesProviders: VariablesProviderConfig[];
}

export class RuntimeConfigError extends Error {}

/**
 * `workingDir` stands for `spin up`'s working directory: Spin opens an env provider's
 * `dotenv_path` as given, i.e. relative to it (crates/runtime-config/src/variables.rs).
 */
export async function loadRuntimeConfig(file: string | undefined, workingDir: string = process.cwd()): Promise<RuntimeConfig> {
  if (!file) return { keyValueStores: {}, variablesProviders: [] };
  const path = resolve(file);
  let data: unknown;
  try {
    data = parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new RuntimeConfigError(`${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const unused = data && typeof data === 'object' && 'variables_provider' in data && 'config_provider' in data ? ['config_provider'] : [];
  const result = runtimeConfig.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue?.code === 'unrecognized_keys') unused.push(...issue.keys);
    else throw new RuntimeConfigError(`${path}: \`${issue?.path.join('.')}\`: ${issue?.message}`);
  }
  if (unused.length > 0 || !result.success) throw new RuntimeConfigError(`${path}: unused runtime config key(s): ${unused.join(', ')}`);
  const providers = (result.data.variables_provider ?? result.data.config_provider ?? []).map((p) =>
    p.type === 'env' && p.dotenv_path ? { ...p, dotenv_path: resolve(workingDir, p.dotenv_path) } : p,
  );
  return { keyValueStores: result.data.key_value_store ?? {}, variablesProviders: providers };
}
