/**
 * The parts of Spin's `runtime-config.toml` this host honours: `[key_value_store.<label>]`
 * (`spin` and `redis` types) and `[[variables_provider]]` (`static`, and `env` with its prefix and
 * dotenv file). Unknown top-level keys are an error, as in Spin.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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
  outbound_redis: limits.optional(),
  outbound_pg: limits.optional(),
  outbound_mysql: limits.optional(),
  outbound_mqtt: limits.optional(),
});

export interface RuntimeConfig {
  keyValueStores: Record<string, KeyValueStoreConfig>;
  variablesProviders: VariablesProviderConfig[];
}

export class RuntimeConfigError extends Error {}

export async function loadRuntimeConfig(file: string | undefined): Promise<RuntimeConfig> {
  if (!file) return { keyValueStores: {}, variablesProviders: [] };
  const path = resolve(file);
  let data: unknown;
  try {
    data = parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new RuntimeConfigError(`${path}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const result = runtimeConfig.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue?.path.join('.');
    throw new RuntimeConfigError(`${path}: \`${key}\`: ${issue?.code === 'unrecognized_keys' ? 'unknown key (Spin rejects it)' : issue?.message}`);
  }
  const providers = [...(result.data.variables_provider ?? []), ...(result.data.config_provider ?? [])].map((p) =>
    p.type === 'env' && p.dotenv_path ? { ...p, dotenv_path: resolve(dirname(path), p.dotenv_path) } : p,
  );
  return { keyValueStores: result.data.key_value_store ?? {}, variablesProviders: providers };
}
