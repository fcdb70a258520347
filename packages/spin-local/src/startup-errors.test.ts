import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManifestError } from '@authorworks/spin-manifest';
import { StartupError, startSpinApp } from './app.ts';
import { MemoryLogger } from './logger.ts';
import { fixtureManifest, fixtureRuntimeConfig } from '../test/probe-app.ts';

/** Writes a variant of the fixture manifest next to it (so relative sources still resolve). */
async function manifestVariant(edit: (text: string) => string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'spin-local-'));
  const original = await readFile(fixtureManifest, 'utf8');
  const file = join(dir, 'spin.toml');
  await writeFile(file, edit(original).replaceAll('source = "dist/', `source = "${join(fixtureManifest, '..', 'dist')}/`));
  return file;
}

const quiet = { logger: new MemoryLogger(), backends: { dataDir: null }, threads: 1 } as const;

describe('start-up errors', () => {
  it('names a required variable that has no value', async () => {
    const start = startSpinApp({ manifest: fixtureManifest, runtimeConfigFile: fixtureRuntimeConfig, env: {}, ...quiet });
    await expect(start).rejects.toThrow(StartupError);
    await expect(start).rejects.toThrow(/required variable "api_key" has no value: set SPIN_VARIABLE_API_KEY/);
  });

  it('names a missing .wasm and the build that makes it', async () => {
    const manifest = await manifestVariant((text) =>
      text.replace('[component.locked]\nsource = "dist/probe-http.wasm"', '[component.locked]\nsource = "dist/not-built.wasm"\n[component.locked.build]\ncommand = "pnpm exec authorworks-build locked"'),
    );
    const start = startSpinApp({ manifest, runtimeConfigFile: fixtureRuntimeConfig, env: { SPIN_VARIABLE_API_KEY: 'k' }, ...quiet });
    await expect(start).rejects.toThrow(/component "locked": .*not-built\.wasm does not exist\. Build it with `pnpm build`.*pnpm exec authorworks-build locked/);
  });

  it('names a key-value store no runtime config defines', async () => {
    const start = startSpinApp({ manifest: fixtureManifest, env: { SPIN_VARIABLE_API_KEY: 'k' }, ...quiet });
    await expect(start).rejects.toThrow(/component "probe" uses key-value store "cache", which no runtime config defines/);
  });

  it('reports manifest errors with the file and key', async () => {
    const manifest = await manifestVariant((text) => text.replace('component = "probe"', 'component = "nope"'));
    const start = startSpinApp({ manifest, env: { SPIN_VARIABLE_API_KEY: 'k' }, ...quiet });
    await expect(start).rejects.toThrow(ManifestError);
    await expect(start).rejects.toThrow(/spin\.toml: `trigger\.http\[0\]\.component`: no component with id "nope"/);
  });

  // Spin validates allowed_outbound_hosts when it loads the app (crates/outbound-networking-config/
  // src/allowed_hosts.rs `AllowedHostsConfig::validate`); Spin 1's `insecure:allow-all` is refused.
  it('refuses an allowed_outbound_hosts entry Spin refuses, naming the component', async () => {
    const manifest = await manifestVariant((text) => text.replace('[component.locked]\n', '[component.locked]\nallowed_outbound_hosts = ["insecure:allow-all"]\n'));
    const start = startSpinApp({ manifest, runtimeConfigFile: fixtureRuntimeConfig, env: { SPIN_VARIABLE_API_KEY: 'k' }, ...quiet });
    await expect(start).rejects.toThrow(/component\.locked\.allowed_outbound_hosts: 'insecure:allow-all' is not allowed/);
  });

  // `spin up --component-id`: crates/app/src/lib.rs `validate_retained_components_exist` and
  // crates/factor-outbound-networking/src/allowed_hosts.rs `validate_service_chaining_for_components`.
  it('refuses a component selection Spin refuses: an unknown id, or chaining to a component left out', async () => {
    const start = (components: string[]) => startSpinApp({ manifest: fixtureManifest, runtimeConfigFile: fixtureRuntimeConfig, env: { SPIN_VARIABLE_API_KEY: 'k' }, components, ...quiet });
    await expect(start(['nope'])).rejects.toThrow('Specified component "nope" not found in application');
    await expect(start(['probe'])).rejects.toThrow(
      `Selected component 'probe' cannot use service chaining to unselected component: allowed_outbound_hosts = ["http://hidden.spin.internal"]`,
    );
  });

  it('rejects unknown keys in runtime-config.toml, as Spin does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spin-local-'));
    const file = join(dir, 'runtime-config.toml');
    await writeFile(file, '[key_value_store.cache]\ntype = "spin"\n\n[surprise]\nx = 1\n');
    const start = startSpinApp({ manifest: fixtureManifest, runtimeConfigFile: file, env: { SPIN_VARIABLE_API_KEY: 'k' }, ...quiet });
    await expect(start).rejects.toThrow(/runtime-config\.toml: unused runtime config key\(s\): surprise/);
  });
});
