import { describe, expect, it } from 'vitest';
import { ManifestError } from './errors.ts';
import { parseManifest } from './load.ts';
import { serviceManifest } from './test-fixtures.ts';

function rejection(text: string): ManifestError {
  try {
    parseManifest(text, 'services/x/spin.toml');
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('parseManifest', () => {
  it('reads a valid manifest into typed data with Spin key names', () => {
    const manifest = parseManifest(serviceManifest('books', '/v1/books/...'), 'spin.toml');
    expect(manifest.application.name).toBe('books');
    expect(manifest.trigger.http).toEqual([{ route: '/v1/books/...', component: 'books-api' }]);
    expect(manifest.component['books-api']?.variables).toEqual({ log_level: '{{ log_level }}' });
    expect(manifest.variables.log_level).toEqual({ default: 'info' });
  });

  it('names the file and the line of a TOML syntax error', () => {
    const error = rejection('spin_manifest_version = 2\n[application\nname = "x"\n');
    expect(error.message).toMatch(/^services\/x\/spin\.toml: invalid TOML at line 2/);
  });

  it('rejects the seed guide’s duplicate-key concatenation as invalid TOML', () => {
    const text = serviceManifest('a', '/a/...') + serviceManifest('b', '/b/...');
    expect(rejection(text).message).toContain('invalid TOML');
  });

  it('names an unknown key by its full path', () => {
    const error = rejection(serviceManifest('a', '/a/...', '\n[component.a-api.options]\nmetrics = true\n'));
    expect(error.file).toBe('services/x/spin.toml');
    expect(error.key).toBe('component.a-api.options');
  });

  it('rejects Spin 1 manifests', () => {
    const error = rejection('spin_manifest_version = "1"\nname = "x"\n[application]\nname = "x"\n');
    expect(error.key).toBe('spin_manifest_version');
  });

  it('names a missing required key', () => {
    const error = rejection('spin_manifest_version = 2\n[application]\nversion = "1"\n');
    expect(error.key).toBe('application.name');
  });

  it('rejects a component id that is not kebab-case', () => {
    const text = serviceManifest('a', '/a/...').replaceAll('a-api', 'A_api');
    expect(rejection(text).key).toBe('trigger.http[0].component');
  });

  it('rejects a trigger bound to a component that does not exist', () => {
    const text = serviceManifest('a', '/a/...').replace('component = "a-api"', 'component = "b-api"');
    const error = rejection(text);
    expect(error.key).toBe('trigger.http[0].component');
    expect(error.message).toContain('no component with id "b-api"');
  });

  it('rejects a component variable that refers to an undeclared variable', () => {
    const text = serviceManifest('a', '/a/...').replace('{{ log_level }}', '{{ log_levels }}');
    expect(rejection(text).key).toBe('component.a-api.variables.log_level');
  });

  it('rejects a variable that is neither required nor defaulted', () => {
    const text = serviceManifest('a', '/a/...').replace('log_level = { default = "info" }', 'log_level = { secret = true }');
    expect(rejection(text).key).toBe('variables.log_level');
  });
});
