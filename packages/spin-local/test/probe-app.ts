/** Shared set-up for the integration tests: the fixture app and helpers to drive its probe component. */
import { fileURLToPath } from 'node:url';
import { type TestApp, type TestAppOptions, startApp } from '../src/harness.ts';

export const fixtureManifest = fileURLToPath(new URL('./fixtures/spin.toml', import.meta.url));
export const fixtureRuntimeConfig = fileURLToPath(new URL('./fixtures/runtime-config.toml', import.meta.url));

/** Real servers when the environment names them, as in CI; the embedded ones otherwise. */
export const redisAddress = process.env.REDIS_ADDRESS || 'redis://127.0.0.1:6379';
export const dbAddress = 'postgres://postgres@127.0.0.1:5432/spin_local_test';

export function startFixtureApp(options: Partial<TestAppOptions> = {}): Promise<TestApp> {
  return startApp({
    manifest: fixtureManifest,
    runtimeConfigFile: fixtureRuntimeConfig,
    ...options,
    env: { SPIN_VARIABLE_API_KEY: 'test-key', SPIN_VARIABLE_REDIS_ADDRESS: redisAddress, ...options.env },
  });
}

/** Revives the probe's JSON encoding: "12n" → 12n, { bytes: [...] } → Uint8Array. */
function revive(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && /^-?\d+n$/.test(value)) return BigInt(value.slice(0, -1));
  if (value && typeof value === 'object' && Array.isArray((value as { bytes?: unknown }).bytes)) return new Uint8Array((value as { bytes: number[] }).bytes);
  return value;
}

/** Encodes host values the way the probe's `fromJson` expects them. */
function encode(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array) return { bytes: Array.from(v) };
    return v;
  });
}

export async function callProbe<T = Record<string, unknown>>(app: TestApp, action: string, body?: unknown, route = '/probe'): Promise<T> {
  const response = await app.fetch(`${route}/${action}`, body === undefined ? {} : { method: 'POST', body: encode(body), headers: { 'content-type': 'application/json' } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`probe ${action} answered ${response.status}: ${text}`);
  return JSON.parse(text, revive) as T;
}

export type Attempt<T = unknown> = { ok?: T; err?: unknown };
