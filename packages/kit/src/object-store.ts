// An S3 client for MinIO (path-style URLs, one bucket), signed with aws4fetch's SigV4 signer over
// the engine's crypto.subtle (Decision 6). Payloads are never hashed: requests are signed with
// UNSIGNED-PAYLOAD, so a body streams from its source to the server without being held whole.
import { AwsV4Signer } from 'aws4fetch';
import type { Config } from './config.ts';
import { HttpError, notFound } from './errors.ts';

export interface ObjectStoreOptions {
  /** Where the component reaches S3, e.g. `http://minio:9000`. */
  endpoint: string;
  /** Where clients reach it (presigned URLs name this host); default `endpoint`. */
  publicEndpoint?: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** MinIO's default region; it only enters the signature. */
  region?: string;
  now?: () => number;
}

export interface ObjectInfo {
  key: string;
  /** Bytes in this answer: the object's size, or the part's for a range. */
  size: number;
  etag: string;
  contentType: string | null;
  lastModified: string | null;
}

export interface StoredObject extends ObjectInfo {
  /** 200, or 206 for a range. */
  status: 200 | 206;
  /** `bytes a-b/total` for a range. */
  contentRange: string | null;
  /** The object's bytes as they arrive: pipe it (`new Response(object.body)`), do not collect it. */
  body: ReadableStream<Uint8Array>;
}

export type ObjectBody = ReadableStream<Uint8Array> | Uint8Array<ArrayBuffer> | string;

export interface PutOptions {
  /** Required for a stream: S3 and MinIO refuse an upload without Content-Length. */
  contentLength?: number;
  contentType?: string;
}

export interface PresignedResponseHeaders {
  contentType?: string;
  contentDisposition?: string;
}

export interface ObjectStore {
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<{ etag: string }>;
  /** The object, or 404 `not_found`; `range` is an HTTP Range value (`bytes=0-99`). */
  get(key: string, options?: { range?: string }): Promise<StoredObject>;
  /** The object's metadata, or null when there is none. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Deleting a missing key succeeds, as in S3. */
  delete(key: string): Promise<void>;
  /**
   * A URL anyone can GET until it expires (1 s to 7 days). `response` sets the Content-Type and
   * Content-Disposition S3 answers with (signed into the URL as `response-content-*`).
   */
  presignGet(key: string, options: { expiresInSeconds: number; response?: PresignedResponseHeaders }): Promise<string>;
  /** A URL anyone can PUT the object to until it expires (with any Content-Type: it is not signed). */
  presignPut(key: string, options: { expiresInSeconds: number }): Promise<string>;
}

/** The store the `minio_*` variables describe (mapped in the component's `[component.<id>.variables]`). */
export function objectStoreFromConfig(config: Config, now?: () => number): ObjectStore {
  return createObjectStore({
    endpoint: config.required('minio_endpoint'),
    publicEndpoint: config.optional('minio_public_endpoint', config.required('minio_endpoint')),
    bucket: config.required('minio_bucket'),
    accessKeyId: config.required('minio_access_key'),
    secretAccessKey: config.required('minio_secret_key'),
    ...(now ? { now } : {}),
  });
}

/** S3's limit for a presigned URL's lifetime. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** Derived signing keys by secret, day, region and service (aws4fetch's cache key): 4 HMACs fewer per request. */
const signingKeys = new Map<string, ArrayBuffer>();

/** SigV4 over aws4fetch: `UNSIGNED-PAYLOAD` for headers, a query signature for presigned URLs. */
export async function signS3Request(request: {
  method: string;
  url: string;
  headers?: Record<string, string>;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Milliseconds since the epoch. */
  time: number;
  signQuery?: boolean;
}): Promise<{ url: string; headers: Headers }> {
  const signer = new AwsV4Signer({
    method: request.method,
    url: request.url,
    headers: request.headers ?? {},
    accessKeyId: request.accessKeyId,
    secretAccessKey: request.secretAccessKey,
    service: 's3',
    region: request.region,
    datetime: new Date(request.time).toISOString().replace(/[:-]|\.\d{3}/g, ''),
    signQuery: request.signQuery ?? false,
    cache: signingKeys,
  });
  const signed = await signer.sign();
  return { url: signed.url.toString(), headers: signed.headers };
}

