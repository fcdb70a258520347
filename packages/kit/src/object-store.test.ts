// s3rver and MinIO's tests do not check signatures the way S3 does, so these vectors from AWS's
// documentation are the proof that requests are signed right ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk" and "Authenticating Requests:
// Using Query Parameters", Amazon S3 API Reference, Signature Version 4 examples).
import { createHash, createHmac } from 'node:crypto';
import { AwsV4Signer } from 'aws4fetch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HttpError } from './errors.ts';
import { MAX_PRESIGN_SECONDS, completeMultipartXml, createObjectStore, parseListParts, signS3Request } from './object-store.ts';

const example = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  time: Date.UTC(2013, 4, 24, 0, 0, 0),
};
const emptyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const signatureOf = (headers: Headers) => /Signature=([0-9a-f]{64})$/.exec(headers.get('authorization') ?? '')?.[1];

describe('SigV4 against AWS published examples', () => {
  it('PUT Object (payload hash given, date and storage class signed)', async () => {
    const signed = await signS3Request({
      ...example,
      method: 'PUT',
      url: 'https://examplebucket.s3.amazonaws.com/test$file.text',
      headers: {
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
      },
    });
    expect(signed.headers.get('authorization')).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, ' +
        'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it('GET Bucket Lifecycle', async () => {
    const signed = await signS3Request({ ...example, method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/?lifecycle', headers: { 'x-amz-content-sha256': emptyHash } });
    expect(signatureOf(signed.headers)).toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  it('GET Bucket (List Objects), query parameters sorted', async () => {
    const signed = await signS3Request({ ...example, method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J', headers: { 'x-amz-content-sha256': emptyHash } });
    expect(signatureOf(signed.headers)).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('GET Object with Range (the library, all headers signed: the kit leaves Range unsigned)', async () => {
    const signer = new AwsV4Signer({
      ...example,
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/test.txt',
      headers: { range: 'bytes=0-9', 'x-amz-content-sha256': emptyHash },
      service: 's3',
      datetime: '20130524T000000Z',
      allHeaders: true,
    });
    expect(signatureOf((await signer.sign()).headers)).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('a presigned GET (query parameters, UNSIGNED-PAYLOAD, 86,400 s)', async () => {
    const signed = await signS3Request({ ...example, method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Expires=86400', signQuery: true });
    const url = new URL(signed.url);
    expect(url.searchParams.get('X-Amz-Signature')).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('a wrong secret gives another signature (what s3rver would not notice)', async () => {
    const signed = await signS3Request({ ...example, secretAccessKey: 'not-the-secret', method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/?lifecycle', headers: { 'x-amz-content-sha256': emptyHash } });
    expect(signatureOf(signed.headers)).not.toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });
});

describe('the object store', () => {
  const store = createObjectStore({
    endpoint: 'http://minio:9000',
    publicEndpoint: 'https://s3.example.test/',
    bucket: 'books',
    accessKeyId: example.accessKeyId,
    secretAccessKey: example.secretAccessKey,
    now: () => example.time,
  });

  it('presigns on the public endpoint, path-style, with the expiry asked for and no secret', async () => {
    const url = new URL(await store.presignPut('covers/a b+c(1).png', { expiresInSeconds: 900 }));
    expect(url.origin + url.pathname).toBe('https://s3.example.test/books/covers/a%20b%2Bc%281%29.png');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20130524T000000Z');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.toString()).not.toContain(example.secretAccessKey);
    expect(url.toString()).not.toContain(encodeURIComponent(example.secretAccessKey));
  });

  it('signs the response headers a presigned GET asks S3 for into the URL', async () => {
    const disposition = `attachment; filename="a.html"; filename*=UTF-8''a.html`;
    const plain = new URL(await store.presignGet('a.html', { expiresInSeconds: 60 }));
    const url = new URL(await store.presignGet('a.html', { expiresInSeconds: 60, response: { contentType: 'text/html', contentDisposition: disposition } }));
    expect(url.searchParams.get('response-content-disposition')).toBe(disposition);
    expect(url.searchParams.get('response-content-type')).toBe('text/html');
    // The parameters are part of the canonical query: changing them breaks the signature.
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(plain.searchParams.get('X-Amz-Signature'));
    expect(plain.searchParams.has('response-content-disposition')).toBe(false);
  });

  it('refuses an expiry S3 would refuse', async () => {
    await expect(store.presignGet('a', { expiresInSeconds: 0 })).rejects.toThrow(RangeError);
    await expect(store.presignGet('a', { expiresInSeconds: MAX_PRESIGN_SECONDS + 1 })).rejects.toThrow(RangeError);
  });

  it('refuses a stream without a length before sending anything', async () => {
    const stream = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    await expect(store.put('a', stream)).rejects.toThrow(/contentLength/);
  });
});

/**
 * SigV4 query signing written from AWS's description ("Authenticating Requests: Using Query
 * Parameters") with node:crypto, independent of aws4fetch: the canonical request, the string to
 * sign, the derived key. A presigned URL is right when this computes the same signature over it.
 */
function referenceQuerySignature(method: string, url: URL, secret: string): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const params = [...url.searchParams].filter(([name]) => name !== 'X-Amz-Signature');
  const canonicalQuery = params
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalRequest = [method, url.pathname, canonicalQuery, `host:${url.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const date = url.searchParams.get('X-Amz-Date')!;
  const scope = url.searchParams.get('X-Amz-Credential')!.split('/').slice(1).join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const [day, region, service] = scope.split('/');
  let key: Buffer = Buffer.from(`AWS4${secret}`);
  for (const part of [day!, region!, service!, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('multipart uploads', () => {
  const store = createObjectStore({
    endpoint: 'http://minio:9000',
    publicEndpoint: 'https://s3.example.test',
    bucket: 'books',
    accessKeyId: example.accessKeyId,
    secretAccessKey: example.secretAccessKey,
    now: () => example.time,
  });
  // MinIO's upload ids are base64 with `+`, `/` and `=`: each must be encoded in the URL and the signature alike.
  const uploadId = 'ZmI0N2M3+ZjQtNzg/xYi00=';

  /** The requests the store sends, answered by `answer`. */
  function recording(answer: (request: Request) => Response) {
    const sent: { method: string; url: URL; headers: Headers; body: string }[] = [];
    vi.stubGlobal('fetch', async (input: string, init: RequestInit) => {
      const request = new Request(input, init);
      sent.push({ method: request.method, url: new URL(request.url), headers: request.headers, body: await request.text() });
      return answer(request);
    });
    return sent;
  }
  afterEach(() => vi.unstubAllGlobals());

  it('the reference signer reproduces AWS\u2019s presigned GET example', async () => {
    const signed = new URL((await signS3Request({ ...example, method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Expires=86400', signQuery: true })).url);
    expect(referenceQuerySignature('GET', signed, example.secretAccessKey)).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });

  it('presigns a part URL whose signature covers partNumber and uploadId', async () => {
    const url = new URL(await store.presignUploadPart('files/a b', uploadId, 7, { expiresInSeconds: 900 }));
    expect(url.origin + url.pathname).toBe('https://s3.example.test/books/files/a%20b');
    expect(url.searchParams.get('partNumber')).toBe('7');
    expect(url.searchParams.get('uploadId')).toBe(uploadId);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Signature')).toBe(referenceQuerySignature('PUT', url, example.secretAccessKey));
    // Another part number is another signature: a URL cannot be reused for a different part.
    const other = new URL(await store.presignUploadPart('files/a b', uploadId, 8, { expiresInSeconds: 900 }));
    expect(other.searchParams.get('X-Amz-Signature')).not.toBe(url.searchParams.get('X-Amz-Signature'));
    await expect(store.presignUploadPart('k', uploadId, 0, { expiresInSeconds: 60 })).rejects.toThrow(RangeError);
    await expect(store.presignUploadPart('k', uploadId, 10_001, { expiresInSeconds: 60 })).rejects.toThrow(RangeError);
  });

  it('builds the CompleteMultipartUpload body with the ETags as S3 gave them', () => {
    expect(completeMultipartXml([{ partNumber: 1, etag: '"a1"' }, { partNumber: 2, etag: '"b&2"' }])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        '<Part><PartNumber>1</PartNumber><ETag>"a1"</ETag></Part><Part><PartNumber>2</PartNumber><ETag>"b&amp;2"</ETag></Part></CompleteMultipartUpload>',
    );
  });

  it('parses ListParts pages: entities decoded, the next marker when truncated', () => {
    const page = `<?xml version="1.0" encoding="UTF-8"?><ListPartsResult><Bucket>books</Bucket><Key>k</Key><UploadId>u</UploadId>
      <PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>2</MaxParts><IsTruncated>true</IsTruncated>
      <Part><PartNumber>1</PartNumber><LastModified>2026-12-02T00:00:00.000Z</LastModified><ETag>&quot;7ac66c0f148de9519b8bd264312c4d64&quot;</ETag><Size>5242880</Size></Part>
      <Part><PartNumber>2</PartNumber><LastModified>2026-12-02T00:00:00.000Z</LastModified><ETag>&#34;e2&#x22;</ETag><Size>17</Size></Part></ListPartsResult>`;
    expect(parseListParts(page)).toEqual({
      parts: [
        { partNumber: 1, etag: '"7ac66c0f148de9519b8bd264312c4d64"', size: 5_242_880 },
        { partNumber: 2, etag: '"e2"', size: 17 },
      ],
      nextMarker: 2,
    });
    expect(parseListParts('<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>')).toEqual({ parts: [], nextMarker: null });
    expect(() => parseListParts('<ListPartsResult><Part><PartNumber>1</PartNumber></Part></ListPartsResult>')).toThrow(/ETag/);
  });

  it('lists every page of parts, and null for an upload that is gone', async () => {
    const sent = recording((request) => {
      const marker = new URL(request.url).searchParams.get('part-number-marker');
      if (new URL(request.url).searchParams.get('uploadId') === 'gone') {
        return new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 });
      }
      // Ceph's RADOS Gateway's answer for an upload completed or aborted (docs/decisions.md, Decision 13).
      if (new URL(request.url).searchParams.get('uploadId') === 'gone-rgw') {
        return new Response('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message></Message><BucketName>books</BucketName></Error>', { status: 404 });
      }
      if (new URL(request.url).searchParams.get('uploadId') === 'no-bucket') {
        return new Response('<Error><Code>NoSuchBucket</Code></Error>', { status: 404 });
      }
      const part = (n: number) => `<Part><PartNumber>${n}</PartNumber><ETag>"e${n}"</ETag><Size>${n}</Size></Part>`;
      return new Response(
        marker === '0'
          ? `<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>${part(1)}${part(2)}</ListPartsResult>`
          : `<ListPartsResult><IsTruncated>false</IsTruncated>${part(3)}</ListPartsResult>`,
      );
    });
    expect((await store.listParts('k', uploadId))?.map((part) => part.partNumber)).toEqual([1, 2, 3]);
    expect(sent.map((request) => [request.method, request.url.searchParams.get('part-number-marker'), request.url.searchParams.get('uploadId')])).toEqual([
      ['GET', '0', uploadId],
      ['GET', '2', uploadId],
    ]);
    expect(await store.listParts('k', 'gone')).toBeNull();
    expect(await store.listParts('k', 'gone-rgw')).toBeNull();
    // A missing bucket is the operator's to fix, not a finished upload.
    await expect(store.listParts('k', 'no-bucket')).rejects.toMatchObject({ status: 500, code: 'storage_error' });
  });

  it('starts, uploads a part, completes and aborts with the right requests', async () => {
    const sent = recording((request) => {
      const query = new URL(request.url).searchParams;
      if (query.has('uploads')) return new Response('<InitiateMultipartUploadResult><UploadId>ZmI0N2M3+ZjQtNzg/xYi00=</UploadId></InitiateMultipartUploadResult>');
      if (request.method === 'PUT') return new Response(null, { headers: { etag: '"p1"' } });
      if (request.method === 'POST') return new Response('<CompleteMultipartUploadResult><ETag>&quot;all-2&quot;</ETag></CompleteMultipartUploadResult>');
      return new Response(null, { status: 204 });
    });
    expect(await store.createMultipartUpload('k', { contentType: 'audio/mpeg' })).toEqual({ uploadId });
    expect(await store.uploadPart('k', uploadId, 1, new Uint8Array([1, 2, 3]))).toEqual({ etag: '"p1"' });
    expect(await store.completeMultipartUpload('k', uploadId, [{ partNumber: 1, etag: '"p1"' }])).toEqual({ etag: '"all-2"' });
    expect(await store.abortMultipartUpload('k', uploadId)).toBe(true);
    expect(sent.map((request) => `${request.method} ${request.url.pathname}${request.url.search}`)).toEqual([
      'POST /books/k?uploads',
      `PUT /books/k?partNumber=1&uploadId=${encodeURIComponent(uploadId)}`,
      `POST /books/k?uploadId=${encodeURIComponent(uploadId)}`,
      `DELETE /books/k?uploadId=${encodeURIComponent(uploadId)}`,
    ]);
    expect(sent[0]!.headers.get('content-type')).toBe('audio/mpeg');
    expect(sent[2]!.body).toContain('<Part><PartNumber>1</PartNumber><ETag>"p1"</ETag></Part>');
    for (const request of sent) expect(request.headers.get('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\//);
    const stream = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    await expect(store.uploadPart('k', uploadId, 2, stream)).rejects.toThrow(/contentLength/);
  });

  it('sends a buffer over 1 MiB as a stream of pieces with its Content-Length, bytes intact', async () => {
    const seen: { length: string | null; stream: boolean; digest: string }[] = [];
    vi.stubGlobal('fetch', async (input: string, init: RequestInit) => {
      const bytes = new Uint8Array(await new Request(input, init).arrayBuffer());
      seen.push({ length: new Headers(init.headers).get('content-length'), stream: init.body instanceof ReadableStream, digest: createHash('sha256').update(bytes).digest('hex') });
      return new Response(null, { headers: { etag: '"e"' } });
    });
    const big = new Uint8Array(2.5 * 1024 * 1024 + 3).map((_, i) => (i * 7 + (i >> 20)) & 0xff);
    await store.uploadPart('k', uploadId, 1, big);
    await store.put('k', big.subarray(0, 1000));
    expect(seen).toEqual([
      { length: String(big.length), stream: true, digest: createHash('sha256').update(big).digest('hex') },
      { length: null, stream: false, digest: createHash('sha256').update(big.subarray(0, 1000)).digest('hex') },
    ]);
  });

  it('maps multipart failures to the envelope, a 200 carrying an <Error> too', async () => {
    const answers: Record<string, Response> = {};
    recording((request) => answers[request.method]!);
    const failing = async (method: string, answer: Response, call: () => Promise<unknown>) => {
      answers[method] = answer;
      return call().then(
        () => expect.unreachable(),
        (error: HttpError) => [error.status, error.code],
      );
    };
    const complete = () => store.completeMultipartUpload('k', 'u', [{ partNumber: 1, etag: '"x"' }]);
    expect(await failing('POST', new Response('<Error><Code>InvalidPart</Code></Error>', { status: 400 }), complete)).toEqual([422, 'invalid_part']);
    expect(await failing('POST', new Response('<Error><Code>EntityTooSmall</Code></Error>', { status: 400 }), complete)).toEqual([422, 'part_too_small']);
    expect(await failing('POST', new Response('<Error><Code>InvalidPartOrder</Code></Error>', { status: 400 }), complete)).toEqual([422, 'invalid_part_order']);
    expect(await failing('POST', new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 }), complete)).toEqual([404, 'upload_not_found']);
    expect(await failing('POST', new Response('<?xml version="1.0"?>\n<Error><Code>InternalError</Code></Error>', { status: 200 }), complete)).toEqual([503, 'storage_unavailable']);
    expect(await failing('PUT', new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 }), () => store.uploadPart('k', 'u', 1, 'x'))).toEqual([404, 'upload_not_found']);
    answers.DELETE = new Response('<Error><Code>NoSuchUpload</Code></Error>', { status: 404 });
    expect(await store.abortMultipartUpload('k', 'u')).toBe(false);
    expect(await failing('DELETE', new Response('<Error><Code>AccessDenied</Code></Error>', { status: 403 }), () => store.abortMultipartUpload('k', 'u'))).toEqual([500, 'storage_error']);
    await expect(store.completeMultipartUpload('k', 'u', [])).rejects.toThrow(RangeError);
  });
});
