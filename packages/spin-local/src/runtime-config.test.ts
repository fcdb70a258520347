import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRuntimeConfig } from './runtime-config.ts';

async function configFile(text: string): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'spin-local-rc-'));
  const file = join(dir, 'runtime-config.toml');
  await writeFile(file, text);
  return { dir, file };
}

describe('runtime-config.toml keys (Spin v4.0.2)', () => {
  // crates/runtime-config/src/lib.rs: the outbound Postgres, Redis, MySQL and MQTT factors read no
  // runtime config, so crates/factors/src/runtime_config/toml.rs `validate_all_keys_used` fails
  // on these with "unused runtime config key(s): …".
  it.each(['outbound_pg', 'outbound_redis', 'outbound_mysql', 'outbound_mqtt'])('rejects [%s] as an unused key', async (key) => {
    const { file } = await configFile(`[${key}]\nmax_connections = 4\n`);
    await expect(loadRuntimeConfig(file)).rejects.toThrow(`${file}: unused runtime config key(s): ${key}`);
  });

  // crates/runtime-config/src/variables.rs reads `variables_provider`, or `config_provider` only
  // when the first is absent: with both, `config_provider` is never read and so unused.
  it('reads config_provider alone, but rejects it beside variables_provider', async () => {
    const alone = await configFile('[[config_provider]]\ntype = "static"\nvalues = { a = "1" }\n');
    expect((await loadRuntimeConfig(alone.file)).variablesProviders).toEqual([{ type: 'static', values: { a: '1' } }]);
    const both = await configFile('[[variables_provider]]\ntype = "static"\nvalues = { a = "1" }\n\n[[config_provider]]\ntype = "static"\nvalues = { a = "2" }\n');
    await expect(loadRuntimeConfig(both.file)).rejects.toThrow('unused runtime config key(s): config_provider');
  });

  it('accepts the keys Spin reads', async () => {
    const { file } = await configFile(
      '[key_value_store.default]\ntype = "redis"\nurl = "redis://redis:6379/1"\n\n[outbound_http]\nconnection_pooling = true\n\nstate_dir = ".spin"\n',
    );
    expect((await loadRuntimeConfig(file)).keyValueStores).toEqual({ default: { type: 'redis', url: 'redis://redis:6379/1' } });
  });

  // Spin passes `dotenv_path` to its env provider as written (crates/runtime-config/src/
  // variables.rs), so a relative path is opened from `spin up`'s working directory.
  it('resolves an env provider dotenv_path from the working directory, not the file', async () => {
    const { file } = await configFile('[[variables_provider]]\ntype = "env"\ndotenv_path = "secrets.env"\n');
    expect((await loadRuntimeConfig(file, '/srv/app')).variablesProviders).toEqual([{ type: 'env', dotenv_path: '/srv/app/secrets.env' }]);
  });
});
