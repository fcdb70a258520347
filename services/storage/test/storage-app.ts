// The storage service on the local Spin runtime with its database migrated and object storage
// (embedded s3rver, or MINIO_ENDPOINT), and the steps its tests share. Embedded PGlite and Redis
// unless DB_CONNECTION / REDIS_ADDRESS name real servers.
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { StoredFile } from '@authorworks/domain';
import { signS3Request } from '@authorworks/kit';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { expectJson, fetchAs, signIn, startService, type TestUser } from '@authorworks/spin-local/testing';

export { expectError, expectJson } from '@authorworks/spin-local/testing';
export type User = TestUser;

export const AUTH_SECRET = 'storage-tests-secret-0123456789abcdef-xyz';
export const DB_ADDRESS = 'postgres://postgres@127.0.0.1:5432/authorworks_storage';
export const MANIFEST = fileURLToPath(new URL('../spin.toml', import.meta.url));
export const BUCKET = 'authorworks';

/** Sweeps may run every second in tests (the Redis lock of a 30 s interval would outlive a test file). */
const TEST_VARIABLES = { storage_sweep_every_seconds: '1' };

export function startStorageApp(variables: Record<string, string> = {}): Promise<TestApp> {
  return startService({ manifest: MANIFEST, authSecret: AUTH_SECRET, variables: { ...TEST_VARIABLES, ...variables } });
}

/** The app with its object storage at `endpoint` (a test's own server or proxy), s3rver's keys. */
export function startStorageAppAt(endpoint: string, variables: Record<string, string> = {}): Promise<TestApp> {
  const env: Record<string, string> = { SPIN_VARIABLE_AUTH_SECRET: AUTH_SECRET, SPIN_VARIABLE_LOG_LEVEL: 'warn', MINIO_ENDPOINT: endpoint, MINIO_ACCESS_KEY: 'S3RVER', MINIO_SECRET_KEY: 'S3RVER' };
  for (const [name, value] of Object.entries({ ...TEST_VARIABLES, ...variables })) env[`SPIN_VARIABLE_${name.toUpperCase()}`] = value;
  return startApp({ manifest: MANIFEST, env, migrate: true });
}

export const newUser = (): User => signIn(AUTH_SECRET);

export const storage = (app: TestApp) => fetchAs(app, '/v1/storage');

/** Sends `bytes` as a raw upload body (`POST /files?filename=…` unless `path` says otherwise). */
export function sendBytes(app: TestApp, as: User | null, bytes: Uint8Array<ArrayBuffer> | string, options: { path?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const body = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return app.fetch(`/v1/storage${options.path ?? '/files?filename=file.bin'}`, {
    method: 'POST',
    headers: { ...as?.headers, 'content-type': 'application/octet-stream', ...options.headers },
    body,
  });
}

/** Uploads and returns the record. */
export async function upload(app: TestApp, as: User, bytes: Uint8Array<ArrayBuffer> | string, filename = 'file.bin', headers: Record<string, string> = {}) {
  return expectJson(sendBytes(app, as, bytes, { path: `/files?filename=${encodeURIComponent(filename)}`, headers }), 201, StoredFile);
}

/**
 * The keys of the S3 server the app uses: MINIO_*'s for the server MINIO_ENDPOINT names; s3rver's
 * for the embedded one and for a test's own s3rver (behind its proxy, reached as a "real" endpoint).
 */
export function objectCredentials(app: TestApp): { endpoint: string; accessKeyId: string; secretAccessKey: string } {
  const endpoint = app.app.objectStorage!.endpoint;
  const configured = process.env.MINIO_ENDPOINT?.replace(/\/+$/, '');
  if (app.app.objectStorage!.kind === 'real' && endpoint === configured) {
    return { endpoint, accessKeyId: process.env.MINIO_ACCESS_KEY!, secretAccessKey: process.env.MINIO_SECRET_KEY! };
  }
  return { endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
}

/** Every key in the bucket, read straight from the S3 server the app uses. */
export async function objectKeys(app: TestApp): Promise<string[]> {
  const { endpoint, accessKeyId, secretAccessKey } = objectCredentials(app);
  const signed = await signS3Request({
    method: 'GET',
    url: `${endpoint}/${BUCKET}?list-type=2&max-keys=1000`,
    accessKeyId,
    secretAccessKey,
    region: 'us-east-1',
    time: Date.now(),
  });
  const response = await fetch(signed.url, { headers: signed.headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`listing the bucket: ${response.status} ${text}`);
  return [...text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]!);
}

/** One statement on the service's database, on a connection closed after it (an open one keeps a real server's test app from closing). */
export async function dbQuery(app: TestApp, text: string, params: unknown[] = []) {
  const db = await app.sql(DB_ADDRESS);
  try {
    return await db.query(text, params as never);
  } finally {
    await db.close();
  }
}

/** The service's own records, for checks a client cannot make (quota against a recount). */
export async function ledger(app: TestApp, ownerId: string) {
  const q = await dbQuery(app, 'SELECT used_bytes::text AS used FROM quotas WHERE owner_id = $1::uuid', [ownerId]);
  const recount = await dbQuery(
    app,
    `SELECT COALESCE(sum(v.size), 0)::text AS bytes, count(*)::int AS versions FROM file_versions v JOIN files f ON f.id = v.file_id
      WHERE v.owner_id = $1::uuid AND f.status <> 'deleted'`,
    [ownerId],
  );
  const files = await dbQuery(app, 'SELECT count(*)::int AS n FROM files WHERE owner_id = $1::uuid', [ownerId]);
  return {
    usedBytes: Number(q.rows[0]?.used ?? 0),
    recountBytes: Number(recount.rows[0]!.bytes),
    versions: Number(recount.rows[0]!.versions),
    files: Number(files.rows[0]!.n),
  };
}

export const sha256Hex = async (bytes: Uint8Array<ArrayBuffer>) => Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');

/** `length` bytes of a repeating pattern that no sniffer mistakes for a format. */
export function patternBytes(length: number, seed = 7): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

export { StoredFile };

/**
 * One HTTP/1.1 exchange over a bare socket, for what fetch will not send: a Content-Length the
 * body does not match, a body that breaks off. Resolves with the status (0 if the server closed
 * without answering) once the server answers or closes, or after `waitMs`.
 */
export function rawExchange(app: TestApp, head: string, body: Uint8Array<ArrayBuffer> = new Uint8Array(0), options: { cut?: boolean; waitMs?: number } = {}): Promise<{ status: number; text: string }> {
  const url = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0), text: received });
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (/\r\n\r\n/.test(received)) setTimeout(finish, 50);
    });
    socket.on('close', finish);
    socket.on('error', (error) => (settled ? undefined : received ? finish() : reject(error)));
    socket.write(head.replace(/\n/g, '\r\n') + '\r\n');
    if (body.length > 0) socket.write(body);
    if (options.cut) setTimeout(() => socket.end(), 100);
    setTimeout(finish, options.waitMs ?? 10_000);
  });
}
