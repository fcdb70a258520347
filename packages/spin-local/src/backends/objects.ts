/**
 * Object storage for apps that declare `minio_endpoint`: an embedded S3-compatible server
 * (s3rver, which does not check signatures), or the real one at MINIO_ENDPOINT with
 * MINIO_ACCESS_KEY / MINIO_SECRET_KEY. Components reach either through their Spin variables
 * (`minio_endpoint`, `minio_public_endpoint`, `minio_access_key`, `minio_secret_key`), which this
 * backend sets as DB_CONNECTION redirects Postgres addresses; the bucket stays the app's
 * `minio_bucket` and is created if missing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signS3Request } from '@authorworks/kit';
import S3rver from 's3rver';

export interface ObjectBackendOptions {
  /** A real S3 endpoint (`http://host:9000`); default: env MINIO_ENDPOINT, else embedded. */
  realEndpoint: string | undefined;
  accessKey: string | undefined;
  secretKey: string | undefined;
  /** Where the embedded server keeps objects; null: a temporary folder removed on close. */
  dataDir: string | null;
}

/** s3rver's built-in account: it accepts any signature for a key it knows. */
const EMBEDDED_KEY = 'S3RVER';

export class ObjectBackend {
  private constructor(
    readonly kind: 'real' | 'embedded',
    readonly endpoint: string,
    private readonly accessKey: string,
    private readonly secretKey: string,
    private readonly server: S3rver | undefined,
    private readonly tempDir: string | undefined,
  ) {}

  static async start(options: ObjectBackendOptions): Promise<ObjectBackend> {
    if (options.realEndpoint) {
      if (!options.accessKey || !options.secretKey) throw new Error('MINIO_ENDPOINT needs MINIO_ACCESS_KEY and MINIO_SECRET_KEY');
      return new ObjectBackend('real', options.realEndpoint.replace(/\/+$/, ''), options.accessKey, options.secretKey, undefined, undefined);
    }
    const tempDir = options.dataDir === null ? mkdtempSync(join(tmpdir(), 'spin-local-s3-')) : undefined;
    const directory = tempDir ?? (options.dataDir as string);
    mkdirSync(directory, { recursive: true });
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
    const address = await server.run();
    return new ObjectBackend('embedded', `http://127.0.0.1:${address.port}`, EMBEDDED_KEY, EMBEDDED_KEY, server, tempDir);
  }

  /** The values of the app's `minio_*` variables that point its components here. */
  variables(): Record<string, string> {
    return { minio_endpoint: this.endpoint, minio_public_endpoint: this.endpoint, minio_access_key: this.accessKey, minio_secret_key: this.secretKey };
  }

  /** Creates the bucket unless it exists (S3's CreateBucket; "already owned" is success). */
  async ensureBucket(bucket: string): Promise<void> {
    const signed = await signS3Request({
      method: 'PUT',
      url: `${this.endpoint}/${encodeURIComponent(bucket)}`,
      accessKeyId: this.accessKey,
      secretAccessKey: this.secretKey,
      region: 'us-east-1',
      time: Date.now(),
    });
    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers });
    const text = await response.text();
    if (response.ok || /BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(text)) return;
    throw new Error(`object storage at ${this.endpoint}: creating bucket "${bucket}" failed with ${response.status} ${/<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? ''}`);
  }

  async close(): Promise<void> {
    await this.server?.close();
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
