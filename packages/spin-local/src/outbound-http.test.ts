/**
 * The host's side of outbound HTTP: a response that arrived whole leaves its connection for the
 * next request (Spin v4 pools outbound connections across instances), one cut short does not.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundHttpHandlers } from './outbound-http.ts';

let server: Server;
let authority: string;
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      // A PUT is answered as S3 answers it, with no body; a GET with 16 MiB, far more than the host buffers before the guest reads.
      if (req.method === 'PUT') res.writeHead(200, { 'content-length': '0' }).end();
      else res.end(Buffer.alloc(16 * 1024 * 1024, 7));
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  authority = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const handlers = outboundHttpHandlers();

/** One exchange as a guest makes it, closed (as at the end of its job) once `read` bytes were read. */
async function exchange(method: 'PUT' | 'GET', read = 0): Promise<number> {
  const body = method === 'PUT' ? new TextEncoder().encode('some bytes') : new Uint8Array(0);
  const id = handlers['http.start']({ method, scheme: 'http', authority, pathWithQuery: '/object', headers: method === 'PUT' ? [['content-length', new TextEncoder().encode(String(body.length))]] : [], body: new Uint8Array(0) });
  if (body.length > 0) await handlers['http.write'](id, body);
  const answer = await handlers['http.send'](id);
  if (!('ok' in answer)) throw new Error(`no answer: ${JSON.stringify(answer.err)}`);
  let got = 0;
  while (got < read) got += (await handlers['http.read'](id, read - got))?.length ?? read;
  handlers['http.close'](id);
  // The next job's request comes later: let the agent take the connection back first.
  await new Promise((resolve) => setTimeout(resolve, 20));
  return answer.ok.status;
}

describe('outbound connections', () => {
  it('reuses the connection of an answer that arrived whole, even unread, and not of one cut short', async () => {
    connections = 0;
    expect(await exchange('PUT')).toBe(200);
    expect(await exchange('PUT')).toBe(200);
    expect(connections).toBe(1);
    // A large body dropped after its first bytes: that connection goes, the next request opens one.
    expect(await exchange('GET', 1)).toBe(200);
    expect(await exchange('PUT')).toBe(200);
    expect(connections).toBe(2);
  });
});
