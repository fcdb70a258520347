import { describe, expect, it } from 'vitest';
import { headAsGet } from './head-as-get.ts';

const seen: string[] = [];
const app = headAsGet(async (request) => {
  seen.push(request.method);
  if (request.method === 'POST') return new Response('{"posted":true}', { status: 201 });
  return new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' } });
});

describe('headAsGet', () => {
  it("answers HEAD with the GET's status and headers and no body", async () => {
    seen.length = 0;
    const response = await app(new Request('http://x/v1/demo/things', { method: 'HEAD', headers: { authorization: 'Bearer t' } }));
    expect(seen).toEqual(['GET']);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toBe('r-1');
    expect(response.body).toBeNull();
  });

  it('passes every other method through unchanged, body included', async () => {
    seen.length = 0;
    const response = await app(new Request('http://x/v1/demo/things', { method: 'POST', body: '{}' }));
    expect(seen).toEqual(['POST']);
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('{"posted":true}');
  });
});
