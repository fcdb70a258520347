import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { composeManifests } from './compose.ts';
import { ManifestError } from './errors.ts';
import { loadManifest } from './load.ts';
import { renderComposedManifest } from './render.ts';
import { serviceManifest, writeTree } from './test-fixtures.ts';

const application = { name: 'app', version: '1.0.0' };

async function compose(files: Record<string, string>) {
  const root = writeTree(files);
  const manifests = Object.keys(files).filter((path) => path.endsWith('spin.toml')).sort();
  const inputs = await Promise.all(manifests.map((path) => loadManifest(join(root, path))));
  return { root, composed: composeManifests(inputs, { root, application }) };
}

async function rejection(files: Record<string, string>): Promise<ManifestError> {
  const error = await compose(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof ManifestError) return error;
  throw new Error(`expected a ManifestError, got ${String(error)}`);
}

const wasm = (name: string) => ({ [`services/${name}/dist/${name}-api.wasm`]: 'stub' });

describe('composeManifests', () => {
  it('rejects two components with one id, naming both files and the key', async () => {
    const error = await rejection({
      ...wasm('a'),
      'services/a/spin.toml': serviceManifest('a', '/a/...'),
      'services/b/dist/a-api.wasm': 'stub',
      'services/b/spin.toml': serviceManifest('a', '/b/...'),
    });
    expect(error.key).toBe('component.a-api');
    expect(error.message).toMatch(/services\/b\/spin\.toml and .*services\/a\/spin\.toml/);
  });

  it('rejects two HTTP routes that match the same paths', async () => {
    const error = await rejection({
      ...wasm('a'),
      ...wasm('b'),
      'services/a/spin.toml': serviceManifest('a', '/v1/shared/...'),
      'services/b/spin.toml': serviceManifest('b', '/v1/shared/.../'.replace('.../', '...')),
    });
    expect(error.key).toBe('trigger.http[0].route');
    expect(error.message).toContain('services/a/spin.toml');
    expect(error.message).toContain('services/b/spin.toml');
  });

  it('treats routes differing only in parameter names as colliding', async () => {
    const error = await rejection({
      ...wasm('a'),
      ...wasm('b'),
      'services/a/spin.toml': serviceManifest('a', '/v1/users/:id'),
      'services/b/spin.toml': serviceManifest('b', '/v1/users/:userId/'),
    });
    expect(error.key).toBe('trigger.http[0].route');
  });

  it('accepts an exact route beside a wildcard on the same prefix', async () => {
    const { composed } = await compose({
      ...wasm('a'),
      ...wasm('b'),
      'services/a/spin.toml': serviceManifest('a', '/v1/a'),
      'services/b/spin.toml': serviceManifest('b', '/v1/a/...'),
    });
    expect(composed.manifest.trigger.http?.map((t) => t.route)).toEqual(['/v1/a', '/v1/a/...']);
  });

  it('rejects one variable declared twice with different settings', async () => {
    const error = await rejection({
      ...wasm('a'),
      ...wasm('b'),
      'services/a/spin.toml': serviceManifest('a', '/a/...'),
      'services/b/spin.toml': serviceManifest('b', '/b/...').replace('default = "info"', 'default = "debug"'),
    });
    expect(error.key).toBe('variables.log_level');
    expect(error.message).toContain('services/a/spin.toml');
    expect(error.message).toContain('services/b/spin.toml');
  });

  it('merges a variable declared identically by several services', async () => {
    const { composed } = await compose({
      ...wasm('a'),
      ...wasm('b'),
      'services/a/spin.toml': serviceManifest('a', '/a/...'),
      'services/b/spin.toml': serviceManifest('b', '/b/...'),
    });
    expect(composed.manifest.variables).toEqual({ log_level: { default: 'info' } });
  });

  it('rejects a component source that does not exist', async () => {
    const error = await rejection({ 'services/a/spin.toml': serviceManifest('a', '/a/...') });
    expect(error.key).toBe('component.a-api.source');
    expect(error.message).toContain('does not exist');
  });

  it('rejects a Redis trigger without an address', async () => {
    const worker = `
[[trigger.redis]]
channel = "a-events"
component = "a-worker"

[component.a-worker]
source = "dist/a-worker.wasm"
`;
    const error = await rejection({
      ...wasm('a'),
      'services/a/dist/a-worker.wasm': 'stub',
      'services/a/spin.toml': serviceManifest('a', '/a/...', worker),
    });
    expect(error.key).toBe('trigger.redis[0]');
    expect(error.message).toContain('without an address');
  });

  it('keeps per-trigger Redis addresses when services disagree, and hoists a shared one', async () => {
    const worker = (name: string, address: string) => `
[[trigger.redis]]
channel = "${name}-events"
component = "${name}-worker"
address = "${address}"

[component.${name}-worker]
source = "dist/${name}-api.wasm"
`;
    const files = (second: string) => ({
      ...wasm('a'),
      ...wasm('b'),
      'services/a/spin.toml': serviceManifest('a', '/a/...', worker('a', 'redis://one:6379')),
      'services/b/spin.toml': serviceManifest('b', '/b/...', worker('b', second)),
    });
    const differing = (await compose(files('redis://two:6379'))).composed.manifest;
    expect(differing.application.trigger).toBeUndefined();
    expect(differing.trigger.redis?.map((t) => t.address)).toEqual(['redis://one:6379', 'redis://two:6379']);
    const shared = (await compose(files('redis://one:6379'))).composed.manifest;
    expect(shared.application.trigger?.redis?.address).toBe('redis://one:6379');
    expect(shared.trigger.redis?.every((t) => t.address === undefined)).toBe(true);
  });

  it('rewrites sources and build folders relative to the root', async () => {
    const { composed } = await compose({
      ...wasm('a'),
      'services/a/spin.toml': serviceManifest('a', '/a/...', '\n[component.a-api.build]\ncommand = "make"\n'),
    });
    expect(composed.manifest.component['a-api']?.source).toBe('services/a/dist/a-api.wasm');
    expect(composed.manifest.component['a-api']?.build).toEqual({ command: 'make', workdir: 'services/a' });
  });
});

describe('renderComposedManifest', () => {
  it('matches the golden output and parses back to the composed app', async () => {
    const { composed } = await compose({
      ...wasm('a'),
      ...wasm('b'),
      'services/a/spin.toml': serviceManifest('a', '/v1/a/...'),
      'services/b/spin.toml': serviceManifest('b', '/v1/b/...', '\n[component.b-api.build]\ncommand = "pnpm build"\nwatch = ["src/**/*.ts"]\n'),
    });
    const text = renderComposedManifest(composed, ['GENERATED by a test']);
    const golden = readFileSync(join(import.meta.dirname, '../test/golden/composed.toml'), 'utf8');
    expect(text).toBe(golden);
    expect(parse(text)).toEqual(parse(golden));
    expect((parse(text) as { component: Record<string, unknown> }).component).toHaveProperty('b-api');
  });
});
