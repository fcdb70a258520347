/**
 * Object storage for apps that declare `minio_endpoint`: an embedded S3-compatible server
 * (s3rver, which does not check signatures), or the real one at MINIO_ENDPOINT with
 * MINIO_ACCESS_KEY / MINIO_SECRET_KEY. Components reach either through their Spin variables
 * (`minio_endpoint`, `minio_public_endpoint`, `minio_access_key`, `minio_secret_key`), which this
 * backend sets as DB_CONNECTION redirects Postgres addresses; the bucket stays the app's
 * `minio_bucket` and is created if missing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signS3Request } from '@authorworks/kit';
import type S3rver from 's3rver';

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

/**
 * The embedded server, listening from the start and loaded at its first request: s3rver (Koa,
 * winston, an XML parser) took ~0.28 s and ~30 MB to load and run, on the path of every
 * `pnpm start`, whether or not anything is stored. Buckets asked for before then are created
 * when it loads, through its store, as its own `configureBuckets` does before it listens.
 */
type Handler = (request: IncomingMessage, response: ServerResponse) => void;

class LazyS3rver {
  private loading: Promise<{ s3: S3rver; handle: Handler }> | undefined;
  private readonly buckets = new Set<string>();

  private constructor(
    private readonly http: Server,
    private readonly directory: string,
  ) {}

  static async listen(directory: string): Promise<{ server: LazyS3rver; port: number }> {
    const http = createServer();
    const server = new LazyS3rver(http, directory);
    http.on('request', (request: IncomingMessage, response: ServerResponse) => server.handle(request, response));
    await new Promise<void>((resolveListen, reject) => http.once('error', reject).listen(0, '127.0.0.1', resolveListen));
    return { server, port: (http.address() as AddressInfo).port };
  }

  /** True once the first request has loaded s3rver. */
  get loaded(): boolean {
    return this.loading !== undefined;
  }

  /** A bucket to create when the server loads (after that, ask it over S3). */
  addBucket(bucket: string): void {
    this.buckets.add(bucket);
  }

  private load(): Promise<{ s3: S3rver; handle: Handler }> {
    this.loading ??= (async () => {
      const { default: S3rverServer } = await import('s3rver');
      const s3 = new S3rverServer({ directory: this.directory, silent: true, configureBuckets: [...this.buckets].map((name) => ({ name })) });
      await s3.configureBuckets();
      return { s3, handle: s3.callback() };
    })();
    return this.loading;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.load().then(
      ({ handle }) => handle(request, response),
      (error: unknown) => {
        this.loading = undefined;
        response.writeHead(503, { 'content-type': 'text/plain' }).end(`embedded S3 server failed to start: ${(error as Error).message}`);
      },
    );
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolveClose) => this.http.close(() => resolveClose()));
    this.http.closeIdleConnections();
    await closed;
    const s3 = (await this.loading?.catch(() => undefined))?.s3;
    s3?.logger.exceptions.unhandle();
    s3?.logger.close();
  }
}

export class ObjectBackend {
  private constructor(
    readonly kind: 'real' | 'embedded',
    readonly endpoint: string,
    private readonly accessKey: string,
    private readonly secretKey: string,
    private readonly server: LazyS3rver | undefined,
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
    const { server, port } = await LazyS3rver.listen(directory);
    return new ObjectBackend('embedded', `http://127.0.0.1:${port}`, EMBEDDED_KEY, EMBEDDED_KEY, server, tempDir);
  }

  /** Whether the embedded server has been loaded yet (it loads at its first request); true for a real one. */
  get started(): boolean {
    return this.server?.loaded ?? true;
  }

  /** The values of the app's `minio_*` variables that point its components here. */
  variables(): Record<string, string> {
    return { minio_endpoint: this.endpoint, minio_public_endpoint: this.endpoint, minio_access_key: this.accessKey, minio_secret_key: this.secretKey };
  }

  /** Creates the bucket unless it exists (S3's CreateBucket; "already owned" is success). */
  async ensureBucket(bucket: string): Promise<void> {
    if (this.server && !this.server.loaded) return this.server.addBucket(bucket);
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
