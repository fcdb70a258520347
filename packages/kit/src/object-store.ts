// An S3 client for MinIO (path-style URLs, one bucket), signed with aws4fetch's SigV4 signer over
// the engine's crypto.subtle (Decision 6). Payloads are never hashed: requests are signed with
// UNSIGNED-PAYLOAD, so a body streams from its source to the server without being held whole.
import { AwsV4Signer } from 'aws4fetch';
import type { Config } from './config.ts';
import { forwardable } from './body.ts';
import { HttpError, notFound, unprocessable } from './errors.ts';

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

/** One part of a multipart upload as S3 lists it. */
export interface UploadedPart {
  partNumber: number;
  /** As S3 gives it, quotes included (`"…"`): CompleteMultipartUpload wants it back as is. */
  etag: string;
  size: number;
}

/** S3's bounds for multipart uploads: part numbers 1–10,000; every part but the last at least 5 MiB. */
export const MULTIPART_MAX_PARTS = 10_000;
export const MULTIPART_MIN_PART_BYTES = 5 * 1024 * 1024;

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

  // Multipart uploads (S3's CreateMultipartUpload … CompleteMultipartUpload): a large object in
  // parts of at least 5 MiB (the last may be smaller), each PUT on its own, then joined.
  /** Starts a multipart upload of `key`; the id names it in every later call. */
  createMultipartUpload(key: string, options?: { contentType?: string }): Promise<{ uploadId: string }>;
  /** A URL anyone can PUT part `partNumber` (1–10,000) to until it expires; S3 answers with the part's ETag. */
  presignUploadPart(key: string, uploadId: string, partNumber: number, options: { expiresInSeconds: number }): Promise<string>;
  /** PUTs one part (a stream needs `contentLength`); 404 `upload_not_found` when the upload is gone. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: ObjectBody, options?: { contentLength?: number }): Promise<{ etag: string }>;
  /**
   * The parts uploaded so far, ascending (every page of S3's ListParts), or null when there is no
   * such upload (never started, aborted or completed).
   */
  listParts(key: string, uploadId: string): Promise<UploadedPart[] | null>;
  /**
   * Joins the parts (ascending, with the ETags S3 gave) into the object. 404 `upload_not_found`;
   * 422 `invalid_part` (a part not uploaded or another ETag), `invalid_part_order`, `part_too_small`.
   */
  completeMultipartUpload(key: string, uploadId: string, parts: readonly { partNumber: number; etag: string }[]): Promise<{ etag: string }>;
  /** Removes the upload and its parts; false when there was no such upload (aborting twice succeeds). */
  abortMultipartUpload(key: string, uploadId: string): Promise<boolean>;
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

/** Bodies above this go out as a stream of views of this size, not one buffer. */
const BODY_PIECE_BYTES = 1024 * 1024;

/**
 * A buffer as a stream of views into it (nothing copied). Given one buffer, the engine copies the
 * whole body before sending it (an 8 MiB part through the storage service: guest memory peak 44
 * MiB, as pieces 29 MiB), and the old compiler wrote bodies over 1 MiB wrongly (Decision 6).
 */
function piecesOf(bytes: Uint8Array<ArrayBuffer>): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      controller.enqueue(bytes.subarray(offset, offset + BODY_PIECE_BYTES));
      offset += BODY_PIECE_BYTES;
      if (offset >= bytes.length) controller.close();
    },
  });
}

/** A query string of S3 sub-resource parameters (`uploads` alone has no value, as S3 writes it). */
function queryOf(query: Record<string, string | number>): string {
  const pairs = Object.entries(query).map(([name, value]) => (value === '' ? name : `${name}=${encodeURIComponent(String(value))}`));
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MULTIPART_MAX_PARTS) {
    throw new RangeError(`partNumber must be an integer from 1 to ${MULTIPART_MAX_PARTS}`);
  }
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Text of an XML element's content: the five named entities and numeric references decoded. */
function xmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (entity, name: string) => {
    if (name[0] === '#') return String.fromCodePoint(name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1)));
    return XML_ENTITIES[name.toLowerCase()] ?? entity;
  });
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The first `<name>…</name>` in `xml` (decoded), or null. S3's answers are flat enough for this. */
function xmlField(xml: string, name: string): string | null {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match ? xmlText(match[1]!) : null;
}

