import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './repo-files.ts';
import { compileWarnings, schemaDir, schemaErrors, schemaFiles, validateCompose, validateSpinApp, validateTraefikDynamic, validateTraefikStatic } from './schemas.ts';

describe('vendored schemas', () => {
  it.each(schemaFiles)('%s is the published copy in ../shared/schemas when that folder exists', (name) => {
    const shared = join(repoRoot, '..', 'shared', 'schemas', name);
    if (existsSync(shared)) expect(readFileSync(join(schemaDir, name), 'utf8')).toBe(readFileSync(shared, 'utf8'));
  });

  // A validator that accepts everything would make every schema test below pass vacuously.
  it('reject documents that are wrong, so passing means something', () => {
    expect(schemaErrors(validateCompose, { services: { web: { image: 7 } } })).not.toEqual([]);
    expect(schemaErrors(validateTraefikDynamic, { http: { routers: { r: { rule: 'Host(`x`)' } } } })).not.toEqual([]);
    expect(schemaErrors(validateTraefikDynamic, { http: { middlewares: { m: { headerz: {} } } } })).not.toEqual([]);
    expect(schemaErrors(validateTraefikStatic, { entryPoints: { web: { adress: ':80' } } })).not.toEqual([]);
  });

  it('compile without a warning: every format they use is known and checked', () => {
    expect(compileWarnings).toEqual([]);
  });

  it("check the SpinApp CRD's int32 fields the way the Kubernetes API server does", () => {
    const app = (replicas: number) => ({ apiVersion: 'core.spinkube.dev/v1alpha1', kind: 'SpinApp', metadata: { name: 'user' }, spec: { image: 'ghcr.io/x/user:1', executor: 'containerd-shim-spin', replicas } });
    expect(schemaErrors(validateSpinApp, app(2))).toEqual([]);
    expect(schemaErrors(validateSpinApp, app(2 ** 31 - 1))).toEqual([]);
    expect(schemaErrors(validateSpinApp, app(2 ** 31)).join('\n')).toMatch(/\/spec\/replicas must match format "int32"/);
    expect(schemaErrors(validateSpinApp, app(1.5)).join('\n')).toMatch(/\/spec\/replicas/);
  });
});
