import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createApiWithHost, defineRoute } from './api.ts';
import type { Host } from './host.ts';
import { signAccessToken, verifyAccessToken } from './jwt.ts';
import { profileClock } from './request-profile.ts';
import { json } from './responses.ts';
import { warmUpSnapshot } from './snapshot-warm-up.ts';

afterEach(() => vi.restoreAllMocks());

/** The component's own host: at build time there is none, so the warm-up must not touch it. */
function absentHost(): Host & { touched: string[] } {
  const touched: string[] = [];
  return {
    touched,
    variables: { get: (name) => void touched.push(`variable ${name}`) as undefined },
    openRedis: () => {
      touched.push('redis');
      throw new Error('no Redis at build time');
    },
    openPostgres: () => {
      touched.push('postgres');
      throw new Error('no Postgres at build time');
    },
  };
}

describe('snapshot warm-up', () => {
  it("runs a request and a signed-in route's steps on its own host, with no clock, randomness or handler", async () => {
    const host = absentHost();
    let handled = 0;
    const api = createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1' }, host).get(
      '/things/:id',
      defineRoute({ auth: 'required', responses: { 200: z.object({}) } }, async () => {
        handled++;
        return json({});
      }),
    );
    const clock = vi.spyOn(performance, 'now');
    const random = vi.spyOn(crypto, 'getRandomValues');
    const verify = vi.spyOn(crypto.subtle, 'verify');
    const output = vi.spyOn(console, 'error');
    await warmUpSnapshot(api);
    expect(clock).not.toHaveBeenCalled();
    expect(random).not.toHaveBeenCalled();
    expect(host.touched).toEqual([]);
    expect(handled).toBe(0);
    expect(output).not.toHaveBeenCalled(); // nothing failed, nothing was logged
    // The engine's crypto was set up, and the route's token step verified the build's own token.
    expect(await Promise.all(verify.mock.results.map((result) => result.value as Promise<boolean>))).toEqual([false, true]);
  });

  it('leaves no key behind: the real secret is read, and its key imported, per request', async () => {
    await warmUpSnapshot(createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1' }, absentHost()));
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    const secret = 'snapshot-warm-up-secret-not-the-real-one';
    const token = signAccessToken({ sub: '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10', roles: ['user'] }, { secret });
    await verifyAccessToken(token, { secret });
    expect(importKey).toHaveBeenCalledTimes(1);
  });

  it("runs the service's own warm-up, inside the stopped clock and with no host", async () => {
    const host = absentHost();
    const clockReadings: number[] = [];
    const api = createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1', warmUp: async () => void clockReadings.push(profileClock()) }, host);
    const output = vi.spyOn(console, 'error');
    await warmUpSnapshot(api);
    expect(clockReadings).toEqual([0]);
    expect(host.touched).toEqual([]);
    expect(output).not.toHaveBeenCalled();
  });

  it('warms a worker (no API) without failing', async () => {
    const output = vi.spyOn(console, 'error');
    await warmUpSnapshot();
    expect(output).not.toHaveBeenCalled();
  });
});
