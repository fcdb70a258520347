import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

/** The vendored copies of the published schemas (see ../schemas/README.md). */
export const schemaDir = join(import.meta.dirname, '../schemas');
export const schemaFiles = ['traefik-v3.json', 'traefik-v3-file-provider.json', 'compose-spec.json'] as const;

function readSchema(name: (typeof schemaFiles)[number]): object {
  return JSON.parse(readFileSync(join(schemaDir, name), 'utf8')) as object;
}

function compile(name: (typeof schemaFiles)[number], options: { validateSchema?: boolean } = {}): ValidateFunction {
  // strict: false because both schemas use keywords Ajv's strict mode rejects (union types,
  // unknown formats); allErrors so a failure lists everything wrong at once.
  const ajv = new Ajv({ allErrors: true, strict: false, ...options });
  return ajv.compile(readSchema(name));
}

export const validateTraefikStatic = compile('traefik-v3.json');
export const validateTraefikDynamic = compile('traefik-v3-file-provider.json');
// The Compose schema's $schema URL (https, no #) is not one Ajv knows, so it is not meta-validated.
export const validateCompose = compile('compose-spec.json', { validateSchema: false });

/** Ajv's errors in a form that reads well in a failed expectation. */
export function schemaErrors(validate: ValidateFunction, data: unknown): string[] {
  if (validate(data)) return [];
  return (validate.errors ?? []).map((error: ErrorObject) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}
