// Starts the compiled user-api component on the local Spin runtime for component tests.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorEnvelope, TokenResponse } from '@authorworks/domain';
import { loadMigrations, runMigrations } from '@authorworks/kit/migrations';
import { startApp, type TestApp } from '@authorworks/spin-local';
import Redis from 'ioredis';
import { expect } from 'vitest';

export const AUTH_SECRET = 'user-service-test-secret-0123456789abcdef';
export const PROXY_SECRET = 'proxy-secret-for-tests-0123456789';
export const DB = process.env.SPIN_VARIABLE_USER_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_users';

const migrationsDir = new URL('../migrations/', import.meta.url);

export async function startUserApp(variables: Record<string, string> = {}, manifest = fileURLToPath(new URL('../spin.toml', import.meta.url))): Promise<TestApp> {
  const env: Record<string, string> = { SPIN_VARIABLE_AUTH_SECRET: AUTH_SECRET, SPIN_VARIABLE_LOG_LEVEL: 'warn' };
  for (const [name, value] of Object.entries(variables)) env[`SPIN_VARIABLE_${name.toUpperCase()}`] = value;
  const app = await startApp({ manifest, env, verbose: process.env.USER_TEST_VERBOSE === '1' });
  const files = readdirSync(migrationsDir).map((fileName) => ({ fileName, sql: readFileSync(new URL(fileName, migrationsDir), 'utf8') }));
  const db = await app.sql(DB);
  try {
    await runMigrations(db, loadMigrations(files));
  } finally {
    await db.close();
  }
  return app;
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

export interface CallOptions {
  method?: string;
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export function caller(app: TestApp) {
  return (path: string, options: CallOptions = {}): Promise<Response> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    return app.fetch(`/v1/users${path}`, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
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
  const response = await call('/register', { body });
  expect(response.status, await response.clone().text()).toBe(201);
  return { body, tokens: TokenResponse.parse(await response.json()) };
}

/** Asserts the status and the error envelope, returning the error. */
export async function expectError(response: Response, status: number, code?: string) {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const { error } = ErrorEnvelope.parse(JSON.parse(text));
  if (code !== undefined) expect(error.code).toBe(code);
  return error;
}
