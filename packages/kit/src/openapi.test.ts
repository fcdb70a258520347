import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApiWithHost, defineRoute } from './api.ts';
import { inMemoryHost } from './in-memory-host.ts';
import { openApiDocument, openApiPath } from './openapi.ts';
import { json } from './responses.ts';

const ok = async () => json({ ok: true });

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
        },
        ok,
      ),
    )
    .get('/catalog', defineRoute({ auth: 'optional' }, ok))
    .delete('/users/:id', defineRoute({ auth: 'admin', params: z.object({ id: z.uuid() }) }, ok))
    .post('/login', defineRoute({ body: z.object({ email: z.email() }), throttle: [{ name: 'login', key: () => 'k', limit: () => ({ limit: 5, windowSeconds: 60 }) }] }, ok));
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
    expect(Object.keys(document.paths).sort()).toEqual(['/books/{id}/notes', '/catalog', '/health', '/login', '/openapi.json', '/ready', '/users/{id}']);
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

  it('answers every 4xx and 5xx with the error envelope', async () => {
    const { document } = await served();
    const login = document.paths['/login']!.post!;
    for (const status of ['400', '413', '415', '429', '4XX', '5XX']) expect(login.responses[status]).toEqual({ $ref: '#/components/responses/Error' });
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
      { method: 'put', path: '/a', body: z.object({ value: z.json() }) },
      { method: 'put', path: '/b', body: z.object({ value: z.json() }) },
    ]) as Document;
    const refs = ['/a', '/b'].map((path) => (document.paths[path]!.put!.requestBody!.content['application/json']!.schema.properties as Record<string, { $ref: string }>).value!.$ref);
    expect(new Set(refs).size).toBe(2);
  });
});
