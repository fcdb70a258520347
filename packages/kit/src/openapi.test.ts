import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiWithHost, defineRoute } from './api.ts';
import { inMemoryHost } from './in-memory-host.ts';
import { openApiDocument, openApiPath } from './openapi.ts';
import { json } from './responses.ts';
import { Page } from '@authorworks/domain';

const ok = async () => json({ ok: true });
const Ok = z.object({ ok: z.literal(true) });
const Note = z.object({ id: z.uuid(), text: z.string(), createdAt: z.iso.datetime(), tags: z.array(z.string()).default([]) });

function demoApi() {
  const host = inMemoryHost({ variables: { auth_secret: 'kit-test-secret-kit-test-secret-0123456789', log_level: 'error' } });
  return createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1.2.3' }, host)
    .post(
      '/books/:id/notes',
      defineRoute(
        {
          auth: 'required',
          params: z.object({ id: z.uuid() }),
          query: z.object({ dryRun: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
          body: z.object({ text: z.string().min(1).max(50), meta: z.json().optional() }),
          responses: { 201: Note, 200: Note },
          errors: { 404: 'No such book of yours', 409: '`duplicate_note`: the same text twice', 400: '`invalid_cursor`' },
        },
        ok,
      ),
    )
    .get('/catalog', defineRoute({ auth: 'optional', responses: { 200: Page(Note) } }, ok))
    .get('/notes/:id/events', defineRoute({ auth: 'required', params: z.object({ id: z.uuid() }), responses: { 200: { contentType: 'text/event-stream', description: 'Server-sent events' } } }, ok))
    .delete('/users/:id', defineRoute({ auth: 'admin', params: z.object({ id: z.uuid() }), responses: { 204: null } }, ok))
    .post('/login', defineRoute({ body: z.object({ email: z.email() }), responses: { 200: Ok }, throttle: [{ name: 'login', key: () => 'k', limit: () => ({ limit: 5, windowSeconds: 60 }) }] }, ok));
}

type Operation = {
  operationId: string;
  'x-auth': string;
  security: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, unknown>;
};
type Document = {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

async function served(): Promise<{ status: number; contentType: string | null; document: Document }> {
  const response = await demoApi().fetch(new Request('http://localhost/v1/demo/openapi.json'));
  return { status: response.status, contentType: response.headers.get('content-type'), document: (await response.json()) as Document };
}

describe('GET <base>/openapi.json', () => {
  it('is served by every API and passes an OpenAPI 3.1 validator', async () => {
    const { status, contentType, document } = await served();
    expect(status).toBe(200);
    expect(contentType).toBe('application/json');
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator is not a rubber stamp: the same document without its required `info` fails.
    const { info: _info, ...withoutInfo } = document as unknown as Record<string, unknown>;
    expect((await new Validator().validate(withoutInfo)).valid).toBe(false);
  });

  it('lists every registered route and the kit\'s own, paths relative to the base', async () => {
    const { document } = await served();
    expect(document.servers).toEqual([{ url: '/v1/demo' }]);
    expect(Object.keys(document.paths).sort()).toEqual(['/books/{id}/notes', '/catalog', '/health', '/login', '/notes/{id}/events', '/openapi.json', '/ready', '/users/{id}']);
    expect(Object.keys(document.paths['/users/{id}']!)).toEqual(['delete']);
  });

  it('describes params, query and body from the zod schemas as clients send them', async () => {
    const operation = (await served()).document.paths['/books/{id}/notes']!.post!;
    expect(operation.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'string', format: 'uuid' }) }),
      expect.objectContaining({ name: 'dryRun', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } }),
      // A default makes the field optional for the client.
      expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 100 }) }),
    ]);
    const body = operation.requestBody!.content['application/json']!.schema;
    expect(operation.requestBody!.required).toBe(true);
    expect(body).toMatchObject({ type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 50 } } });
  });

  it('moves recursive definitions into components so their references resolve in the document', async () => {
    const { document } = await served();
    const meta = (document.paths['/books/{id}/notes']!.post!.requestBody!.content['application/json']!.schema.properties as Record<string, { $ref: string }>).meta!;
    expect(meta.$ref).toMatch(/^#\/components\/schemas\//);
    expect(document.components.schemas[meta.$ref.split('/').pop()!]).toHaveProperty('anyOf');
    expect(JSON.stringify(document)).not.toContain('#/$defs/');
  });

  it('states the bearer requirement from auth', async () => {
    const { paths } = (await served()).document;
    expect(paths['/books/{id}/notes']!.post!).toMatchObject({ 'x-auth': 'required', security: [{ bearerAuth: [] }] });
    expect(paths['/catalog']!.get!).toMatchObject({ 'x-auth': 'optional', security: [{}, { bearerAuth: [] }] });
    expect(paths['/users/{id}']!.delete!).toMatchObject({ 'x-auth': 'admin', security: [{ bearerAuth: [] }] });
    expect(paths['/users/{id}']!.delete!.responses).toHaveProperty('403');
    expect(paths['/login']!.post!).toMatchObject({ 'x-auth': 'none', security: [] });
    expect(paths['/health']!.get!.security).toEqual([]);
  });

  it('documents each error status the kit derives from the spec with the envelope, and only those', async () => {
    const { document } = await served();
    const login = document.paths['/login']!.post!;
    expect(Object.keys(login.responses).sort()).toEqual(['200', '400', '413', '415', '429', '5XX']);
    for (const status of ['400', '413', '415', '429', '5XX']) expect(login.responses[status]).toMatchObject({ $ref: '#/components/responses/Error', description: expect.any(String) });
    expect(login.responses['400']).toMatchObject({ description: expect.stringContaining('malformed_json') });
    expect(login.responses['429']).toMatchObject({ description: expect.stringContaining('retry-after') });
    // No catch-alls for client errors: a status the route does not document is not one it answers.
    expect(login.responses).not.toHaveProperty('4XX');
    expect(login.responses).not.toHaveProperty('2XX');
    expect(Object.keys(document.paths['/catalog']!.get!.responses).sort()).toEqual(['200', '401', '5XX']);
    expect(Object.keys(document.paths['/users/{id}']!.delete!.responses).sort()).toEqual(['204', '400', '401', '403', '5XX']);
    expect(Object.keys(document.paths['/health']!.get!.responses).sort()).toEqual(['200', '5XX']);
    expect(document.components.schemas.ErrorEnvelope).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: { error: { required: ['code', 'message', 'details'] } },
    });
  });
});

