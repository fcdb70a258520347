// `GET <base>/openapi.json`: the API's route table as an OpenAPI 3.1 document, generated from the
// registered routes' specs, so clients, the reference page and the attack suite (tests/attack)
// read every route without anyone describing it by hand.
import { ErrorEnvelope } from '@authorworks/domain';
import { z } from 'zod';
import type { AuthRequirement } from './context.ts';

/** A route as the API registered it: method, itty path (`/books/:id`) and its spec's schemas and auth. */
export interface RegisteredRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  params?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  body?: z.ZodType | undefined;
  auth?: AuthRequirement | undefined;
  throttled?: boolean;
}

type JsonSchema = Record<string, unknown>;

const ERROR_RESPONSE = { $ref: '#/components/responses/Error' };
const SUCCESS_RESPONSE = {
  // Routes do not declare their answers yet (issue 19 adds response schemas): any JSON, or none.
  description: 'Success. The response schema is not declared yet.',
  content: { 'application/json': { schema: {} } },
};

/** `/books/:id/chapters` → `/books/{id}/chapters` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * Collects JSON Schemas into `components.schemas`: each zod schema's own `$defs` (recursive types
 * such as `z.json()`) are renamed under the schema's name, because a `#/$defs/...` reference
 * inside an OpenAPI document points at the document's root, not at the embedded schema.
 */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};

  add(name: string, schema: z.ZodType): JsonSchema {
    // `io: 'input'`: what a client sends (before defaults and transforms); `unrepresentable:
    // 'any'`: a custom check becomes `{}` rather than failing the whole document.
    const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const { $schema: _dialect, $defs: defs, ...rest } = generated;
    const renamed = new Map<string, string>();
    for (const key of Object.keys((defs as Record<string, JsonSchema> | undefined) ?? {})) renamed.set(key, `${name}_${key.replace(/[^A-Za-z0-9_.-]/g, '')}`);
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value === null || typeof value !== 'object') return value;
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        const target = key === '$ref' && typeof inner === 'string' ? renamed.get(inner.replace(/^#\/\$defs\//, '')) : undefined;
        out[key] = target !== undefined ? `#/components/schemas/${target}` : rewrite(inner);
      }
      return out;
    };
    for (const [key, def] of Object.entries((defs as Record<string, JsonSchema> | undefined) ?? {})) {
      this.components[renamed.get(key)!] = rewrite(def) as JsonSchema;
    }
    return rewrite(rest) as JsonSchema;
  }
}

function operationId(route: RegisteredRoute): string {
  const words = route.path.split('/').filter(Boolean).map((segment) => (segment.startsWith(':') ? `by_${segment.slice(1)}` : segment));
  return [route.method, ...words].join('_').replace(/[^A-Za-z0-9_]/g, '_');
}

/** One OpenAPI parameter per property of an object schema; a schema of another shape is described whole under its part's name. */
function parametersOf(location: 'path' | 'query', schema: JsonSchema): JsonSchema[] {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (schema.type !== 'object' || properties === undefined) {
    return [{ name: location, in: location, required: location === 'path', schema }];
  }
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    schema: property,
  }));
}

function securityOf(auth: AuthRequirement | undefined): { security: unknown[]; description?: string } {
  if (auth === undefined) return { security: [] };
  if (auth === 'optional') return { security: [{}, { bearerAuth: [] }], description: 'A bearer token is optional; a present one must be valid.' };
  if (auth === 'required') return { security: [{ bearerAuth: [] }] };
  return { security: [{ bearerAuth: [] }], description: `Requires the \`${auth}\` role.` };
}

function operationOf(route: RegisteredRoute, schemas: SchemaCollector): JsonSchema {
  const id = operationId(route);
  const parameters = [
    ...(route.params ? parametersOf('path', schemas.add(`${id}_params`, route.params)) : []),
    ...(route.query ? parametersOf('query', schemas.add(`${id}_query`, route.query)) : []),
  ];
  const { security, description } = securityOf(route.auth);
  const responses: Record<string, unknown> = { '2XX': SUCCESS_RESPONSE };
  if (route.params || route.query || route.body) responses['400'] = ERROR_RESPONSE;
  if (route.auth !== undefined) responses['401'] = ERROR_RESPONSE;
  if (route.auth !== undefined && route.auth !== 'optional' && route.auth !== 'required') responses['403'] = ERROR_RESPONSE;
  if (route.body) Object.assign(responses, { '413': ERROR_RESPONSE, '415': ERROR_RESPONSE });
  if (route.throttled) responses['429'] = ERROR_RESPONSE;
  Object.assign(responses, { '4XX': ERROR_RESPONSE, '5XX': ERROR_RESPONSE });
  return {
    operationId: id,
    ...(description ? { description } : {}),
    'x-auth': route.auth ?? 'none',
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemas.add(`${id}_body`, route.body) } } } }
      : {}),
    security,
    responses,
  };
}

/** The kit's own routes, answered by every API before its service's. */
const KIT_ROUTES: readonly RegisteredRoute[] = [
  { method: 'get', path: '/health' },
  { method: 'get', path: '/ready' },
  { method: 'get', path: '/openapi.json' },
];

/**
 * The OpenAPI 3.1 document of an API: paths relative to `servers[0].url` (the API's base), request
 * schemas from the routes' zod schemas, the bearer requirement from `auth` (`x-auth` names it as
 * the route spec does), and the error envelope for every 4xx and 5xx.
 */
export function openApiDocument(api: { service: string; base: string; version: string }, routes: readonly RegisteredRoute[]): JsonSchema {
  const schemas = new SchemaCollector();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of [...KIT_ROUTES, ...routes]) {
    const path = openApiPath(route.path);
    (paths[path] ??= {})[route.method] = operationOf(route, schemas);
  }
  const envelope = schemas.add('ErrorEnvelope', ErrorEnvelope);
  return {
    openapi: '3.1.0',
    info: { title: `${api.service} API`, version: api.version },
    servers: [{ url: api.base }],
    paths,
    components: {
      schemas: { ...schemas.components, ErrorEnvelope: envelope },
      responses: {
        Error: {
          description: 'The error envelope',
          headers: { 'x-request-id': { description: 'The request id (the caller\'s, if sane, else a new UUID)', schema: { type: 'string' } } },
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
        },
      },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
