import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type Format, type Logger, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';

/** The vendored copies of the published schemas (see ../schemas/README.md). */
export const schemaDir = join(import.meta.dirname, '../schemas');
export const schemaFiles = ['traefik-v3.json', 'traefik-v3-file-provider.json', 'compose-spec.json', 'spinapp-crd.yaml'] as const;

function readSchema(name: Exclude<(typeof schemaFiles)[number], 'spinapp-crd.yaml'>): object {
  return JSON.parse(readFileSync(join(schemaDir, name), 'utf8')) as object;
}

/**
 * The formats the SpinApp CRD uses, as the Kubernetes API server checks them (OpenAPI v3's
 * `int32`/`int64`, RFC 3339 `date-time`). Unknown to Ajv, they were ignored with a warning per
 * field (~300 lines per test run) and checked nothing: a `replicas` of 2^31 passed.
 */
export const kubernetesFormats: Record<string, Format> = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n <= 2 ** 31 - 1 },
  // A JSON number beyond 2^53 has already lost its digits in JavaScript; what is left to check is that it is whole.
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
};

/** What Ajv warned about while compiling (unknown formats, ignored keywords); the tests expect none. */
export const compileWarnings: string[] = [];
const logger: Logger = {
  log: () => undefined,
  warn: (...args: unknown[]) => void compileWarnings.push(args.map(String).join(' ')),
  error: (...args: unknown[]) => void compileWarnings.push(args.map(String).join(' ')),
};

function compile(schema: object, options: { validateSchema?: boolean } = {}): ValidateFunction {
  // strict: false because the schemas use keywords Ajv's strict mode rejects (union types,
  // x-kubernetes-*); allErrors so a failure lists everything wrong at once.
  const ajv = new Ajv({ allErrors: true, strict: false, formats: kubernetesFormats, logger, ...options });
  return ajv.compile(schema);
}

interface CustomResourceDefinition {
  spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
}

/** The SpinApp CRD's OpenAPI v3 schema for v1alpha1 (JSON Schema apart from x-kubernetes-* keywords). */
function spinAppSchema(): object {
  const crd = parseYaml(readFileSync(join(schemaDir, 'spinapp-crd.yaml'), 'utf8')) as CustomResourceDefinition;
  const version = crd.spec.versions.find((v) => v.name === 'v1alpha1');
  if (!version) throw new Error('spinapp-crd.yaml has no v1alpha1 version');
  return version.schema.openAPIV3Schema;
}

export const validateTraefikStatic = compile(readSchema('traefik-v3.json'));
export const validateTraefikDynamic = compile(readSchema('traefik-v3-file-provider.json'));
// The Compose schema's $schema URL (https, no #) is not one Ajv knows, so it is not meta-validated.
export const validateCompose = compile(readSchema('compose-spec.json'), { validateSchema: false });
export const validateSpinApp = compile(spinAppSchema());

/** Ajv's errors in a form that reads well in a failed expectation. */
export function schemaErrors(validate: ValidateFunction, data: unknown): string[] {
  if (validate(data)) return [];
  return (validate.errors ?? []).map((error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
