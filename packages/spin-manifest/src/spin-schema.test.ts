import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseManifest } from './load.ts';

const repoRoot = join(import.meta.dirname, '../../..');
const schemaFile = join(import.meta.dirname, '../schemas/spin-manifest-v2.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as object;

// The schema uses the non-standard "uint" format; register it rather than switching checks off.
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('uint', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
const validate = ajv.compile(schema);

const manifests = [
  ...readdirSync(join(repoRoot, 'services'))
    .map((name) => join('services', name, 'spin.toml'))
    .filter((path) => existsSync(join(repoRoot, path))),
  'spin-all.toml',
];

describe("Spin's published manifest schema", () => {
  it('is the vendored copy of the schema in shared/ when that is present', () => {
    const shared = join(repoRoot, '..', 'shared', 'schemas', 'spin-manifest-v2.json');
    if (existsSync(shared)) expect(readFileSync(schemaFile, 'utf8')).toBe(readFileSync(shared, 'utf8'));
    expect(validate({ spin_manifest_version: 2 })).toBe(false);
  });

  it.each(manifests)('accepts %s, which our own model accepts too', (path) => {
    const text = readFileSync(join(repoRoot, path), 'utf8');
    const valid = validate(parse(text));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(() => parseManifest(text, path)).not.toThrow();
  });

  it('rejects what Spin rejects: a Spin 1 style manifest', () => {
    const spin1 = { spin_manifest_version: '1', name: 'x', trigger: { type: 'http' }, component: [{ id: 'x', source: 'x.wasm' }] };
    expect(validate(spin1)).toBe(false);
  });
});
