// `GET <base>/openapi.json`: the API's route table as an OpenAPI 3.1 document, generated from the
// registered routes' specs, so clients, the reference page and the attack suite (tests/attack)
// read every route without anyone describing it by hand.
import { ErrorEnvelope, HealthResponse, ReadyResponse } from '@authorworks/domain';
import { z } from 'zod';
import type { AuthRequirement } from './context.ts';
import { bodyIsOptional } from './validation.ts';

/** A body that is not JSON (a stream, a download), described for the reference. */
export interface NonJsonBody {
  contentType: string;
  description: string;
}

/** What one answer carries: its JSON body's zod schema, `null` for none (204), or a non-JSON body. */
export type ResponseBody = z.ZodType | null | NonJsonBody;

/** A route as the API registered it: method, itty path (`/books/:id`), its spec's schemas, auth and answers. */
export interface RegisteredRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  params?: z.ZodType | undefined;
  query?: z.ZodType | undefined;
  body?: z.ZodType | undefined;
  auth?: AuthRequirement | undefined;
  throttled?: boolean;
  /** Status → body of each answer that is not the error envelope (RouteSpec.responses). */
  responses: { [status: number]: ResponseBody };
  /** Status → when, for the error statuses the route's own code answers (RouteSpec.errors). */
  errors?: { [status: number]: string } | undefined;
}

type JsonSchema = Record<string, unknown>;

const REQUEST_ID_HEADER = { 'x-request-id': { $ref: '#/components/headers/RequestId' } };

/** The error envelope, with when the route answers this status. */
function errorResponse(description: string): JsonSchema {
  return { $ref: '#/components/responses/Error', description };
}

/** What the kit answers before a route's handler runs, from the route's spec alone. */
function kitErrors(route: RegisteredRoute): Record<number, string> {
  const errors: Record<number, string> = {};
  if (route.params || route.query || route.body) {
    errors[400] = `\`validation_failed\`: a ${[route.params && 'path parameter', route.query && 'query field', route.body && 'body field'].filter(Boolean).join(', ')} is not valid (each in \`details\`)${route.body ? '; `malformed_json`: the body is not JSON' : ''}`;
  }
  if (route.auth === 'optional') errors[401] = 'An `Authorization` header was sent and holds no valid bearer token: `invalid_token`, `token_expired`, `token_revoked`';
  else if (route.auth !== undefined) errors[401] = 'No valid bearer token: `missing_token`, `invalid_token`, `token_expired`, `token_revoked`';
  if (route.auth !== undefined && route.auth !== 'optional' && route.auth !== 'required') errors[403] = `\`forbidden\`: the token lacks the \`${route.auth}\` role`;
  if (route.body) {
    errors[413] = '`payload_too_large`: the body is over the route\'s limit';
    errors[415] = '`unsupported_media_type`: the body is not `application/json`';
  }
  if (route.throttled) errors[429] = '`too_many_requests`: over a rate limit; `retry-after` says when to try again';
  return errors;
}

function isNonJsonBody(body: ResponseBody): body is NonJsonBody {
  return body !== null && !(body instanceof z.ZodType) && typeof (body as NonJsonBody).contentType === 'string';
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No content',
  206: 'Partial content',
  302: 'Found: the answer is at `Location`',
  304: 'Not modified',
  503: 'Unavailable',
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

  private readonly named = new Map<z.ZodType, string>();

  /**
   * `io: 'input'` for what a client sends (before defaults and transforms), `'output'` for what a
   * route answers; `unrepresentable: 'any'`: a custom check becomes `{}` rather than failing the
   * whole document.
   */
  add(name: string, schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
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

  /** A response schema as a component of its own, referenced: one schema answered by many routes is written once. */
  reference(name: string, schema: z.ZodType): JsonSchema {
    let component = this.named.get(schema);
    if (component === undefined) {
      component = name;
      this.named.set(schema, component);
      this.components[component] = this.add(component, schema, 'output');
    }
    return { $ref: `#/components/schemas/${component}` };
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
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(route.responses)) {
    const description = STATUS_TEXT[Number(status)] ?? 'Success';
    if (body === null) responses[status] = { description, headers: REQUEST_ID_HEADER };
    else if (isNonJsonBody(body)) {
      responses[status] = { description: body.description, headers: REQUEST_ID_HEADER, content: { [body.contentType]: {} } };
    } else {
      const schema = schemas.reference(`${id}_${status}`, body);
      responses[status] = { description, headers: REQUEST_ID_HEADER, content: { 'application/json': { schema } } };
    }
  }
  const derived = kitErrors(route);
  const own = route.errors ?? {};
  for (const status of [...new Set([...Object.keys(derived), ...Object.keys(own)].map(Number))].sort((a, b) => a - b)) {
    const when = [derived[status], own[status]].filter((text): text is string => text !== undefined).join('; ');
    responses[String(status)] = errorResponse(when);
  }
  // Anything unexpected: `internal` (500), or a backend that did not answer (503).
  responses['5XX'] = errorResponse('A server error: `internal`, or a backend that did not answer (503)');
  return {
    operationId: id,
    ...(description ? { description } : {}),
    'x-auth': route.auth ?? 'none',
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: !bodyIsOptional(route.body), content: { 'application/json': { schema: schemas.add(`${id}_body`, route.body) } } } }
      : {}),
    security,
    responses,
  };
}

