// The graphics image core inside a component (compiled by componentize-js, on spin-local) against
// the same code in Node, in the same run: probe, a 12 MP JPEG → 512/256/128 thumbnails (and 512
// alone), a 1024 px JPEG resize of it, and a PNG thumbnail. Medians over rounds; the ratio is the
// figure. The 12 MP photo-like JPEG is made by ImageMagick (plasma + noise, quality 90, 4:2:0):
//   npx --yes pnpm@10.34.8 --filter @authorworks/bench-graphics bench [rounds]
// Build first: `cd bench/graphics && npx --yes pnpm@10.34.8 exec authorworks-build`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startApp } from '@authorworks/spin-local';
import { probeImage } from '../../services/graphics/src/image/probe.ts';
import { renderImages } from '../../services/graphics/src/image/transform.ts';
import { BENCH_SPECS } from './src/bench-specs.ts';

const rounds = Number(process.argv[2] ?? 3);
if (!existsSync('/usr/bin/convert')) {
  console.error('ImageMagick (/usr/bin/convert) makes the 12 MP test photo: apt-get install -y imagemagick');
  process.exit(1);
}
const convert = (args: string[]) => new Uint8Array(execFileSync('/usr/bin/convert', args, { maxBuffer: 256 * 1024 * 1024 }));
const photo12 = convert(['-size', '4000x3000', '-seed', '7', 'plasma:fractal', '-attenuate', '0.25', '+noise', 'Gaussian', '-sampling-factor', '4:2:0', '-quality', '90', 'jpeg:-']);
const png = convert([fileURLToPath(new URL('../../services/graphics/fixtures/photo.jpg', import.meta.url)), '-resize', '200%', 'PNG24:-']);
console.log(`inputs: 12 MP JPEG ${(photo12.length / 1024 / 1024).toFixed(1)} MiB; PNG 1440×954 ${(png.length / 1024).toFixed(0)} KiB`);

const app = await startApp({ manifest: fileURLToPath(new URL('spin.toml', import.meta.url)), env: {} });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function inComponent(op: string, body: Uint8Array): Promise<number> {
  const response = await app.fetch(`/bench/graphics?op=${op}`, { method: 'POST', body: body as Uint8Array<ArrayBuffer> });
  const answer = (await response.json()) as { ms: number; error?: string };
  if (!response.ok) throw new Error(`${op}: ${answer.error}`);
  return answer.ms;
}

async function inNode(op: string, body: Uint8Array): Promise<number> {
  const started = performance.now();
  if (op === 'probe') probeImage(body.subarray(0, 64 * 1024), { partial: true });
  else await renderImages(body, BENCH_SPECS[op]!);
  return performance.now() - started;
}

const cases: [string, string, Uint8Array][] = [
  ['probe (64 KiB head)', 'probe', photo12],
  ['12 MP → 512 px', 'thumbnail512', photo12],
  ['12 MP → 512+256+128', 'thumbnail', photo12],
  ['12 MP → 1024 px JPEG', 'resize', photo12],
  ['PNG 1440×954 → 512+256+128', 'thumbnail', png],
];
try {
  for (const [label, op, body] of cases) {
    const component: number[] = [];
    const node: number[] = [];
    for (let i = 0; i < rounds; i++) {
      component.push(await inComponent(op, body));
      node.push(await inNode(op, body));
    }
    const c = median(component);
    const n = median(node);
    console.log(`${label.padEnd(28)} component p50 ${c.toFixed(0).padStart(6)} ms   node p50 ${n.toFixed(0).padStart(6)} ms   ratio ${(c / Math.max(n, 0.01)).toFixed(1)}×`);
  }
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
} finally {
  await app.close();
}
