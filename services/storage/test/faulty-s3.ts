/// <reference path="../../../packages/spin-local/src/types/s3rver.d.ts" />
// An S3 server whose failures a test chooses: s3rver behind a proxy that, for the object requests
// a test names, refuses the connection, answers 500, or lets the request through and then cuts
// the answer off (the object is written, the service never hears so).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export type Fault = 'none' | 'refuse' | 'error' | 'cut-answer';

export interface FaultyS3 {
  readonly endpoint: string;
  /**
   * The fault for object requests of `method` (PUT, GET, HEAD, DELETE; `GET whole`: a GET without
   * Range, as the worker reads a version back, while an upload's type sniff reads a range); `none` heals it.
   */
  fail(method: string, fault: Fault): void;
  healAll(): void;
  close(): Promise<void>;
}

export async function startFaultyS3(): Promise<FaultyS3> {
  const directory = mkdtempSync(join(tmpdir(), 'storage-faulty-s3-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  const { port: s3Port } = await s3.run();
  const faults = new Map<string, Fault>();
  const proxy: Server = createServer((req, res) => {
    // Object requests only: the bucket itself (created at start-up) is never failed.
    const isObject = /^\/[^/?]+\/[^?]+/.test(req.url ?? '');
    const method = req.method === 'GET' && req.headers.range === undefined && faults.has('GET whole') ? 'GET whole' : (req.method ?? '');
    const fault = isObject ? (faults.get(method) ?? 'none') : 'none';
    if (fault === 'refuse') {
      req.socket.destroy();
      return;
    }
    if (fault === 'error') {
      req.resume();
      req.on('end', () => res.writeHead(500, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code></Error>'));
      return;
    }
    const upstream = request({ host: '127.0.0.1', port: s3Port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (fault === 'cut-answer') {
        answer.resume();
        answer.on('end', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    fail: (method, fault) => void faults.set(method, fault),
    healAll: () => faults.clear(),
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await s3.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
