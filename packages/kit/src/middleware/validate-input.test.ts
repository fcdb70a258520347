import { ErrorEnvelope } from '@authorworks/domain';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RouteInput } from '../context.ts';
import { inMemoryRouteInput } from '../in-memory-host.ts';
import { json } from '../responses.ts';
import { compose } from './pipeline.ts';
import { validateInput, type InputSchemas } from './validate-input.ts';

const schemas: InputSchemas = {
  params: z.object({ id: z.string().regex(/^[a-z ]+$/) }),
  query: z.object({ limit: z.coerce.number().int().max(10).default(5), tag: z.array(z.string()).optional() }),
  body: z.object({ name: z.string().min(1) }),
};

async function call(path: string, pathParams: Record<string, string>, init: RequestInit = {}, maxBodyBytes = 100) {
  const input = inMemoryRouteInput(new Request(`http://x${path}`, init), { variables: { log_level: 'error' }, pathParams });
  const response = await compose([validateInput(schemas, maxBodyBytes)], async (ctx: RouteInput) =>
    json({ params: ctx.params, query: ctx.query, body: ctx.body }),
  )(input);
  const body: unknown = await response.json();
  return { status: response.status, body, error: response.ok ? null : ErrorEnvelope.parse(body).error };
}

const jsonPost = (body: string, type = 'application/json'): RequestInit => ({ method: 'POST', body, headers: { 'content-type': type } });

describe('validateInput', () => {
  it('hands the handler parsed params (percent-decoded), query (repeated keys as arrays) and body', async () => {
    const result = await call('/things/a%20b?tag=x&tag=y', { id: 'a%20b' }, jsonPost('{"name":"n"}'));
    expect(result).toMatchObject({ status: 200, body: { params: { id: 'a b' }, query: { limit: 5, tag: ['x', 'y'] }, body: { name: 'n' } } });
  });

  it('names the bad field with its part: params, then query, then body', async () => {
    expect((await call('/things/X', { id: 'X' }, jsonPost('{}'))).error?.details.map((d) => d.path)).toEqual(['params.id']);
    expect((await call('/things/a?limit=99', { id: 'a' }, jsonPost('{}'))).error?.details.map((d) => d.path)).toEqual(['query.limit']);
    expect((await call('/things/a', { id: 'a' }, jsonPost('{"name":""}'))).error).toMatchObject({ code: 'validation_failed', details: [{ path: 'body.name' }] });
    expect((await call('/things/%E0%A4%A', { id: '%E0%A4%A' })).error?.details.map((d) => d.path)).toEqual(['params.id']);
  });

  it('refuses a body that is not JSON (415), too large (413) or malformed (400)', async () => {
    expect((await call('/things/a', { id: 'a' }, jsonPost('name=x', 'text/plain'))).status).toBe(415);
    expect((await call('/things/a', { id: 'a' }, jsonPost(JSON.stringify({ name: 'x'.repeat(200) })))).status).toBe(413);
    expect((await call('/things/a', { id: 'a' }, jsonPost('{"name":'))).error?.code).toBe('malformed_json');
  });
});
