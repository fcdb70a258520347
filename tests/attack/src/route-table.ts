// A service's route table as the attack reads it: the operations of its openapi.json.
import type { JsonSchema } from './json-schema.ts';

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** `GET /v1/content/books/{id}` */
  label: string;
  method: string;
  /** The full path template, base included: `/v1/content/books/{id}`. */
  template: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body: JsonSchema | undefined;
  /** The route spec's `auth`: `none`, `optional`, `required` or a role. */
  auth: string;
}

export interface OpenApiDocument {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, {
    'x-auth'?: string;
    parameters?: Parameter[];
    requestBody?: { content: Record<string, { schema: JsonSchema }> };
    /** By status: an answer with its media types, or the error envelope (`$ref`). */
    responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: JsonSchema }> }>;
  }>>;
  components: { schemas: Record<string, JsonSchema> };
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const base = document.servers[0]?.url ?? '';
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = operation.parameters ?? [];
      const template = `${base}${path}`;
      operations.push({
        label: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        pathParams: parameters.filter((p) => p.in === 'path'),
        queryParams: parameters.filter((p) => p.in === 'query'),
        body: operation.requestBody?.content['application/json']?.schema,
        auth: operation['x-auth'] ?? 'none',
      });
    }
  }
  return operations;
}

/** The template with each `{name}` replaced by `values[name]` (already percent-encoded as the case wants it). */
export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? '');
}

/**
 * Binds a template to a resource's path: `/v1/content/books/{id}/chapters` against
 * `/v1/content/books/7f…` gives `{ id: '7f…' }`. The resource's segments must be a prefix of the
 * template (params bind, literals must equal) and what follows may hold only literals and params
 * left for the caller to fill.
 */
export function bindTemplate(template: string, resource: string): Record<string, string> | undefined {
  const want = template.split('/');
  const have = resource.split('/');
  if (have.length > want.length) return undefined;
  const bound: Record<string, string> = {};
  for (const [i, segment] of have.entries()) {
    const param = /^\{(.+)\}$/.exec(want[i]!)?.[1];
    if (param !== undefined) bound[param] = segment;
    else if (want[i] !== segment) return undefined;
  }
  return Object.keys(bound).length > 0 ? bound : undefined;
}

/**
 * Whether the router would take `path` (as sent: percent-encoded, without its query) for
 * `template`, as itty-router matches: a param is one non-empty segment, trailing slashes are ignored.
 */
export function matchesTemplate(template: string, path: string): boolean {
  const pattern = template
    .split('/')
    .map((segment) => (/^\{.+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}/*$`).test(path);
}
