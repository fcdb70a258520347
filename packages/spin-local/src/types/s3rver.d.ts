// s3rver 3.7 ships no types; this is the slice spin-local uses.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { AddressInfo } from 'node:net';
  interface S3rverOptions {
    address?: string;
    port?: number;
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    /** Koa's request handler, for a server of one's own. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    /** Creates the constructor's `configureBuckets` in the store (what `run` does before it listens). */
    configureBuckets(): Promise<void>;
    /** winston's; `run`'s server unhooks and closes it when it closes. */
    logger: { exceptions: { unhandle(): void }; close(): void };
  }
}