describe('openApiDocument', () => {
  it('writes itty path parameters the OpenAPI way', () => {
    expect(openApiPath('/books/:id/collaborators/:userId')).toBe('/books/{id}/collaborators/{userId}');
  });

  it('gives two routes with recursive schemas their own component names', () => {
    const document = openApiDocument({ service: 's', base: '/v1/s', version: '1' }, [
      { method: 'put', path: '/a', body: z.object({ value: z.json() }), responses: { 200: z.object({ value: z.json() }) } },
      { method: 'put', path: '/b', body: z.object({ value: z.json() }), responses: { 204: null } },
    ]) as Document;
    const refs = ['/a', '/b'].map((path) => (document.paths[path]!.put!.requestBody!.content['application/json']!.schema.properties as Record<string, { $ref: string }>).value!.$ref);
    expect(new Set(refs).size).toBe(2);
    // A recursive response schema's definitions resolve too.
    expect(JSON.stringify(document)).not.toContain('#/$defs/');
    const answer = (document.paths['/a']!.put!.responses['200'] as { content: Record<string, { schema: { $ref: string } }> }).content['application/json']!.schema.$ref;
    const value = (document.components.schemas[answer.split('/').pop()!]!.properties as Record<string, { $ref: string }>).value!.$ref;
    expect(document.components.schemas[value.split('/').pop()!]).toHaveProperty('anyOf');
  });
});

