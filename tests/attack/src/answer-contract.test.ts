import { describe, expect, it } from 'vitest';
import { AnswerContract, type ContractDocument } from './answer-contract.ts';

// The shape packages/kit/src/openapi.ts writes: answers by status, schemas in components, errors as the envelope.
const document: ContractDocument & { components: unknown } = {
  servers: [{ url: '/v1/demo' }],
  paths: {
    '/books/{id}': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/get_books_by_id_200' } } } },
          '404': { $ref: '#/components/responses/Error' },
          '5XX': { $ref: '#/components/responses/Error' },
        },
      },
      delete: { responses: { '204': {}, '403': { $ref: '#/components/responses/Error' } } },
    },
    '/stream': { get: { responses: { '200': { content: { 'text/event-stream': {} } } } } },
  },
  components: {
    schemas: {
      get_books_by_id_200: {
        type: 'object',
        properties: { id: { type: 'string', format: 'uuid' }, tags: { type: 'array', items: { type: 'string' } } },
        required: ['id', 'tags'],
        additionalProperties: false,
      },
    },
  },
};

const ID = '6f1c1a52-6a53-4c7e-9d43-1f1e7d1e2a10';
const json = (status: number, body: unknown, method = 'GET') => ({ method, status, contentType: 'application/json', body });

describe('AnswerContract', () => {
  const contract = new AnswerContract();
  contract.add(document);

  it('accepts a documented status with a body that matches its schema', () => {
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', json(200, { id: ID, tags: [] }))).toBeNull();
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', json(404, { error: { code: 'not_found', message: 'x', details: [] } }))).toBeNull();
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', json(503, { error: { code: 'x', message: 'x', details: [] } }))).toBeNull();
  });

  it('names a status the operation does not document', () => {
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', json(409, {}))).toMatch(/409 is not documented/);
    expect(contract.violation('/v1/demo', 'DELETE', '/books/{id}', json(200, {}, 'DELETE'))).toMatch(/200 is not documented/);
  });

  it('names a 2xx body off its schema: a missing field, a wrong format, an undeclared field', () => {
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', json(200, { id: ID }))).toMatch(/required/);
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', json(200, { id: 'nope', tags: [] }))).toMatch(/format/);
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', json(200, { id: ID, tags: [], extra: 1 }))).toMatch(/additional/);
  });

  it('checks a bodiless answer is empty, a non-JSON one by its media type, and HEAD by its status only', () => {
    expect(contract.violation('/v1/demo', 'DELETE', '/books/{id}', { method: 'DELETE', status: 204, contentType: null, body: null })).toBeNull();
    expect(contract.violation('/v1/demo', 'DELETE', '/books/{id}', json(204, { ok: true }, 'DELETE'))).toMatch(/no body/);
    expect(contract.violation('/v1/demo', 'GET', '/stream', { method: 'GET', status: 200, contentType: 'text/event-stream; charset=utf-8', body: 'retry: 1000\n\n' })).toBeNull();
    expect(contract.violation('/v1/demo', 'GET', '/stream', json(200, {}))).toMatch(/text\/event-stream/);
    expect(contract.violation('/v1/demo', 'GET', '/books/{id}', { method: 'HEAD', status: 200, contentType: 'application/json', body: null })).toBeNull();
  });
});
