/**
 * What a service's component tests need besides assertions: the service started on the local
 * runtime with its databases migrated, signed-in users, a caller that speaks the service's JSON,
 * and assertions on answers and on the error envelope.
 *
 *   const app = await startService({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), authSecret });
 *   const call = serviceCaller(app, '/v1/content');
 *   const author = signIn(authSecret);
 *   const book = await expectJson(call('POST', '/books', { as: author, body: { title: 'A' } }), 201, Book);
 *   await expectError(call('GET', `/books/${book.id}`), 404, 'not_found');
 */
import { randomUUID } from 'node:crypto';
import { ErrorEnvelope, type Role } from '@authorworks/domain';
import { signAccessToken } from '@authorworks/kit';
import type { z } from 'zod';
import { startApp, type TestApp, type TestAppOptions } from './harness.ts';

export interface ServiceTestOptions extends Omit<TestAppOptions, 'env' | 'migrate'> {
  /** The `auth_secret` the service verifies tokens with; `signIn` must be given the same. */
  authSecret: string;
  /** Spin variables by name (`login_window_seconds: '8'`), on top of `auth_secret` and `log_level: warn`. */
  variables?: Record<string, string>;
}

/** Starts the app of `manifest` with its databases migrated and the variables set. */
export function startService(options: ServiceTestOptions): Promise<TestApp> {
  const { authSecret, variables = {}, ...rest } = options;
  const env: Record<string, string> = { SPIN_VARIABLE_AUTH_SECRET: authSecret, SPIN_VARIABLE_LOG_LEVEL: 'warn' };
  for (const [name, value] of Object.entries(variables)) env[`SPIN_VARIABLE_${name.toUpperCase()}`] = value;
  return startApp({ ...rest, env, migrate: true });
}

/** A user as the services see one: an id and a valid access token for it. */
export interface TestUser {
  id: string;
  roles: Role[];
  token: string;
  /** `{ authorization: 'Bearer …' }` */
  headers: Record<string, string>;
}

/** A new user (a fresh id unless given) signed in with `roles`. */
export function signIn(authSecret: string, roles: Role[] = ['user'], id: string = randomUUID()): TestUser {
  const token = signAccessToken({ sub: id, roles }, { secret: authSecret });
  return { id, roles, token, headers: { authorization: `Bearer ${token}` } };
}

export interface CallOptions {
  /** Who calls: a user, a bare access token, or nobody (the default). */
  as?: TestUser | string | null;
  /** Sent as JSON (with `content-type: application/json` unless `headers` sets one). */
  body?: unknown;
  /** Sent as it is, e.g. malformed JSON. */
  rawBody?: string;
  headers?: Record<string, string>;
}

/** `fetch` against the service under `base`, signed in as `options.as`. */
export function fetchAs(app: TestApp, base: string) {
  return (method: string, path: string, options: CallOptions = {}): Promise<Response> => {
    // A user's own `headers` are sent as they are, so a test can forge or drop its token.
    const headers: Record<string, string> = typeof options.as === 'string' ? { authorization: `Bearer ${options.as}` } : { ...options.as?.headers };
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] = 'application/json';
    return app.fetch(`${base}${path}`, { method, headers: { ...headers, ...options.headers }, ...(body !== undefined ? { body } : {}) });
  };
}

/** An answer read whole: its JSON body parsed (the text when it is not JSON). */
export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  /** For a 5xx: the runtime's latest error lines, so a failing assertion says why. */
  serverErrors?: string;
}

async function readReply(response: Response, app?: TestApp): Promise<Reply> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  const serverErrors = app && response.status >= 500 ? app.logs.text('error').slice(-3000) : undefined;
  return { status: response.status, body, headers: response.headers, ...(serverErrors ? { serverErrors } : {}) };
}

/** A caller of the service under `base` whose answers come back read (`Reply`). */
export function serviceCaller(app: TestApp, base: string) {
  const send = fetchAs(app, base);
  return async (method: string, path: string, options: CallOptions = {}): Promise<Reply> => readReply(await send(method, path, options), app);
}

type Answer = Reply | Response | Promise<Reply | Response>;

async function replyOf(answer: Answer): Promise<Reply> {
  const settled = await answer;
  return settled instanceof Response ? readReply(settled) : settled;
}

/** Asserts the status and parses the body with the schema it must match. */
export async function expectJson<Schema extends z.ZodType>(answer: Answer, status: number, schema: Schema): Promise<z.output<Schema>> {
  const reply = await replyOf(answer);
  if (reply.status !== status) {
    throw new Error(`expected ${status}, got ${reply.status}: ${JSON.stringify(reply.body)}${reply.serverErrors ? `\n${reply.serverErrors}` : ''}`);
  }
  const parsed = schema.safeParse(reply.body);
  if (!parsed.success) throw new Error(`body does not match its schema: ${parsed.error.message}\n${JSON.stringify(reply.body)}`);
  return parsed.data;
}

/** Asserts an error answer: its status, the error envelope, and (when given) its code. Returns the error. */
export async function expectError(answer: Answer, status: number, code?: string): Promise<ErrorEnvelope['error']> {
  const { error } = await expectJson(answer, status, ErrorEnvelope);
  if (code !== undefined && error.code !== code) throw new Error(`expected error code ${code}, got ${error.code}: ${error.message}`);
  return error;
}