/** The kit's own routes, answered by every API before its service's. */
const KIT_ROUTES: readonly RegisteredRoute[] = [
  { method: 'get', path: '/health', responses: { 200: HealthResponse } },
  // Not ready answers its checks too (load balancers read the status), not the error envelope.
  { method: 'get', path: '/ready', responses: { 200: ReadyResponse, 503: ReadyResponse } },
  { method: 'get', path: '/openapi.json', responses: { 200: z.record(z.string(), z.unknown()).describe('This document: OpenAPI 3.1') } },
];

/** What every document says first: the conventions every route follows, which no single operation shows. */
const CONVENTIONS = `Conventions of every AuthorWorks API.

**Errors.** Every answer that is not 2xx (a 503 from \`/ready\` aside) is the error envelope
\`{ "error": { "code", "message", "details": [{ "path", "message" }] } }\`: \`code\` is snake_case for
clients to switch on (\`validation_failed\`, \`malformed_json\`, \`invalid_cursor\`, \`missing_token\`,
\`invalid_token\`, \`token_expired\`, \`token_revoked\`, \`forbidden\`, \`not_found\`,
\`method_not_allowed\`, \`payload_too_large\`,
\`unsupported_media_type\`, \`too_many_requests\`, \`internal\`, and each route's own); \`details\` names each bad field
(\`body.email\`, \`query.limit\`, \`params.id\`). Each operation lists the statuses it answers and when.
Any path: 404 \`not_found\` when no route matches, 405 \`method_not_allowed\` (with \`Allow\`) when
the path is known but not the method; 400 \`bad_host\` for an unusable \`Host\`; 403
\`cors_origin_not_allowed\` for a browser origin not allowed.

**Auth.** Routes with \`bearerAuth\` take \`Authorization: Bearer <JWT>\` (HS256 access token from
\`POST /v1/users/login\`); \`x-auth\` names the requirement: \`required\`, \`optional\` (a token that is
sent must be valid), a role (\`admin\`), or \`none\`. A missing, invalid, expired or revoked token is
401 with \`WWW-Authenticate: Bearer\`; a token without the role is 403.

**Pagination.** Lists take \`?limit=\` (1–100, default 20) and \`?cursor=\` and answer
\`{ "items": [...], "nextCursor": string | null }\`: pass \`nextCursor\` as \`cursor\` for the next page;
null means the last page. Cursors are opaque; one this list did not issue is 400 \`invalid_cursor\`.

**Request ids.** Every answer carries \`x-request-id\`: the caller's own if it is 1–128 characters of
\`[A-Za-z0-9._:-]\`, else a new UUID. Logs and events carry it, so send one to trace a call.

**HEAD** answers every GET route without the body.`;

/**
 * The OpenAPI 3.1 document of an API: paths relative to `servers[0].url` (the API's base), request
 * schemas from the routes' zod schemas, the bearer requirement from `auth` (`x-auth` names it as
 * the route spec does), each declared answer with its schema (in `components.schemas`), each error
 * status the kit or the route answers with the envelope and when, and `5XX` for server errors.
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
    info: { title: `${api.service} API`, version: api.version, description: CONVENTIONS },
    servers: [{ url: api.base }],
    paths,
    components: {
      schemas: { ...schemas.components, ErrorEnvelope: envelope },
      responses: {
        Error: {
          description: 'The error envelope',
          headers: REQUEST_ID_HEADER,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
        },
      },
      headers: {
        RequestId: { description: 'The request id (the caller\'s, if sane, else a new UUID)', schema: { type: 'string' } },
      },
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}