/** One page of a ListParts answer. */
export function parseListParts(xml: string): { parts: UploadedPart[]; nextMarker: number | null } {
  const parts: UploadedPart[] = [];
  for (const [, block] of xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)) {
    const partNumber = Number(xmlField(block!, 'PartNumber'));
    const size = Number(xmlField(block!, 'Size'));
    const etag = xmlField(block!, 'ETag');
    if (!Number.isInteger(partNumber) || !Number.isInteger(size) || etag === null) throw new Error('S3 ListParts: a part without PartNumber, Size or ETag');
    parts.push({ partNumber, etag, size });
  }
  const truncated = xmlField(xml, 'IsTruncated') === 'true';
  const next = Number(xmlField(xml, 'NextPartNumberMarker') ?? parts.at(-1)?.partNumber);
  if (truncated && !(Number.isInteger(next) && next > 0)) throw new Error('S3 ListParts: truncated without a next marker');
  return { parts, nextMarker: truncated ? next : null };
}

/** CompleteMultipartUpload's body: the parts in the order given, each with the ETag S3 gave. */
export function completeMultipartXml(parts: readonly { partNumber: number; etag: string }[]): string {
  const items = parts.map((part) => `<Part><PartNumber>${part.partNumber}</PartNumber><ETag>${escapeXml(part.etag)}</ETag></Part>`);
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items.join('')}</CompleteMultipartUpload>`;
}

export function createObjectStore(options: ObjectStoreOptions): ObjectStore {
  const region = options.region ?? 'us-east-1';
  const now = options.now ?? Date.now;
  const objectUrl = (base: string, key: string) => `${trimSlash(base)}/${encodeURIComponent(options.bucket)}/${keyPath(key)}`;
  const sign = (method: string, url: string, headers: Record<string, string>, signQuery = false) =>
    signS3Request({ method, url, headers, accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, region, time: now(), signQuery });

  async function send(method: string, key: string, headers: Record<string, string>, body?: ObjectBody, query: Record<string, string | number> = {}): Promise<Response> {
    const signed = await sign(method, objectUrl(options.endpoint, key) + queryOf(query), headers);
    let response: Response;
    try {
      const init: RequestInit & { duplex?: 'half' } = { method, headers: signed.headers };
      if (body instanceof Uint8Array && body.length > BODY_PIECE_BYTES) {
        signed.headers.set('content-length', String(body.length));
        init.body = piecesOf(body);
        init.duplex = 'half';
      } else if (body !== undefined) {
        if (body instanceof ReadableStream) {
          init.body = forwardable(body);
          init.duplex = 'half';
        } else init.body = body;
      }
      response = await fetch(signed.url, init);
    } catch (error) {
      throw new HttpError(503, 'storage_unavailable', 'Object storage is unreachable; try again later', { cause: error });
    }
    if (response.ok) return response;
    throw await storageError(response, method, key);
  }

  async function presign(
    method: 'GET' | 'PUT',
    key: string,
    expiresInSeconds: number,
    response: PresignedResponseHeaders = {},
    query: Record<string, string> = {},
  ): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`expiresInSeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}`);
    }
    const url = new URL(objectUrl(options.publicEndpoint ?? options.endpoint, key));
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
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

    async createMultipartUpload(key, uploadOptions = {}) {
      const headers: Record<string, string> = uploadOptions.contentType ? { 'content-type': uploadOptions.contentType } : {};
      const xml = await (await send('POST', key, headers, undefined, { uploads: '' })).text();
      const uploadId = xmlField(xml, 'UploadId');
      if (!uploadId) throw new HttpError(500, 'storage_error', 'Object storage answered CreateMultipartUpload without an UploadId');
      return { uploadId };
    },
    async presignUploadPart(key, uploadId, partNumber, { expiresInSeconds }) {
      checkPartNumber(partNumber);
      return presign('PUT', key, expiresInSeconds, {}, { partNumber: String(partNumber), uploadId });
    },
    async uploadPart(key, uploadId, partNumber, body, partOptions = {}) {
      checkPartNumber(partNumber);
      const headers: Record<string, string> = {};
      if (body instanceof ReadableStream) {
        if (partOptions.contentLength === undefined) throw new TypeError('uploadPart(…, stream) needs options.contentLength');
        headers['content-length'] = String(partOptions.contentLength);
      }
      const response = await send('PUT', key, headers, body, { partNumber, uploadId });
      await response.body?.cancel();
      return { etag: response.headers.get('etag') ?? '' };
    },
    async listParts(key, uploadId) {
      const parts: UploadedPart[] = [];
      let marker = 0;
      // At most 10 pages of 1,000: S3 allows 10,000 parts.
      for (let page = 0; page < MULTIPART_MAX_PARTS / 1000; page++) {
        let xml: string;
        try {
          xml = await (await send('GET', key, {}, undefined, { 'max-parts': 1000, 'part-number-marker': marker, uploadId })).text();
        } catch (error) {
          // S3 documents NoSuchUpload here; Ceph's RADOS Gateway (16.2) answers a gone upload with
          // 404 NoSuchKey. A ListParts names one upload, so any 404 but NoSuchBucket means it is gone.
          if (error instanceof HttpError && (error.code === 'upload_not_found' || error.code === 'not_found')) return null;
          throw error;
        }
        const { parts: more, nextMarker } = parseListParts(xml);
        parts.push(...more);
        if (nextMarker === null) return parts;
        marker = nextMarker;
      }
      throw new HttpError(500, 'storage_error', 'Object storage listed more than 10,000 parts');
    },
    async completeMultipartUpload(key, uploadId, parts) {
      if (parts.length === 0) throw new RangeError('completeMultipartUpload needs at least one part');
      const response = await send('POST', key, { 'content-type': 'application/xml' }, completeMultipartXml(parts), { uploadId });
      // S3 may answer 200 and then report a failure in the body (it started before it failed).
      const xml = await response.text();
      if (/<Error>/.test(xml)) throw await storageError(new Response(xml, { status: 500 }), 'POST', key);
      return { etag: xmlField(xml, 'ETag') ?? '' };
    },
    async abortMultipartUpload(key, uploadId) {
      try {
        const response = await send('DELETE', key, {}, undefined, { uploadId });
        await response.body?.cancel();
        return true;
      } catch (error) {
        if (error instanceof HttpError && error.code === 'upload_not_found') return false;
        throw error;
      }
    },
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
  if (code === 'NoSuchUpload') return new HttpError(404, 'upload_not_found', 'No such multipart upload (never started, aborted or completed)');
  if (response.status === 404 && code !== 'NoSuchBucket') return notFound('No such object');
  if (code === 'InvalidPart') return unprocessable('invalid_part', 'A part was not uploaded, or its ETag is not the one given');
  if (code === 'InvalidPartOrder') return unprocessable('invalid_part_order', 'The parts must be listed in ascending order');
  if (code === 'EntityTooSmall') return unprocessable('part_too_small', 'Every part but the last must have at least 5 MiB');
  if (response.status === 416) return new HttpError(416, 'range_not_satisfiable', 'The requested range is outside the object');
  if (response.status === 412) return new HttpError(412, 'precondition_failed', 'The object changed');
  if (code === 'EntityTooLarge') return new HttpError(413, 'payload_too_large', 'The object is too large');
  if (response.status === 503 || code === 'SlowDown' || response.status === 500) {
    return new HttpError(503, 'storage_unavailable', 'Object storage is busy; try again later', { headers: { 'retry-after': '1' }, cause });
  }
  return new HttpError(500, 'storage_error', `Object storage refused the request (${code ?? response.status})`, { cause });
}
