// s3rver and MinIO's tests do not check signatures the way S3 does, so these vectors from AWS's
// documentation are the proof that requests are signed right ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk" and "Authenticating Requests:
// Using Query Parameters", Amazon S3 API Reference, Signature Version 4 examples).
import { AwsV4Signer } from 'aws4fetch';
import { describe, expect, it } from 'vitest';
import { MAX_PRESIGN_SECONDS, createObjectStore, signS3Request } from './object-store.ts';

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
