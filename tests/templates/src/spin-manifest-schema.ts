import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'smol-toml';
import { repoRoot } from './scratch-workspace.ts';

const schema = JSON.parse(readFileSync(join(repoRoot, 'packages/spin-manifest/schemas/spin-manifest-v2.json'), 'utf8')) as object;

// The schema uses the non-standard "uint" format; register it rather than switching checks off.
const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addFormat('uint', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
const validate = ajv.compile(schema);

/** What Spin's published manifest schema says is wrong with the manifest text (empty: valid). */
export function spinSchemaErrors(manifestText: string): string[] {
  if (validate(parse(manifestText))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
