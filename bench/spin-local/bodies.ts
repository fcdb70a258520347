/**
 * `bench bodies`: how fast request and response bodies stream through a component on spin-local —
 * the two paths of a file service. A source server in this process answers N MiB; a sink counts
 * what is PUT to it. Through the component (the `limits` fixture): `GET /limits/relay` pipes the
 * source's answer into the response, `POST /limits/forward` pipes the request body into a PUT to
 * the sink. The baseline is the same transfer straight to the source and the sink, alternating
 * with the component's in one run; the figure is the ratio of medians.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { buildFixtures } from '../../packages/spin-local/test/build-fixtures.ts';
import { startFixtureApp } from '../../packages/spin-local/test/probe-app.ts';

const MiB = 1024 * 1024;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(run: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const bytes = await run();
  return { ms: performance.now() - started, bytes };
}

async function drain(response: Response): Promise<number> {
  if (!response.ok) throw new Error(`status ${response.status}: ${(await response.text()).slice(0, 300)}`);
  let bytes = 0;
  const reader = response.body!.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) bytes += next.value.byteLength;
  return bytes;
}

export async function bodies(rounds = 7): Promise<void> {
  const payload = new Uint8Array(64 * MiB).map((_, i) => i % 251);
  let received = 0;
  const server: Server = createServer((request, response) => {
    if (request.method === 'PUT') {
      let count = 0;
      request.on('data', (chunk: Buffer) => (count += chunk.byteLength));
      request.on('end', () => {
        received = count;
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: count }));
      });
      return;
    }
    const size = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('size'));
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    response.end(payload.subarray(0, size));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await buildFixtures(['probe-limits']);
  const app = await startFixtureApp({ components: ['limits'] });
  try {
    for (const mib of [1, 20]) {
      const size = mib * MiB;
      const body = payload.subarray(0, size);
      const paths = {
        'download: direct GET': () => fetch(`${origin}/src?size=${size}`).then(drain),
        'download: GET /limits/relay': () => app.fetch(`/limits/relay?target=${encodeURIComponent(`${origin}/src?size=${size}`)}`).then(drain),
        'upload: direct PUT': () => fetch(`${origin}/sink`, { method: 'PUT', body }).then(drain).then(() => received),
        'upload: POST /limits/forward': () => app.fetch(`/limits/forward?target=${encodeURIComponent(`${origin}/sink`)}`, { method: 'POST', body }).then(drain).then(() => received),
      };
      const times: Record<string, number[]> = {};
      for (const run of Object.values(paths)) await run(); // warm-up
      for (let round = 0; round < rounds; round++) {
        for (const [name, run] of Object.entries(paths)) {
          const { ms, bytes } = await timed(run);
          if (bytes !== size) throw new Error(`${name}: ${bytes} bytes, not ${size}`);
          (times[name] ??= []).push(ms);
        }
      }
      const line = (name: string) => `${median(times[name]!).toFixed(1)} ms (${((size / MiB) / (median(times[name]!) / 1000)).toFixed(0)} MiB/s)`;
      console.log(`  ${mib} MiB, median of ${rounds}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}:`);
      for (const [direct, through] of [['download: direct GET', 'download: GET /limits/relay'], ['upload: direct PUT', 'upload: POST /limits/forward']] as const) {
        console.log(`    ${through.padEnd(30)} ${line(through)} vs ${direct} ${line(direct)}: ${(median(times[through]!) / median(times[direct]!)).toFixed(1)}×`);
      }
    }
  } finally {
    await app.close();
    server.close();
  }
}
