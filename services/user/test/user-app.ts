// Starts the compiled user-api component on the local Spin runtime, migrated, for component tests,
// and the user-specific steps they share.
import { fileURLToPath } from 'node:url';
import { TokenResponse } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, fetchAs, startService } from '@authorworks/spin-local/testing';
import { signAccessToken } from '@authorworks/kit';
import Redis from 'ioredis';

export { expectError, expectJson } from '@authorworks/spin-local/testing';

export const AUTH_SECRET = 'user-service-test-secret-0123456789abcdef';
export const PROXY_SECRET = 'proxy-secret-for-tests-0123456789';
export const DB = process.env.SPIN_VARIABLE_USER_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_users';

export function startUserApp(variables: Record<string, string> = {}, manifest = fileURLToPath(new URL('../spin.toml', import.meta.url))): Promise<TestApp> {
  return startService({ manifest, authSecret: AUTH_SECRET, variables, verbose: process.env.USER_TEST_VERBOSE === '1' });
}

/**
 * Empties the database and Redis between tests. The harness leaves a real Redis alone (other test
 * files may share it), so the login-throttling counters this service keeps there are removed here.
 */
export async function resetState(app: TestApp): Promise<void> {
  await app.reset();
  const address = process.env.REDIS_ADDRESS;
  if (!address) return;
  const redis = new Redis(address);
  try {
    const keys = await redis.keys('login-failures:*');
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

/** `call(path, { method, token, body })` against /v1/users; a body makes it a POST unless `method` says otherwise. */
export function caller(app: TestApp) {
  const send = fetchAs(app, '/v1/users');
  return (path: string, options: { method?: string; token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}) => {
    const { method, token, ...rest } = options;
    const hasBody = options.rawBody !== undefined || options.body !== undefined;
    return send(method ?? (hasBody ? 'POST' : 'GET'), path, { ...rest, as: token ?? null });
  };
}

let counter = 0;
/** A fresh, valid registration body. */
export function newAccount(overrides: Partial<{ email: string; username: string; password: string; displayName: string }> = {}) {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  return { email: `writer${tag}@example.com`, username: `writer_${tag}`, password: 'correct horse battery', displayName: `Writer ${counter}`, ...overrides };
}

export async function register(call: ReturnType<typeof caller>, body = newAccount()) {
  return { body, tokens: await expectJson(call('/register', { body }), 201, TokenResponse) };
}

/** Makes a registered user an admin in the database and returns an access token carrying the role. */
export async function promoteToAdmin(app: TestApp, userId: string): Promise<string> {
  const db = await app.sql(DB);
  try {
    await db.query("UPDATE users SET roles = ARRAY['user','admin'] WHERE id = $1::uuid", [userId]);
  } finally {
    await db.close();
  }
  return signAccessToken({ sub: userId, roles: ['user', 'admin'] }, { secret: AUTH_SECRET });
}
