import { Id, ErrorEnvelope } from '@authorworks/domain';
import { verifyAccessToken } from '@authorworks/kit';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { TestApp } from './harness.ts';
import { MemoryLogger } from './logger.ts';
import { expectError, expectJson, serviceCaller, signIn } from './testing.ts';

const secret = 'testing-support-secret-0123456789abcdef';

/** A TestApp whose `fetch` records each request and answers with `answer`. */
function recordingApp(answer: (request: Request) => Response) {
  const seen: Request[] = [];
  const logs = new MemoryLogger(false);
  const app = {
    logs,
    fetch: async (path: string, init?: RequestInit) => {
      const request = new Request(new URL(path, 'http://127.0.0.1:3000'), init);
      seen.push(request.clone());
      return answer(request);
    },
  } as unknown as TestApp;
  return { app, seen, logs };
}

const envelope = (status: number, code: string) => Response.json({ error: { code, message: `it is ${code}`, details: [] } }, { status });

describe('testing support', () => {
  it('signs in a user the services accept', async () => {
    const admin = signIn(secret, ['user', 'admin']);
    expect(Id.safeParse(admin.id).success).toBe(true);
    expect(await verifyAccessToken(admin.token, { secret })).toMatchObject({ sub: admin.id, roles: ['user', 'admin'] });
    expect(admin.headers).toEqual({ authorization: `Bearer ${admin.token}` });
  });

  it('calls under the base with the user’s headers and a JSON body, and reads the answer', async () => {
    const { app, seen } = recordingApp(() => Response.json({ ok: true }, { status: 201 }));
    const user = signIn(secret);
    const reply = await serviceCaller(app, '/v1/demo')('POST', '/things', { as: user, body: { name: 'x' } });
    expect(reply).toMatchObject({ status: 201, body: { ok: true } });
    expect(seen[0]!.url).toBe('http://127.0.0.1:3000/v1/demo/things');
    expect(seen[0]!.headers.get('authorization')).toBe(`Bearer ${user.token}`);
    expect(seen[0]!.headers.get('content-type')).toBe('application/json');
    expect(await seen[0]!.text()).toBe('{"name":"x"}');
    // Anonymous, a raw body, and a user whose headers were forged are sent as they are.
    await serviceCaller(app, '/v1/demo')('PUT', '/things', { rawBody: '{"name":' });
    expect(seen[1]!.headers.get('authorization')).toBeNull();
    expect(await seen[1]!.text()).toBe('{"name":');
    await serviceCaller(app, '/v1/demo')('GET', '/me', { as: { ...user, headers: { authorization: 'Bearer forged' } } });
    expect(seen[2]!.headers.get('authorization')).toBe('Bearer forged');
  });

  it('attaches the runtime’s error lines to a 5xx reply', async () => {
    const { app, logs } = recordingApp(() => envelope(500, 'internal'));
    logs.error('database exploded');
    const reply = await serviceCaller(app, '/v1/demo')('GET', '/boom');
    expect(reply.serverErrors).toContain('database exploded');
    await expect(expectJson(reply, 200, z.object({}))).rejects.toThrow(/expected 200, got 500[\s\S]*database exploded/);
  });

  it('expectJson checks status and schema; expectError the envelope and its code, on replies or plain Responses', async () => {
    expect(await expectJson(Response.json({ n: 1 }), 200, z.object({ n: z.number() }))).toEqual({ n: 1 });
    await expect(expectJson(Response.json({ n: 'one' }), 200, z.object({ n: z.number() }))).rejects.toThrow(/does not match its schema/);
    const error = await expectError(envelope(409, 'taken'), 409, 'taken');
    expect(ErrorEnvelope.shape.error.parse(error).message).toBe('it is taken');
    await expect(expectError(envelope(409, 'taken'), 409, 'other')).rejects.toThrow(/expected error code other, got taken/);
    await expect(expectError(Response.json({ ok: true }, { status: 400 }), 400)).rejects.toThrow(/does not match its schema/);
  });
});
