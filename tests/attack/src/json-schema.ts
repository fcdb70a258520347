// Values from the JSON Schemas of a service's openapi.json: one valid value (for the two-user
// matrix and as the base a hostile case changes one field of), and hostile values per type.

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  format?: string;
  pattern?: string;
};

/** A schema's `$ref` into `#/components/schemas/...`, followed. */
export type Resolve = (schema: JsonSchema) => JsonSchema;

export function resolverOf(components: Record<string, JsonSchema>): Resolve {
  return function resolve(schema) {
    if (schema.$ref === undefined) return schema;
    const target = components[schema.$ref.replace('#/components/schemas/', '')];
    if (target === undefined) throw new Error(`unresolvable reference ${schema.$ref}`);
    return resolve(target);
  };
}

/** Thrown when no value satisfying a schema can be made (an unusual pattern, say); the route is then listed as skipped. */
export class Unsatisfiable extends Error {
  override name = 'Unsatisfiable';
}

let serial = 0;

function typesOf(schema: JsonSchema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return schema.type === undefined ? [] : [schema.type];
}

function matchesPattern(schema: JsonSchema, value: string): boolean {
  return schema.pattern === undefined || new RegExp(schema.pattern).test(value);
}

function validString(schema: JsonSchema, name: string): string {
  const unique = `${Date.now().toString(36)}${(serial++).toString(36)}`;
  const candidates: string[] = [];
  if (schema.format === 'uuid') candidates.push(crypto.randomUUID());
  else if (schema.format === 'email') candidates.push(`attack.${unique}@example.com`);
  else if (schema.format === 'date-time') candidates.push(new Date().toISOString());
  else if (schema.format === 'uri' || schema.format === 'url') candidates.push(`https://example.com/${unique}`);
  else {
    const min = schema.minLength ?? 1;
    const max = schema.maxLength ?? Math.max(min, 40);
    const base = `${name.replace(/[^a-z]/gi, '').toLowerCase() || 'value'}${unique}`;
    candidates.push(base.padEnd(min, 'x').slice(0, max), unique.padEnd(min, '0').slice(0, max), 'en', 'a'.repeat(Math.max(min, 1)).slice(0, max));
  }
  const found = candidates.find((value) => matchesPattern(schema, value) && value.length >= (schema.minLength ?? 0) && value.length <= (schema.maxLength ?? Infinity));
  if (found === undefined) throw new Unsatisfiable(`no string for ${name} matches ${schema.pattern ?? schema.format ?? 'its length'}`);
  return found;
}

function validNumber(schema: JsonSchema, integer: boolean): number {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
  const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : low + 10);
  if (low > high) throw new Unsatisfiable(`no number in [${low}, ${high}]`);
  return integer ? Math.ceil(low) : low;
}

/**
 * A value the schema accepts: its `default` or `const` or first `enum` value when it has one,
 * else the smallest that fits — objects with their required properties only (so a created book
 * keeps its defaults: private, a draft).
 */
export function validValue(schema: JsonSchema, resolve: Resolve, name = 'value'): unknown {
  const resolved = resolve(schema);
  if (resolved.const !== undefined) return resolved.const;
  if (resolved.default !== undefined) return resolved.default;
  if (resolved.enum !== undefined && resolved.enum.length > 0) return resolved.enum[0];
  const branches = resolved.anyOf ?? resolved.oneOf;
  if (branches) {
    for (const branch of branches) {
      try {
        return validValue(branch, resolve, name);
      } catch (error) {
        if (!(error instanceof Unsatisfiable)) throw error;
      }
    }
    throw new Unsatisfiable(`no branch of ${name} can be generated`);
  }
  if (resolved.allOf) throw new Unsatisfiable(`allOf in ${name}`);
  const types = typesOf(resolved);
  const type = types.find((t) => t !== 'null') ?? types[0];
  switch (type) {
    case 'string':
      return validString(resolved, name);
    case 'integer':
      return validNumber(resolved, true);
    case 'number':
      return validNumber(resolved, false);
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array':
      return Array.from({ length: resolved.minItems ?? 0 }, (_, i) => validValue(resolved.items ?? {}, resolve, `${name}${i}`));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of resolved.required ?? []) out[key] = validValue(resolved.properties?.[key] ?? {}, resolve, key);
      return out;
    }
    default:
      // `{}`: anything goes.
      return 'attack';
  }
}

const LONE_SURROGATE = 'a\ud800b';
const NUL = 'a\u0000b';

/**
 * Hostile replacements for one value of `schema`, labelled: NUL and lone-surrogate text, wrong
 * types, huge, negative and fractional numbers, overlong strings, nesting the engine cannot walk.
 */
export function hostileValues(schema: JsonSchema, resolve: Resolve): [label: string, value: unknown][] {
  const resolved = resolve(schema);
  const types = new Set(typesOf(resolved));
  const cases: [string, unknown][] = [
    ['NUL', NUL],
    ['lone surrogate', LONE_SURROGATE],
    ['overlong string', 'x'.repeat(Math.max((resolved.maxLength ?? 0) + 1, 20_000))],
    ['deep array', JSON.parse(`${'['.repeat(300)}${']'.repeat(300)}`) as unknown],
    ['object', { $gt: '' }],
    ['null', null],
  ];
  if (types.has('integer') || types.has('number') || types.size === 0) {
    cases.push(['huge number', 1e308], ['negative', -1], ['fraction', 0.5], ['past int8', 9_223_372_036_854_775_808]);
  } else {
    cases.push(['number', 42]);
  }
  if (types.has('array')) cases.push(['array of NUL', [NUL]], ['array of numbers', [1, 2]]);
  else cases.push(['array', ['a']]);
  if (!types.has('boolean')) cases.push(['boolean', true]);
  return cases;
}