/** A key as a URL path, each segment encoded the way SigV4 canonicalises it. */
function keyPath(key: string): string {
  if (key === '' || key.length > 1024) throw new HttpError(400, 'invalid_object_key', 'An object key must be 1 to 1,024 characters');
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

export function createObjectStore(options: ObjectStoreOptions): ObjectStore {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const objectUrl = (base: string, key: string) => `${trimSlash(base)}/${encodeURIComponent(options.bucket)}/${keyPath(key)}`;
  const sign = (method: string, url: string, headers: Record<string, string>, signQuery = false) =>
    signS3Request({ method, url, headers, accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, region, time: now(), signQuery });

  async function send(method: string, key: string, headers: Record<string, string>, body?: ObjectBody): Promise<Response> {
    const signed = await sign(method, objectUrl(options.endpoint, key), headers);
    let response: Response;
    try {
      const init: RequestInit & { duplex?: 'half' } = { method, headers: signed.headers };
      if (body !== undefined) {
        init.body = body;
        if (body instanceof ReadableStream) init.duplex = 'half';
      }
      response = await fetch(signed.url, init);
    } catch (error) {
      throw new HttpError(503, 'storage_unavailable', 'Object storage is unreachable; try again later', { cause: error });
    }
    if (response.ok) return response;
    throw await storageError(response, method, key);
  }

  async function presign(method: 'GET' | 'PUT', key: string, expiresInSeconds: number, response: PresignedResponseHeaders = {}): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}`);
    }
    const url = new URL(objectUrl(options.publicEndpoint ?? options.endpoint, key));
    url.searchParams.set('X-Amz-Expires', String(expiresInSeconds));
    if (response.contentType) url.searchParams.set('response-content-type', response.contentType);
    if (response.contentDisposition) url.searchParams.set('response-content-disposition', response.contentDisposition);
    return (await sign(method, url.toString(), {}, true)).url;
  }

  return {
    async put(key, body, putOptions = {}) {
      const headers: Record<string, string> = {};
      if (putOptions.contentType) headers['content-type'] = putOptions.contentType;
      if (body instanceof ReadableStream) {
        if (putOptions.contentLength === undefined) throw new TypeError('put(key, stream) needs options.contentLength');
        headers['content-length'] = String(putOptions.contentLength);
      }
      const response = await send('PUT', key, headers, body);
      await response.body?.cancel();
      return { etag: response.headers.get('etag') ?? '' };
    },
    async get(key, getOptions = {}) {
      const response = await send('GET', key, getOptions.range ? { range: getOptions.range } : {});
      return {
        ...infoOf(key, response),
        status: response.status === 206 ? 206 : 200,
        contentRange: response.headers.get('content-range'),
        body: response.body ?? new ReadableStream({ start: (controller) => controller.close() }),
      };
    },
    async head(key) {
      try {
        return infoOf(key, await send('HEAD', key, {}));
      } catch (error) {
        if (error instanceof HttpError && error.status === 404) return null;
        throw error;
      }
    },
    async delete(key) {
      const response = await send('DELETE', key, {});
      await response.body?.cancel();
    },
    presignGet: (key, { expiresInSeconds, response }) => presign('GET', key, expiresInSeconds, response),
    presignPut: (key, { expiresInSeconds }) => presign('PUT', key, expiresInSeconds),
  };
}

function infoOf(key: string, response: Response): ObjectInfo {
  return {
    key,
    size: Number(response.headers.get('content-length') ?? 0),
    etag: response.headers.get('etag') ?? '',
    contentType: response.headers.get('content-type'),
    lastModified: response.headers.get('last-modified'),
  };
}

/** S3's `<Error><Code>…</Code>` of a failed answer (HEAD answers have none). */
async function errorCodeOf(response: Response): Promise<string | null> {
  const text = response.status === 404 && response.headers.get('content-length') === '0' ? '' : await response.text().catch(() => '');
  return /<Code>([^<]{1,64})<\/Code>/.exec(text)?.[1] ?? null;
}

/**
 * S3's answer as the kit's error envelope. What the client caused (a missing object, a bad range,
 * a failed precondition) keeps its meaning; what only the operator can fix (credentials, bucket)
 * is a 500 whose cause — the S3 code, never a credential — is logged.
 */
async function storageError(response: Response, method: string, key: string): Promise<HttpError> {
  const code = await errorCodeOf(response);
  const cause = new Error(`S3 ${method} ${key}: ${response.status} ${code ?? '(no code)'}`);
  if (response.status === 404 && code !== 'NoSuchBucket') return notFound('No such object');
  if (response.status === 416) return new HttpError(416, 'range_not_satisfiable', 'The requested range is outside the object');
  if (response.status === 412) return new HttpError(412, 'precondition_failed', 'The object changed');
  if (code === 'EntityTooLarge') return new HttpError(413, 'payload_too_large', 'The object is too large');
  if (response.status === 503 || code === 'SlowDown' || response.status === 500) {
    return new HttpError(503, 'storage_unavailable', 'Object storage is busy; try again later', { headers: { 'retry-after': '1' }, cause });
  }
  return new HttpError(500, 'storage_error', `Object storage refused the request (${code ?? response.status})`, { cause });
}