describe('answers', () => {
  it('declares each 2xx with its output schema, collected once into components', async () => {
    const { document } = await served();
    const notes = document.paths['/books/{id}/notes']!.post!.responses as Record<string, { content: Record<string, { schema: { $ref: string } }> }>;
    const created = notes['201']!.content['application/json']!.schema;
    // The same zod schema answered twice is one component.
    expect(notes['200']!.content['application/json']!.schema).toEqual(created);
    const component = document.components.schemas[created.$ref.replace('#/components/schemas/', '')]!;
    // Output: a field with a default is always there.
    expect(component).toMatchObject({ type: 'object', required: ['id', 'text', 'createdAt', 'tags'] });
    const page = (document.paths['/catalog']!.get!.responses['200'] as { content: Record<string, { schema: { $ref: string } }> }).content['application/json']!.schema;
    expect(document.components.schemas[page.$ref.split('/').pop()!]).toMatchObject({ required: ['items', 'nextCursor'] });
  });

  it('describes a bodiless 204 and a non-JSON body as declared', async () => {
    const { document } = await served();
    expect(document.paths['/users/{id}']!.delete!.responses['204']).toEqual({ description: 'No content', headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } } });
    expect(document.paths['/notes/{id}/events']!.get!.responses['200']).toMatchObject({ description: 'Server-sent events', content: { 'text/event-stream': {} } });
  });

  it('adds the route\'s own error statuses, joined with the kit\'s where both answer one', async () => {
    const responses = (await served()).document.paths['/books/{id}/notes']!.post!.responses as Record<string, { $ref?: string; description: string }>;
    expect(Object.keys(responses).sort()).toEqual(['200', '201', '400', '401', '404', '409', '413', '415', '5XX']);
    expect(responses['404']).toEqual({ $ref: '#/components/responses/Error', description: 'No such book of yours' });
    expect(responses['400']!.description).toMatch(/validation_failed.*invalid_cursor/);
  });

  it('gives the kit\'s own routes their answers: health, readiness (503 is its checks, not the envelope), this document', async () => {
    const { document } = await served();
    const schemaOf = (path: string, status: string) => {
      const response = document.paths[path]!.get!.responses[status] as { content: Record<string, { schema: { $ref: string } }> };
      return document.components.schemas[response.content['application/json']!.schema.$ref.split('/').pop()!];
    };
    expect(schemaOf('/health', '200')).toMatchObject({ required: ['status', 'service', 'version'] });
    expect(schemaOf('/ready', '503')).toEqual(schemaOf('/ready', '200'));
    expect(schemaOf('/openapi.json', '200')).toMatchObject({ type: 'object' });
  });

  it('documents the conventions: envelope, bearer JWT, cursor pagination, request ids', async () => {
    const { document } = await served();
    const description = (document as unknown as { info: { description: string } }).info.description;
    for (const needle of ['error envelope', 'validation_failed', 'Bearer <JWT>', '?cursor=', 'nextCursor', 'x-request-id', '405']) expect(description).toContain(needle);
    expect((document.components as unknown as { securitySchemes: unknown }).securitySchemes).toEqual({ bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } });
  });
});

describe('an optional body', () => {
  it('is documented as not required, with the object it is when sent', async () => {
    const host = inMemoryHost({ variables: { auth_secret: 'kit-test-secret-kit-test-secret-0123456789', log_level: 'error' } });
    const api = createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1.2.3' }, host)
      .post('/finish', defineRoute({ body: z.object({ note: z.string() }).optional(), responses: { 200: Ok } }, ok))
      .post('/start', defineRoute({ body: z.object({ note: z.string() }), responses: { 200: Ok } }, ok));
    const document = (await (await api.fetch(new Request('http://localhost/v1/demo/openapi.json'))).json()) as Document;
    const finish = document.paths['/finish']!.post!.requestBody!;
    expect(finish.required).toBe(false);
    const schema = finish.content['application/json']!.schema;
    const resolved = '$ref' in schema ? document.components.schemas[String(schema.$ref).split('/').pop()!]! : schema;
    expect(resolved).toMatchObject({ type: 'object', properties: { note: { type: 'string' } } });
    expect(document.paths['/start']!.post!.requestBody!.required).toBe(true);
    expect((await new Validator().validate(document as unknown as Record<string, unknown>)).valid).toBe(true);
  });
});
